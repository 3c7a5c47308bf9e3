"""分账 on Alipay and WeChat Pay: after the payment the station's share goes to its own account, the settlement
report agrees with what was sent, and a refund takes the share back; a split the rail refuses loses nothing."""
from __future__ import annotations

import importlib
from decimal import Decimal

import pytest

from kameng.domain.order import OrderStatus
from kameng.domain.settlement import settle
from kameng.ports.outside import TakeBack
from kameng.services.refunds import refund_order
from tests.rails.conftest import place, post_notification, request_of, session_of

RECEIVERS = {"alipay": "2088102177846880", "wechat": "1900000109"}


class Recording:
    """The rail's own gateway, with every split and refund it is asked for written down."""

    def __init__(self, gateway, refuse_splits: bool = False):
        self.gateway = gateway
        self.refuse_splits = refuse_splits
        self.splits: list[tuple] = []
        self.refunds: list[tuple] = []

    def __getattr__(self, name):
        return getattr(self.gateway, name)

    def split(self, payment_ref, order_id, receiver, amount):
        self.splits.append((order_id, receiver, amount))
        if self.refuse_splits:
            raise ConnectionError("the rail is down")
        return self.gateway.split(payment_ref, order_id, receiver, amount)

    def refund(self, payment_ref, amount, order_id, attempt=0, take_back=None):
        self.refunds.append((order_id, amount, take_back))
        return self.gateway.refund(payment_ref, amount, order_id, attempt, take_back=take_back)


@pytest.fixture(params=sorted(RECEIVERS))
def rail(request, tmp_path):
    harness = importlib.import_module(f"tests.rails.harness_{request.param}").make_harness(tmp_path)
    yield harness
    harness.close()


def paid_order(rail_shop, stations, rail, refuse_splits=False, quantity=1):
    recording = Recording(rail.gateway, refuse_splits)
    shop = rail_shop(rail, receivers={rail.rail: RECEIVERS[rail.rail]}, gateway=recording,
                     platform_fee_percent=Decimal("2"))
    order = place(shop, stations, rail, quantity)
    assert order.payout_account == RECEIVERS[rail.rail] and order.application_fee > 0
    answer = post_notification(rail.rail, rail.pay(session_of(order), request_of(order), None))
    assert 200 <= answer["statusCode"] < 300
    return shop[0], recording, shop[0].store.orders.order(order.id)


def test_the_stations_share_is_split_to_its_own_account_once_and_the_settlement_agrees(rail_shop, stations, rail):
    deps, recording, order = paid_order(rail_shop, stations, rail)
    share = order.total - order.application_fee
    assert order.status is OrderStatus.DELIVERED
    assert recording.splits == [(order.id, RECEIVERS[rail.rail], share)]
    assert (order.split_sent, bool(order.split_ref)) == (share, True)
    # The same notification again splits nothing more.
    post_notification(rail.rail, rail.pay(session_of(order), request_of(order), None)) if rail.rail == "alipay" else None
    assert len(recording.splits) == 1
    report = settle(stations.substation, "CNY", [(order, deps.store.orders.ledger(order.id))])
    assert report.totals["transferred"] == share == report.totals["net"]
    assert report.totals["balance_due"] == 0


def test_a_refund_takes_the_share_back_from_the_station(rail_shop, stations, rail):
    deps, recording, order = paid_order(rail_shop, stations, rail)
    refunded, done = refund_order(order.id, "the key did not work", deps)
    assert done and refunded.status is OrderStatus.REFUNDED
    assert recording.refunds == [(order.id, order.total, TakeBack(RECEIVERS[rail.rail], order.split_sent, order.split_sent))]
    report = settle(stations.substation, "CNY", [(refunded, deps.store.orders.ledger(order.id))])
    assert report.totals["transferred"] == 0 and report.totals["balance_due"] == 0


def test_a_split_the_rail_refuses_leaves_the_share_in_the_balance_due(rail_shop, stations, rail):
    deps, recording, order = paid_order(rail_shop, stations, rail, refuse_splits=True)
    assert order.status is OrderStatus.DELIVERED  # the shopper's keys never wait for a split
    assert len(recording.splits) == 1 and order.split_sent == 0
    report = settle(stations.substation, "CNY", [(order, deps.store.orders.ledger(order.id))])
    assert report.totals["transferred"] == 0
    assert report.totals["balance_due"] == report.totals["net"] == order.total - order.application_fee
    refund_order(order.id, "refused", deps)
    assert recording.refunds[-1][2] is None  # nothing was split, so nothing is taken back


def test_refunds_of_some_keys_take_back_the_share_step_by_step_and_exactly_all_of_it(rail_shop, stations, rail):
    from kameng.services.refunds import refund_keys

    deps, recording, order = paid_order(rail_shop, stations, rail, quantity=3)
    first, second, third = order.key_ids
    for key in (first, second):
        refund_keys(order.id, [key], "a key did not work", deps)
    refund_order(order.id, "the rest", deps)
    backs = [back for _, _, back in recording.refunds]
    assert sum(back.amount for back in backs) == order.split_sent
    assert [back.taken_after for back in backs] == sorted({back.taken_after for back in backs})
    refunded = deps.store.orders.order(order.id)
    report = settle(stations.substation, "CNY", [(refunded, deps.store.orders.ledger(order.id))])
    assert report.totals["transferred"] == 0 and report.totals["balance_due"] == 0


def test_a_share_above_what_the_rail_lets_be_split_sends_the_most_it_allows_and_the_rest_stays_due(
        rail_shop, stations, rail):
    rail.gateway.max_share_percent = 5  # a merchant that never asked its rail for more than the default
    deps, recording, order = paid_order(rail_shop, stations, rail)
    allowed = order.total * 5 // 100
    assert allowed < order.total - order.application_fee
    assert recording.splits == [(order.id, RECEIVERS[rail.rail], allowed)] and order.split_sent == allowed
    report = settle(stations.substation, "CNY", [(order, deps.store.orders.ledger(order.id))])
    assert report.totals["transferred"] == allowed
    assert report.totals["balance_due"] == report.totals["net"] - allowed
