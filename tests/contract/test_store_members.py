"""Members, coupons, referrals, points and earnings on every store adapter, including their races."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from kameng.domain.errors import CouponUsedUp
from kameng.domain.member import Commission, IssuedCoupon, chain_below, personal_coupon
from kameng.domain.order import Applied, OrderChange, OrderStatus, PaymentEvent, PaymentKind, decide_payment, deliver, lapse
from kameng.domain.quota import EVERYONE, Quota, QuotaKind, coupon_counter
from kameng.domain.refund import refund_delivered
from kameng.ports.store import Conflict, Duplicate, UnknownRecord

from .store_world import START, an_order
from .test_store_concurrency import race

S = OrderStatus
STATION = "game-zone"


def coupon_order(sku: str, code: str, *, shopper: str = "shopper-a", max_uses: int | None = 1,
                 per_shopper: int | None = None, **kwargs):
    counter = coupon_counter(STATION, code)
    quotas = []
    if max_uses is not None:
        quotas.append(Quota(kind=QuotaKind.COUPON_TOTAL, counter=counter, holder=EVERYONE, cap=max_uses))
    if per_shopper is not None:
        quotas.append(Quota(kind=QuotaKind.COUPON_SHOPPER, counter=counter, holder=shopper, cap=per_shopper))
    order = an_order(sku, station=STATION, shopper_key=shopper, **kwargs)
    return order.model_copy(update={"coupon": code, "coupon_discount": 500, "total": order.total - 500,
                                    "quotas": tuple(quotas)})


def pay_and_deliver(store, order, *, points: int = 0, reward: IssuedCoupon | None = None, holding_days: int = 7):
    event = PaymentEvent(f"evt_{order.id}", PaymentKind.COMPLETED, order.id, "cs_x", True, order.total, "CNY", "pi_x")
    store.orders.apply(decide_payment(order, event, START), START)
    paid = store.orders.order(order.id)
    outcome, delivered = store.orders.apply(deliver(paid, "main", START, points=points, holding_days=holding_days,
                                             reward=reward), START)
    assert outcome is Applied.DONE
    return delivered


# coupons: each use once, even when twenty shoppers race for the last one


def test_twenty_racing_orders_redeem_a_single_use_coupon_once(store, inventory):
    sku = inventory.new_sku(30)
    outcomes = race(20, lambda i: store.orders.place_order(coupon_order(sku, "LUCKY", shopper=f"shopper-{i}")))
    assert Counter(type(o).__name__ for o in outcomes) == {"Order": 1, "CouponUsedUp": 19}
    assert store.counters.quota_count(coupon_counter(STATION, "LUCKY"), EVERYONE) == 1
    counted = inventory.count(sku)
    assert (counted.reserved, inventory.balanced(sku)) == (1, True)


def test_one_shopper_racing_their_own_orders_uses_a_coupon_at_most_per_shopper_times(store, inventory):
    sku = inventory.new_sku(30)
    outcomes = race(12, lambda i: store.orders.place_order(
        coupon_order(sku, "TWICE", shopper="greedy", max_uses=100, per_shopper=2)))
    assert Counter(type(o).__name__ for o in outcomes) == {"Order": 2, "CouponUsedUp": 10}
    assert store.counters.quota_count(coupon_counter(STATION, "TWICE"), "greedy") == 2


def test_an_order_that_lapses_gives_its_coupon_use_back(store, inventory):
    sku = inventory.new_sku(5)
    first = store.orders.place_order(coupon_order(sku, "ONCE"))
    with pytest.raises(CouponUsedUp):
        store.orders.place_order(coupon_order(sku, "ONCE", shopper="shopper-b"))
    assert store.orders.apply(lapse(first), START + timedelta(minutes=20))[0] is Applied.DONE
    assert store.counters.quota_count(coupon_counter(STATION, "ONCE"), EVERYONE) == 0
    second = store.orders.place_order(coupon_order(sku, "ONCE", shopper="shopper-b"))
    assert second.status is S.PENDING


def test_a_late_payment_whose_coupon_was_used_meanwhile_is_refused_not_sold_twice(store, inventory):
    sku = inventory.new_sku(5)
    first = store.orders.place_order(coupon_order(sku, "ONCE"))
    store.orders.apply(lapse(first), START + timedelta(minutes=20))
    store.orders.place_order(coupon_order(sku, "ONCE", shopper="shopper-b"))
    late = store.orders.order(first.id)
    event = PaymentEvent("evt_late", PaymentKind.COMPLETED, late.id, "cs_x", True, late.total, "CNY", "pi_late")
    with pytest.raises(CouponUsedUp):
        store.orders.apply(decide_payment(late, event, START + timedelta(minutes=30)), START + timedelta(minutes=30))
    assert store.counters.quota_count(coupon_counter(STATION, "ONCE"), EVERYONE) == 1
    assert store.orders.order(first.id).status is S.EXPIRED


# delivery and refunds move the member, the referrers' earnings and the reward coupon


def referred_order(sku: str, shopper: str = "buyer"):
    order = an_order(sku, station=STATION, shopper_key=shopper)
    return order.model_copy(update={"commissions": (
        Commission(referrer="parent", level=1, amount=70), Commission(referrer="grandparent", level=2, amount=35))})


def test_delivery_credits_spend_points_orders_earnings_and_a_reward_coupon(store, inventory):
    sku = inventory.new_sku(3)
    reward = personal_coupon(STATION, "parent", "REWARD-1", 200, "referral_reward", START)
    delivered = pay_and_deliver(store, store.orders.place_order(referred_order(sku)), points=102, reward=reward)
    member = store.members.member(STATION, "buyer")
    assert (member.spend, member.points, member.orders) == (delivered.total, 102, 1)
    earned = store.payouts.earnings(STATION, "parent")
    assert [(e.order_id, e.level, e.amount, e.available_at, e.reversed) for e in earned] == [
        (delivered.id, 1, 70, START + timedelta(days=7), False)]
    assert [(e.level, e.amount) for e in store.payouts.earnings(STATION, "grandparent")] == [(2, 35)]
    assert [(c.code, used) for c, used in store.members.coupons_of(STATION, "parent")] == [("REWARD-1", 0)]
    assert store.members.coupon(STATION, "REWARD-1") == reward


def test_a_refund_takes_back_spend_points_and_commissions_exactly(store, inventory):
    sku = inventory.new_sku(3)
    keep = pay_and_deliver(store, store.orders.place_order(an_order(sku, station=STATION, shopper_key="buyer")), points=10)
    refunded = pay_and_deliver(store, store.orders.place_order(referred_order(sku)), points=102)
    outcome, _ = store.orders.apply(refund_delivered(refunded, store.orders.ledger(refunded.id), "re_1", "owner"), START)
    assert outcome is Applied.DONE
    member = store.members.member(STATION, "buyer")
    assert (member.spend, member.points, member.orders) == (keep.total, 10, 2)
    assert [(e.amount, e.reversed, e.available_at) for e in store.payouts.earnings(STATION, "parent")] == [
        (70, True, START + timedelta(days=7))]
    assert sum(entry.amount for entry in store.orders.ledger(refunded.id)) == 0


def test_a_members_record_starts_empty(store):
    member = store.members.member(STATION, "nobody")
    assert (member.spend, member.points, member.orders, member.referrer, member.is_new) == (0, 0, 0, None, True)


# referral binding: first wins, never a cycle, the chain as the referrer had it


def test_open_member_gives_a_code_once_and_finds_the_member_by_it(store):
    first = store.members.open_member(STATION, "alice", "ALICE0001")
    again = store.members.open_member(STATION, "alice", "OTHER0002")
    assert first.referral_code == again.referral_code == "ALICE0001"
    assert store.members.member_by_code(STATION, "ALICE0001").shopper_key == "alice"
    assert store.members.member_by_code(STATION, "NOPE00000") is None
    with pytest.raises(Duplicate):
        store.members.open_member(STATION, "bob", "ALICE0001")
    assert store.members.member_by_code(STATION, "ALICE0001").shopper_key == "alice"


def test_two_referrers_racing_for_one_new_shopper_bind_exactly_one(store):
    referrers = [store.members.open_member(STATION, f"ref-{i}", f"REF{i:06d}") for i in range(8)]
    won = race(8, lambda i: store.members.bind_referrer(STATION, "newbie", referrers[i], chain_below(referrers[i]), None))
    assert won.count(True) == 1
    winner = referrers[won.index(True)].shopper_key
    assert store.members.member(STATION, "newbie").referrer == winner
    assert sum(store.members.member(STATION, r.shopper_key).invitees for r in referrers) == 1


def test_binding_gives_the_welcome_coupon_and_the_chain_of_three(store):
    top = store.members.open_member(STATION, "top", "TOP000001")
    for child, parent in (("mid", "top"), ("low", "mid"), ("base", "low")):
        referrer = store.members.member(STATION, parent)
        assert store.members.bind_referrer(STATION, child, referrer, chain_below(referrer), None)
    welcome = personal_coupon(STATION, "leaf", "WELCOME-1", 500, "welcome", START)
    base = store.members.member(STATION, "base")
    assert store.members.bind_referrer(STATION, "leaf", base, chain_below(base), welcome)
    assert store.members.member(STATION, "leaf").ancestors == ("base", "low", "mid")
    assert [c.code for c, _ in store.members.coupons_of(STATION, "leaf")] == ["WELCOME-1"]
    assert top.invitees == 0 and store.members.member(STATION, "top").invitees == 1


def test_a_shopper_with_a_delivered_order_or_invitees_is_never_bound(store, inventory):
    sku = inventory.new_sku(2)
    pay_and_deliver(store, store.orders.place_order(an_order(sku, station=STATION, shopper_key="veteran")))
    referrer = store.members.open_member(STATION, "ref", "REF000001")
    assert not store.members.bind_referrer(STATION, "veteran", referrer, chain_below(referrer), None)
    # A referred B; B can then never become A's (or anyone's) invitee: no cycle A → B → A.
    a = store.members.open_member(STATION, "a", "AAAA00001")
    assert store.members.bind_referrer(STATION, "b", a, chain_below(a), None)
    b = store.members.member(STATION, "b")
    assert not store.members.bind_referrer(STATION, "a", b, chain_below(b), None)
    assert store.members.member(STATION, "a").referrer is None
    assert store.members.member(STATION, "ref").invitees == 0


def test_a_binding_made_from_a_stale_read_of_the_referrer_is_refused(store):
    stale = store.members.open_member(STATION, "mid", "MID000001")
    top = store.members.open_member(STATION, "top", "TOP000001")
    assert store.members.bind_referrer(STATION, "mid", top, chain_below(top), None)
    # `stale` says mid has no referrer: a chain copied from it would miss "top".
    assert not store.members.bind_referrer(STATION, "leaf", stale, chain_below(stale), None)
    fresh = store.members.member(STATION, "mid")
    assert store.members.bind_referrer(STATION, "leaf", fresh, chain_below(fresh), None)
    assert store.members.member(STATION, "leaf").ancestors == ("mid", "top")


# points: redeemed only while the balance covers them


def test_racing_redemptions_never_spend_more_points_than_the_balance(store, inventory):
    sku = inventory.new_sku(1)
    pay_and_deliver(store, store.orders.place_order(an_order(sku, station=STATION, shopper_key="saver")), points=250)
    coupons = [personal_coupon(STATION, "saver", f"PTS-{i:03d}", 100, "points", START) for i in range(6)]
    won = race(6, lambda i: store.members.redeem_points(STATION, "saver", 100, coupons[i]))
    assert won.count(True) == 2
    assert store.members.member(STATION, "saver").points == 50
    assert len(store.members.coupons_of(STATION, "saver")) == 2


def test_orders_placed_in_a_period_are_the_stations_own(store, inventory):
    sku = inventory.new_sku(6)
    inside = [store.orders.place_order(an_order(sku, station=STATION, at=START + timedelta(hours=h))) for h in (0, 5)]
    store.orders.place_order(an_order(sku, station=STATION, at=START + timedelta(days=1)))
    store.orders.place_order(an_order(sku, station="other", at=START + timedelta(hours=1)))
    found = store.orders.orders_placed(STATION, START, START + timedelta(days=1))
    assert [o.id for o in found] == [o.id for o in inside]


# withdrawals: what was withdrawn is asked for once, settled once


def a_withdrawal(amount: int, n: int = 0):
    from kameng.domain.member import Withdrawal

    return Withdrawal(id=f"01JW{n:022d}", station=STATION, referrer="parent", amount=amount, method="alipay",
                      account="13800000000", name="张三", requested_at=START)


def test_racing_withdrawal_requests_from_one_read_record_one(store):
    store.members.open_member(STATION, "parent", "PARENT001")
    won = race(6, lambda i: store.payouts.request_withdrawal(a_withdrawal(500, i), 0))
    assert won.count(True) == 1
    assert store.members.member(STATION, "parent").withdrawn == 500
    assert [w.amount for w in store.payouts.withdrawals_of(STATION, "parent")] == [500]


def test_a_withdrawal_is_settled_once_and_a_rejection_gives_its_amount_back(store):
    from kameng.domain.member import WithdrawalStatus

    store.members.open_member(STATION, "parent", "PARENT001")
    assert store.payouts.request_withdrawal(a_withdrawal(500, 1), 0)
    assert store.payouts.request_withdrawal(a_withdrawal(300, 2), 500)
    paid = store.payouts.settle_withdrawal(STATION, a_withdrawal(0 + 1, 1).id, WithdrawalStatus.PAID, START, "alipay 123")
    assert (paid.status, paid.note, paid.settled_at) == (WithdrawalStatus.PAID, "alipay 123", START)
    with pytest.raises(Conflict):
        store.payouts.settle_withdrawal(STATION, paid.id, WithdrawalStatus.REJECTED, START, None)
    rejected = store.payouts.settle_withdrawal(STATION, a_withdrawal(1, 2).id, WithdrawalStatus.REJECTED, START, "wrong name")
    assert rejected.status is WithdrawalStatus.REJECTED
    assert store.members.member(STATION, "parent").withdrawn == 500
    assert [w.status for w in store.payouts.withdrawals(STATION)] == [WithdrawalStatus.PAID, WithdrawalStatus.REJECTED]
    assert [w.id for w in store.payouts.withdrawals(STATION, WithdrawalStatus.REJECTED)] == [rejected.id]
    assert [w.status for w in store.payouts.withdrawals_of(STATION, "parent")] == [WithdrawalStatus.REJECTED, WithdrawalStatus.PAID]
    with pytest.raises(UnknownRecord):
        store.payouts.settle_withdrawal(STATION, "01JWNOSUCH", WithdrawalStatus.PAID, START, None)
    with pytest.raises(UnknownRecord):
        store.payouts.settle_withdrawal("another-station", rejected.id, WithdrawalStatus.PAID, START, None)


def test_an_order_of_several_keys_uses_one_of_a_coupons_remaining_uses(store, inventory):
    sku = inventory.new_sku(10)
    store.orders.place_order(coupon_order(sku, "MULTI", shopper="a", max_uses=3))
    store.orders.place_order(coupon_order(sku, "MULTI", shopper="b", max_uses=3, quantity=3))
    assert store.counters.quota_count(coupon_counter(STATION, "MULTI"), EVERYONE) == 2


def test_a_first_order_larger_than_a_quotas_cap_is_refused_on_every_store(store, inventory):
    from kameng.domain.errors import ShopperLimit

    sku = inventory.new_sku(10)
    daily = Quota(kind=QuotaKind.DAILY, counter=f"DAILY#{STATION}#{sku}#2026-03-02", holder="s", cap=2)
    order = an_order(sku, quantity=3, station=STATION, shopper_key="s").model_copy(update={"quotas": (daily,)})
    with pytest.raises(ShopperLimit):
        store.orders.place_order(order)
    assert inventory.count(sku).reserved == 0


def test_refunding_an_order_delivered_without_credits_takes_nothing_off_the_member(store, inventory):
    sku = inventory.new_sku(2)
    delivered = pay_and_deliver(store, store.orders.place_order(an_order(sku, station=STATION, shopper_key="old")))
    uncredited = delivered.model_copy(update={"credited": False, "points": 0})
    change = refund_delivered(uncredited, store.orders.ledger(delivered.id), "re_1", "owner")
    assert (change.member, change.earnings) == (None, ())
    assert store.orders.apply(change, START)[0] is Applied.DONE
    assert store.members.member(STATION, "old").spend == delivered.total  # the credit the refund could not know of stays


def test_an_issued_coupon_is_found_by_its_code_and_listed_for_its_owner_only(store):
    coupon = personal_coupon(STATION, "lucky", "GIFT-0001", 300, "owner", START)
    store.members.issue_coupon(coupon)
    assert store.members.coupon(STATION, "GIFT-0001") == coupon
    assert store.members.coupons_of(STATION, "lucky") == [(coupon, 0)]
    assert store.members.coupons_of(STATION, "someone-else") == []
