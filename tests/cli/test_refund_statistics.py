"""`kameng refund` takes the order's delivery back out of the statistics, once."""
from zoneinfo import ZoneInfo

from kameng.domain.stats import DEFAULT_TIME_ZONE, Figures, station_day

from .test_refund import delivered


def test_a_refund_subtracts_its_delivery_from_the_day(shop, kameng, keys_file):
    order = delivered(shop, kameng, keys_file)
    day = station_day(order.created_at, ZoneInfo(DEFAULT_TIME_ZONE))
    stats = shop.deps.store.statistics
    assert stats.days(order.station, day, day)[0].figures == Figures(gmv=order.total, orders=1, keys=2)

    kameng("refund", order.id)
    kameng("refund", order.id)

    assert stats.days(order.station, day, day)[0].figures == Figures(refunded=order.total, refunds=1)
    assert (stats.buyer(order.station, order.shopper_key).orders, stats.buyer(order.station, order.shopper_key).spend) \
        == (0, 0)
