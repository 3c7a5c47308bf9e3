"""`kameng refund`: the owner gives a delivered order's money back, once; its keys stay sold and are flagged."""
from collections import defaultdict

from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus, PaymentEvent, PaymentKind
from kameng.domain.refund import refund_failed, refund_undelivered

from .conftest import STEAM, json_of
from .test_orders import stocked


def delivered(shop, kameng, keys_file, quantity=2):
    stocked(kameng, keys_file)
    return shop.pay(shop.place(STEAM, quantity=quantity))


def test_refund_refunds_a_delivered_order_in_full(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file)
    asked = []
    refund = shop.deps.gateway.refund
    shop.deps.gateway.refund = lambda ref, amount, order_id, attempt=0, take_back=None: (
        asked.append((ref, amount, order_id)) or refund(ref, amount, order_id, attempt=attempt))

    ran = kameng("refund", order.id, "--reason", "key did not work")

    stored = shop.deps.store.orders.order(order.id)
    assert ran.code == 0, ran.err
    assert ran.out.startswith(f"refunded order {order.id}: ¥210.00 back to the shopper (refund re_")
    assert asked == [(order.payment_ref, 21000, order.id)]
    assert (stored.status.value, stored.refund_reason, stored.refund_id) == ("refunded", "key did not work", asked and refund(*asked[0]))


def test_a_refunded_orders_keys_stay_sold_and_are_flagged_in_the_listing(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file)
    kameng("refund", order.id)

    shown = json_of(kameng("order", order.id, "--json"))
    text = kameng("order", order.id).out

    assert [key["refunded"] for key in shown["keys"]] == [True, True]
    assert (shop.stock().sold, shop.stock().available, shop.stock().imported) == (2, 1, 3)
    assert "refunded" in text.split("keys (masked)")[1] and text.count(" yes") >= 2


def test_a_refund_reverses_the_sale_exactly(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file)
    sale = shop.deps.store.orders.ledger(order.id)
    kameng("refund", order.id)

    rows = shop.deps.store.orders.ledger(order.id)
    per_account = defaultdict(int)
    for entry in rows:
        per_account[entry.account] += entry.amount
    assert rows[:len(sale)] == sale and [e.amount for e in rows[len(sale):]] == [-e.amount for e in sale]
    assert sum(e.amount for e in rows) == 0 and set(per_account.values()) == {0}


def test_refunding_twice_refunds_once(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file)
    calls = []
    refund = shop.deps.gateway.refund
    shop.deps.gateway.refund = lambda *args, **kwargs: calls.append(args) or refund(*args, **kwargs)
    kameng("refund", order.id)
    rows = shop.deps.store.orders.ledger(order.id)

    again = kameng("refund", order.id)

    assert again.code == 0 and again.out.startswith(f"order {order.id} was already refunded")
    assert (len(calls), shop.deps.store.orders.ledger(order.id)) == (1, rows)


def test_a_refund_of_an_order_that_was_not_delivered_is_refused(shop, kameng, keys_file):
    stocked(kameng, keys_file)
    pending = shop.place(STEAM)

    ran = kameng("refund", pending.id)

    assert ran.code == 1 and ran.out == ""
    assert ran.err == f"kameng: order {pending.id} is pending: only a delivered order can be refunded\n"
    assert shop.deps.store.orders.order(pending.id).status.value == "pending"


def test_a_refund_the_gateway_refuses_changes_nothing(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file)
    sale = shop.deps.store.orders.ledger(order.id)

    def down(*args):
        raise ConnectionError("gateway unreachable")

    shop.deps.gateway.refund = down
    ran = kameng("refund", order.id)

    assert ran.code == 1 and "nothing was changed" in ran.err
    assert (shop.deps.store.orders.order(order.id).status.value, shop.deps.store.orders.ledger(order.id)) == ("delivered", sale)


def test_a_refund_of_an_unknown_order_is_refused(shop, kameng):
    ran = kameng("refund", "01JD3ZC4W8M2V5Q7R9T1X3Y5Z7")
    assert ran.code == 1 and "no order" in ran.err


def test_refund_json_says_what_was_done(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file, quantity=1)
    first, second = json_of(kameng("refund", order.id, "--json")), json_of(kameng("refund", order.id, "--json"))
    assert (first["status"], first["refunded_now"], second["refunded_now"], first["refund_id"] == second["refund_id"]) == (
        "refunded", True, False, True)


def failed_refund(shop, order):
    """The gateway tells that the order's refund failed: the order needs attention and holds the money again."""
    refunded = shop.deps.store.orders.order(order.id)
    failure = PaymentEvent(id=f"evt_failed_{order.id}", kind=PaymentKind.REFUND_FAILED, order_id=order.id,
                           session_id=None, paid=False, amount=None, currency=None, payment_ref=refunded.payment_ref,
                           refund_id=refunded.refund_id, refund_status="failed")
    change = refund_failed(refunded, failure, refunded.updated_at, len(shop.deps.store.orders.ledger(order.id)))
    assert shop.deps.store.orders.apply(change, refunded.updated_at)[0] is Applied.DONE


def test_asking_again_for_a_delivered_orders_failed_refund_says_its_keys_stay_sold(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file)
    kameng("refund", order.id)
    failed_refund(shop, order)

    ran = kameng("refund", order.id)

    assert ran.code == 0 and ran.out.rstrip().endswith("its 2 key(s) stay sold, flagged refunded")


def test_asking_again_for_an_undelivered_payments_failed_refund_says_no_key_was_sold(shop, kameng, keys_file):
    stocked(kameng, keys_file)
    placed = shop.place(STEAM)
    held = shop.deps.store.orders.apply(OrderChange(
        placed.id, OrderStatus.PENDING, OrderStatus.NEEDS_ATTENTION, keys=KeyMove.RETURN, payment_ref="pi_short",
        reason="amount_mismatch: paid 1 cny", record=(("paid_amount", 100), ("paid_currency", "CNY"))), placed.created_at)[1]
    shop.deps.store.orders.apply(refund_undelivered(held, "re_first"), placed.created_at)
    failed_refund(shop, placed)

    ran = kameng("refund", placed.id)

    assert ran.code == 0, ran.err
    assert ran.out.startswith(f"refunded order {placed.id}: ¥1.00 back to the shopper")
    assert ran.out.rstrip().endswith("it was never delivered, so no key was sold")
