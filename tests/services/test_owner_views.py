"""What the owner sees, from the same services the shopper's pages use: orders with keys masked, stock, stations."""
from __future__ import annotations

import dataclasses

import pytest

from kameng.domain.card_key import mask
from kameng.domain.errors import NotFound, UnknownStation
from kameng.domain.order import OrderStatus
from kameng.services import lookup
from kameng.services.checkout import CheckoutRequest, place
from kameng.services.refunds import refund_order
from kameng.services.stations import published_book
from kameng.services.stock import sku_counts

EMAIL = "buyer@example.com"


def placed(deps, station: str, sku: str, quantity: int = 1, email: str = EMAIL):
    request = CheckoutRequest(station=station, sku=sku, quantity=quantity, email=email, query_password="8642")
    return place(request, deps).order


def paid(deps, order):
    deps.gateway.pay(deps.store.orders.order(order.id).payment_session, "card")
    return deps.store.orders.order(order.id)


class CannotOpen:
    """A cipher that opens every key but those named: a key sealed under a master key since replaced."""

    def __init__(self, cipher, key_ids: set[str]):
        self.cipher = cipher
        self.key_ids = key_ids

    def open(self, ciphertext: bytes, context: bytes) -> bytes:
        if context.decode().rsplit("/", 1)[1] in self.key_ids:
            raise ValueError("authentication tag mismatch")
        return self.cipher.open(ciphertext, context)

    def __getattr__(self, name: str):
        return getattr(self.cipher, name)


def test_an_order_id_pasted_with_spaces_or_in_lower_case_is_found(deps, stations, sku_with_keys):
    order = placed(deps, stations.substation, sku_with_keys(2).sku)

    assert lookup.find_order(f"  {order.id.lower()}\n", deps).id == order.id


def test_an_unknown_order_id_is_not_found_by_name(deps, stations):
    with pytest.raises(NotFound, match=r"^no order '01JD3ZC4W8M2V5Q7R9T1X3Y5Z7'$"):
        lookup.find_order(" 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 ", deps)


def test_the_owner_view_shows_a_delivered_orders_keys_masked_and_its_balanced_ledger(deps, stations, sku_with_keys):
    stocked = sku_with_keys(3, passwords=True)
    order = paid(deps, placed(deps, stations.substation, stocked.sku, quantity=2))

    shown = lookup.owner_view(order.id, deps)

    assert shown["order"]["status"] == "delivered" and shown["order"]["id"] == order.id
    assert sum(entry["amount"] for entry in shown["ledger"]) == 0
    assert len(shown["keys"]) == 2
    assert {key["masked"] for key in shown["keys"]} < {mask(code) for code in stocked.codes}
    assert all(key["has_password"] is True for key in shown["keys"])
    text = str(shown)
    for secret in stocked.codes + stocked.passwords:
        assert secret not in text


def test_the_owner_sees_the_keys_a_pending_order_holds_which_its_shopper_does_not_yet(deps, stations, sku_with_keys):
    order = placed(deps, stations.substation, sku_with_keys(2).sku)

    assert len(lookup.owner_view(order.id, deps)["keys"]) == 1
    assert lookup.view(order, deps)["keys"] == []


def test_a_key_that_cannot_be_opened_is_reported_without_hiding_the_others(deps, stations, sku_with_keys):
    order = paid(deps, placed(deps, stations.substation, sku_with_keys(3).sku, quantity=2))
    broken, fine = deps.store.inventory.sealed_keys(order)

    shown = lookup.owner_view(order.id, dataclasses.replace(deps, cipher=CannotOpen(deps.cipher, {broken.key_id})))

    by_id = {key["key_id"]: key for key in shown["keys"]}
    assert by_id[broken.key_id] == {"key_id": broken.key_id, "masked": None, "has_password": None,
                                    "problem": "cannot be opened (ValueError)", "refunded": False,
                                    "batch_id": broken.batch_id}
    assert by_id[fine.key_id]["masked"] is not None


def test_the_owners_order_list_is_newest_first_and_refuses_an_unknown_station(deps, stations, sku_with_keys, clock):
    sku = sku_with_keys(3).sku
    first = placed(deps, stations.substation, sku)
    clock.advance(seconds=1)
    second = paid(deps, placed(deps, stations.substation, sku))

    listed = lookup.owner_orders(10, None, None, deps)
    delivered = lookup.owner_orders(10, stations.substation, OrderStatus.DELIVERED, deps)

    assert [o["id"] for o in listed] == [second.id, first.id]
    assert listed[1] == lookup.order_summary(first)
    assert [o["id"] for o in delivered] == [second.id]
    with pytest.raises(UnknownStation, match="unknown station 'gamezone'"):
        lookup.owner_orders(10, "gamezone", None, deps)


def test_a_shopper_is_filed_under_one_key_however_the_email_is_typed(deps, stations, sku_with_keys):
    order = placed(deps, stations.substation, sku_with_keys(1).sku, email="buyer@example.com")

    assert lookup.shopper_key("  Buyer@Example.COM ", deps) == order.shopper_key


def test_an_owner_refund_finds_a_pasted_id_and_keeps_its_reason_on_one_line(deps, stations, sku_with_keys):
    order = paid(deps, placed(deps, stations.substation, sku_with_keys(1).sku))

    refunded, now = refund_order(f" {order.id.lower()} ", "  key \n did   not work ", deps)

    assert (now, refunded.id, refunded.refund_reason) == (True, order.id, "key did not work")
    assert refund_order(order.id, None, deps)[0].refund_reason == "key did not work"


def test_an_owner_refund_without_a_reason_says_it_was_the_owner(deps, stations, sku_with_keys):
    order = paid(deps, placed(deps, stations.substation, sku_with_keys(1).sku))

    assert refund_order(order.id, "   ", deps)[0].refund_reason == "owner refund"


def test_a_station_is_known_once_its_price_book_is_published(deps, stations):
    assert published_book(None, deps).station == stations.main
    assert published_book(stations.substation, deps).station == stations.substation
    with pytest.raises(UnknownStation, match=r"unknown station 'nowhere': .*run the build first"):
        published_book("nowhere", deps)


def test_a_shop_before_its_first_build_is_told_to_run_it(deps):
    with pytest.raises(UnknownStation, match="no price book published for the main station 'main': run the build first"):
        published_book(None, deps)


def test_the_owners_stock_counts_add_up_per_sku(deps, stations, sku_with_keys):
    stocked = sku_with_keys(3)
    placed(deps, stations.substation, stocked.sku)

    (row,) = [row for row in sku_counts(published_book(stations.substation, deps), deps) if row["sku"] == stocked.sku]

    assert row == {"sku": stocked.sku, "title": f"Steam 钱包充值卡 {stocked.sku}", "available": 2, "reserved": 1,
                   "sold": 0, "void": 0, "imported": 3}
