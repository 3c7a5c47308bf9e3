"""Key refunds in the statistics on every store: each refund of some keys takes back exactly the keys' share
(of the GMV, the buyer's spend and each referrer's commissions) once, on the order's day, and a fully refunded
order nets to nothing but its refund."""
from __future__ import annotations

from kameng.domain.key_refund import KeyRefund, key_refund
from kameng.domain.member import Commission
from kameng.domain.order import Order, OrderStatus
from kameng.domain.stats import BuyerCounts, CohortCell, Counted, Figures, ReferrerShare, Tally, contribution, \
    key_refund_contribution, week_of

from .store_world import START, an_order

DAY = START.date()
D, R, K = Counted.DELIVERED, Counted.REFUNDED, Counted.KEYS_REFUNDED
KEYS = ("key-a", "key-b", "key-c")
# 10001 over 3 keys: 3334, 3334, 3333; the commissions 500 and 200: 167, 167, 166 and 67, 67, 66.
TOTAL = 10001


def three_keys() -> Order:
    order = an_order("sku-1", 3, shopper_key="invitee", unit_price=3334)
    return order.model_copy(update={
        "total": TOTAL, "key_ids": KEYS, "status": OrderStatus.DELIVERED,
        "commissions": (Commission(referrer="ref-1", level=1, amount=500),
                        Commission(referrer="ref-2", level=2, amount=200))})


def count(store, order: Order, kind: Counted = D) -> bool:
    return store.statistics.record(order.id, kind, contribution(order, kind))


def count_keys(store, refund: KeyRefund) -> bool:
    return store.statistics.record(refund.order.id, K, key_refund_contribution(refund),
                                   refunded_before=len(refund.order.refunded_key_ids))


def after(refund: KeyRefund) -> Order:
    """The order as the store holds it after the refund (domain/key_refund.py refund_keys_change)."""
    order = refund.order
    if refund.completes:
        return order.model_copy(update={"status": OrderStatus.REFUNDED})
    return order.model_copy(update={"refunded_key_ids": order.refunded_key_ids + refund.key_ids,
                                    "partly_refunded": order.partly_refunded + refund.amount})


def figures(store) -> Figures:
    (day,) = store.statistics.days("main", DAY, DAY)
    (sku_day,) = store.statistics.sku_days("main", "sku-1", DAY, DAY)
    assert sku_day.figures == day.figures
    return day.figures


def spend(store) -> tuple[int, int]:
    buyer = store.statistics.buyer("main", "invitee")
    return buyer.orders, buyer.spend


def referrers(store) -> list[ReferrerShare]:
    return sorted(store.statistics.referrers("main", DAY, DAY), key=lambda share: share.referrer)


def invitee_tallies(store) -> tuple[int, int, int]:
    day = store.statistics.tallies("main", DAY, DAY)[DAY]
    return day[Tally.INVITEE_ORDERS], day[Tally.INVITEE_GMV], day[Tally.COMMISSIONS]


def test_one_key_then_the_two_left_take_back_each_its_share_on_the_orders_day(store):
    order = three_keys()
    assert count(store, order)
    assert figures(store) == Figures(gmv=TOTAL, orders=1, keys=3)

    first = key_refund(order, ["key-c"])
    assert count_keys(store, first) is True
    assert figures(store) == Figures(gmv=6668, orders=1, keys=2, refunded=3333, refunds=0)
    assert spend(store) == (1, 6668)
    assert referrers(store) == [ReferrerShare("ref-1", 1, 6668, 334), ReferrerShare("ref-2", 1, 6668, 134)]
    assert invitee_tallies(store) == (1, 6668, 468)

    # The two keys left complete the order: it is refunded, and counted as REFUNDED, taking back the rest.
    last = key_refund(after(first), ["key-a", "key-b"])
    assert last.completes and last.amount == 6668
    assert count(store, after(last), R) is True
    assert figures(store) == Figures(gmv=0, orders=0, keys=0, refunded=TOTAL, refunds=1)
    assert spend(store) == (0, 0)
    assert referrers(store) == [ReferrerShare("ref-1", 0, 0, 0), ReferrerShare("ref-2", 0, 0, 0)]
    assert invitee_tallies(store) == (0, 0, 0)


def test_two_key_refunds_then_the_rest_net_to_exactly_zero(store):
    order = three_keys()
    count(store, order)
    first = key_refund(order, ["key-b"])
    second = key_refund(after(first), ["key-a"])
    assert (count_keys(store, first), count_keys(store, second)) == (True, True)
    assert figures(store) == Figures(gmv=3333, orders=1, keys=1, refunded=6668, refunds=0)
    assert referrers(store) == [ReferrerShare("ref-1", 1, 3333, 166), ReferrerShare("ref-2", 1, 3333, 66)]

    assert count(store, after(second), R) is True  # the whole refund of the one key left
    assert figures(store) == Figures(gmv=0, orders=0, keys=0, refunded=TOTAL, refunds=1)
    assert spend(store) == (0, 0)
    assert referrers(store) == [ReferrerShare("ref-1", 0, 0, 0), ReferrerShare("ref-2", 0, 0, 0)]
    assert invitee_tallies(store) == (0, 0, 0)


def test_a_key_refund_then_a_whole_refund_of_the_rest_nets_to_exactly_zero(store):
    order = three_keys()
    count(store, order)
    refund = key_refund(order, ["key-a", "key-c"])
    count_keys(store, refund)
    assert figures(store) == Figures(gmv=3334, orders=1, keys=1, refunded=6667)

    assert count(store, after(refund), R) is True
    assert figures(store) == Figures(gmv=0, orders=0, keys=0, refunded=TOTAL, refunds=1)
    assert spend(store) == (0, 0)
    assert invitee_tallies(store) == (0, 0, 0)


def test_the_same_key_refund_counted_twice_counts_once(store):
    order = three_keys()
    count(store, order)
    refund = key_refund(order, ["key-a"])

    assert (count_keys(store, refund), count_keys(store, refund)) == (True, False)
    assert figures(store) == Figures(gmv=6667, orders=1, keys=2, refunded=3334)
    assert spend(store) == (1, 6667)
    # The next key refund of the order is another one, counted once too.
    following = key_refund(after(refund), ["key-b"])
    assert (count_keys(store, following), count_keys(store, following)) == (True, False)
    assert figures(store) == Figures(gmv=3333, orders=1, keys=1, refunded=6668)


def test_a_key_refund_of_an_order_never_counted_as_delivered_changes_nothing(store):
    order = three_keys()
    assert count_keys(store, key_refund(order, ["key-a"])) is False
    assert store.statistics.days("main", DAY, DAY) == []
    assert count(store, order) is True and count_keys(store, key_refund(order, ["key-a"])) is True


def test_a_key_refund_leaves_the_order_its_buyer_and_cohort(store):
    order = three_keys()
    count(store, order)
    count_keys(store, key_refund(order, ["key-b"]))

    stats, week = store.statistics, week_of(DAY)
    assert stats.paying_buyers("main", DAY, DAY) == BuyerCounts(paying=1, repeat=0)
    assert stats.cohorts("main", week, week) == [CohortCell(week, 0, 1)]
    assert stats.tallies("main", DAY, DAY)[DAY][Tally.NEW_BUYERS] == 1
    buyer = stats.buyer("main", "invitee")
    assert (buyer.first_day, buyer.last_day, buyer.orders) == (DAY, DAY, 1)
