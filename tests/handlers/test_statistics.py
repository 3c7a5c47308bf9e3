"""Deliveries reach the statistics through the handlers, once however often they are told."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from kameng.domain.order import OrderStatus
from kameng.domain.stats import DEFAULT_TIME_ZONE, station_day
from kameng.handlers import release as release_handler

COMPLETED_PAID = "stripe_checkout_session_completed_paid"


def day_of(deps, order_id):
    order = deps.store.orders.order(order_id)
    return order, station_day(order.created_at, ZoneInfo(DEFAULT_TIME_ZONE))


def totals(deps, station, day):
    return [(d.figures.gmv, d.figures.orders, d.figures.keys) for d in deps.store.statistics.days(station, day, day)]


def stream_record(order, old_status: str, sequence: str = "1") -> dict:
    image = {"pk": {"S": f"ORDER#{order.id}"}, "sk": {"S": "ORDER"}, "status": {"S": order.status.value},
             "body": {"S": order.model_dump_json()}}
    return {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": sequence, "NewImage": image,
                                                 "OldImage": image | {"status": {"S": old_status}}}}


def test_a_delivered_order_shows_in_its_stations_day(stations, sku_with_keys, place, pay, deps):
    placed = place(stations.substation, sku_with_keys(3).sku, 2)
    pay(placed)
    order, day = day_of(deps, placed.order_id)
    assert totals(deps, stations.substation, day) == [(order.total, 1, 2)]
    assert deps.store.statistics.buyer(stations.substation, order.shopper_key).orders == 1


def test_a_duplicate_webhook_does_not_count_twice(stations, sku_with_keys, place, pay, deps, payment_event,
                                                 deliver_webhook):
    placed = place(stations.substation, sku_with_keys(3).sku)
    pay(placed)
    assert deliver_webhook(payment_event(placed, COMPLETED_PAID)).status == 200
    order, day = day_of(deps, placed.order_id)
    assert totals(deps, stations.substation, day) == [(order.total, 1, 1)]


def test_the_stream_counts_a_delivered_image_once_however_often_it_comes(stations, sku_with_keys, place, pay, deps):
    placed = place(stations.substation, sku_with_keys(3).sku)
    pay(placed)
    order, day = day_of(deps, placed.order_id)
    record = stream_record(order, "paid")
    for _ in range(2):
        assert release_handler.handler({"Records": [record, record]}) == {"batchItemFailures": []}
    assert totals(deps, stations.substation, day) == [(order.total, 1, 1)]


def test_the_stream_counts_a_refund_it_is_shown(stations, sku_with_keys, place, pay, deps):
    placed = place(stations.substation, sku_with_keys(3).sku)
    pay(placed)
    order, day = day_of(deps, placed.order_id)
    refunded = order.model_copy(update={"status": OrderStatus.REFUNDED})
    release_handler.handler({"Records": [stream_record(refunded, "delivered")] * 2})
    (counted,) = deps.store.statistics.days(stations.substation, day, day)
    assert (counted.figures.gmv, counted.figures.orders, counted.figures.refunded, counted.figures.refunds) == \
        (0, 0, order.total, 1)
