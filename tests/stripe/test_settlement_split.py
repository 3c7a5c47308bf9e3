"""The settlement report agrees with the split sent to Stripe Connect, with discounts, commissions and a refund."""
import dataclasses
from decimal import Decimal

from kameng.adapters.gateway_stripe import StripeGateway
from kameng.domain.commissions import ReferralRule
from kameng.domain.coupons import CouponRule
from kameng.domain.member import chain_below
from kameng.domain.order import PaymentEvent, PaymentKind
from kameng.domain.settlement import settle
from kameng.services import checkout
from kameng.services.payments import handle_event
from kameng.services.refunds import refund_order

from .conftest import API_KEY, WEBHOOK_SECRET

PAYOUT = "acct_1QwGameZoneStation"


def test_what_stripe_transferred_is_the_stations_net_and_nothing_stays_due(deps, clock, api, stations, sku_with_keys):
    stocked = sku_with_keys(10, price=10200, wholesale=9500, substation_price=10500)
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={
        "payout_account": PAYOUT, "platform_fee_percent": Decimal("2.5"),
        "referrals": ReferralRule(levels_percent=(Decimal(10), Decimal(5))),
        "coupons": (CouponRule(code="TWO", kind="fixed", amount=200),)}))
    # buyer ← parent ← grandparent: each of buyer's orders pays two commissions
    grandparent = deps.store.members.open_member(stations.substation, "grandparent-key", "GRAND00001")
    assert deps.store.members.bind_referrer(stations.substation, "parent-key", grandparent, chain_below(grandparent), None)
    parent = deps.store.members.open_member(stations.substation, "parent-key", "PARENT0001")
    buyer_key = deps.cipher.keyed_hash("shopper", "buyer@example.com")
    assert deps.store.members.bind_referrer(stations.substation, buyer_key, parent, chain_below(parent), None)

    stripe_deps = dataclasses.replace(deps, gateway=StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, clock=clock))
    sent, orders = [], []
    for quantity, coupon in ((1, None), (2, "TWO"), (3, None)):
        api.answer("checkout_session_open")
        placed = checkout.place(checkout.CheckoutRequest(
            station=stations.substation, sku=stocked.sku, quantity=quantity, email="buyer@example.com",
            query_password="8866-qp", coupon=coupon), stripe_deps)
        form = api.last.form
        sent.append((int(form["line_items[0][price_data][unit_amount]"]) * int(form["line_items[0][quantity]"]),
                     int(form["payment_intent_data[application_fee_amount]"])))
        assert form["payment_intent_data[transfer_data][destination]"] == PAYOUT
        order = placed.order
        handle_event(PaymentEvent(f"evt_{order.id}", PaymentKind.COMPLETED, order.id, "cs_x", True, order.total,
                                  "cny", f"pi_{order.id}"), stripe_deps)
        orders.append(order.id)
    assert all(len(deps.store.orders.order(o).commissions) == 2 for o in orders)
    api.answer("payment_intent_destination").answer("refund")
    refund_order(orders[1], "owner refund", stripe_deps)
    assert api.last.form["reverse_transfer"] == "true"

    report = settle(stations.substation, "CNY",
                    ((deps.store.orders.order(o), deps.store.orders.ledger(o)) for o in orders))
    kept = [amount - fee for (amount, fee), order_id in zip(sent, orders) if order_id != orders[1]]
    totals = report.totals
    assert totals["transferred"] == sum(kept) == totals["net"]
    assert totals["balance_due"] == 0
    assert [line.balance_due for line in report.lines] == [0, 0, 0]
    assert totals["commissions"] > 0 and totals["discounts"] == 200 and totals["platform_fee"] > 0
