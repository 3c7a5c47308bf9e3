"""How each store port fails, the same on every adapter: an unknown id, a duplicate, a conflict.

A failure leaves the store as it was; what ports/store.py documents as "None", "[]" or "False" is
answered that way, never with an adapter's own exception."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kameng.domain.member import Withdrawal, WithdrawalStatus, personal_coupon
from kameng.domain.order import Applied, OrderChange, OrderStatus
from kameng.ports.store import Conflict, Duplicate, SignInGrant, StockCount, UnknownRecord

from .store_world import START, an_order

STATION = "game-zone"


def test_a_payment_session_for_an_unknown_order_is_refused_as_unknown(store):
    with pytest.raises(UnknownRecord):
        store.orders.set_payment_session("01JNOSUCHORDER000000000000", "cs_test_1", "https://pay.example/cs_test_1")
    assert store.orders.order("01JNOSUCHORDER000000000000") is None


def test_placing_an_order_id_twice_is_a_duplicate_and_holds_no_more_keys(store, inventory):
    sku = inventory.new_sku(3)
    first = store.orders.place_order(an_order(sku))
    with pytest.raises(Duplicate):
        store.orders.place_order(first.model_copy(update={"key_ids": ()}))
    assert (inventory.count(sku).reserved, store.orders.order(first.id).key_ids) == (1, first.key_ids)
    assert inventory.balanced(sku)


def test_a_change_to_an_unknown_order_is_a_conflict_that_writes_nothing(store):
    change = OrderChange("01JNOSUCHORDER000000000000", OrderStatus.PENDING, OrderStatus.PAID, event_id="evt_unknown")
    assert store.orders.apply(change, START) == (Applied.CONFLICT, None)
    assert not store.orders.event_seen("evt_unknown")


def test_unknown_ids_read_as_nothing(store):
    unknown = an_order("sku-none")
    assert store.orders.order(unknown.id) is None
    assert store.orders.ledger(unknown.id) == []
    assert store.inventory.sealed_keys(unknown) == []
    assert store.inventory.stock(["sku-none"]) == {"sku-none": StockCount()}
    assert store.price_books.price_book("no-such-station") is None
    assert store.members.coupon(STATION, "NOSUCHCODE") is None
    assert store.members.member_by_code(STATION, "NOSUCH001") is None
    assert store.members.coupons_of(STATION, "nobody") == []
    assert store.payouts.earnings(STATION, "nobody") == []
    assert store.payouts.withdrawals_of(STATION, "nobody") == []
    assert store.counters.quota_count("FLASH#game-zone#none", "nobody") == 0
    assert store.sign_ins.use_sign_in("0" * 64, START) is None


def test_keeping_a_sign_in_link_twice_is_a_duplicate_and_the_first_stays_usable(store):
    grant = SignInGrant("shopper-a", STATION, "a***a@example.com", START + timedelta(minutes=15))
    store.sign_ins.put_sign_in("1" * 64, grant)
    with pytest.raises(Duplicate):
        store.sign_ins.put_sign_in("1" * 64, SignInGrant("shopper-b", STATION, "b***b@example.com", grant.expires_at))
    assert store.sign_ins.use_sign_in("1" * 64, START) == grant
    assert store.sign_ins.use_sign_in("1" * 64, START) is None


def test_another_shoppers_referral_code_is_a_duplicate_and_leaves_them_without_one(store):
    store.members.open_member(STATION, "alice", "ALICE0001")
    with pytest.raises(Duplicate):
        store.members.open_member(STATION, "bob", "ALICE0001")
    assert (store.members.member(STATION, "bob").referral_code,
            store.members.member_by_code(STATION, "ALICE0001").shopper_key) == (None, "alice")


def test_points_the_balance_does_not_cover_are_refused_and_no_coupon_is_given(store):
    coupon = personal_coupon(STATION, "carol", "POINTS-1", 500, "points", START)
    assert store.members.redeem_points(STATION, "carol", 100, coupon) is False
    assert (store.members.coupon(STATION, "POINTS-1"), store.members.member(STATION, "carol").points) == (None, 0)


def test_a_withdrawal_worked_out_from_a_stale_balance_is_refused(store):
    store.members.open_member(STATION, "dave", "DAVE00001")
    first = Withdrawal(id="01JW0000000000000000000001", station=STATION, referrer="dave", amount=300,
                       method="alipay", account="dave@example.com", name="Dave", requested_at=START)
    assert store.payouts.request_withdrawal(first, 0)
    stale = first.model_copy(update={"id": "01JW0000000000000000000002"})
    assert store.payouts.request_withdrawal(stale, 0) is False
    assert [w.id for w in store.payouts.withdrawals_of(STATION, "dave")] == [first.id]
    assert store.members.member(STATION, "dave").withdrawn == 300


def test_settling_an_unknown_or_settled_withdrawal_says_which(store):
    store.members.open_member(STATION, "erin", "ERIN00001")
    requested = Withdrawal(id="01JW0000000000000000000003", station=STATION, referrer="erin", amount=200,
                           method="alipay", account="erin@example.com", name="Erin", requested_at=START)
    store.payouts.request_withdrawal(requested, 0)
    with pytest.raises(UnknownRecord):
        store.payouts.settle_withdrawal("another-station", requested.id, WithdrawalStatus.PAID, START, None)
    store.payouts.settle_withdrawal(STATION, requested.id, WithdrawalStatus.PAID, START, None)
    with pytest.raises(Conflict):
        store.payouts.settle_withdrawal(STATION, requested.id, WithdrawalStatus.REJECTED, START, None)
    assert store.members.member(STATION, "erin").withdrawn == 200
