"""Daily rollups and buyer records (keys.py: STATS#, BUYER#, COUNTED#), each order counted once per kind."""
from __future__ import annotations

from datetime import date, timedelta

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Named, Table, n, number
from kameng.domain.stats import BuyerRecord, Counted, DayTotals, Figures, StatsDelta

_FIGURES = ("gmv", "orders", "keys", "refunded", "refunds")
# A console asks for weeks or months; a range past this is read in one BatchGetItem per 100 days anyway.
MAX_DAYS = 3660


def _add_figures(name: str, key: dict, figures: Figures) -> Named:
    values = {f":{field}": n(getattr(figures, field)) for field in _FIGURES}
    return Named(name, {"Update": {
        "Key": key, "UpdateExpression": "ADD " + ", ".join(f"#{field} :{field}" for field in _FIGURES),
        "ExpressionAttributeNames": {f"#{field}": field for field in _FIGURES}, "ExpressionAttributeValues": values,
    }})


def _add_to_buyer(delta: StatsDelta) -> Named:
    return Named("buyer", {"Update": {
        "Key": keys.stats_buyer(delta.station, delta.shopper_key),
        "UpdateExpression": "ADD #orders :orders, #spend :spend, #days :day",
        "ExpressionAttributeNames": {"#orders": "orders", "#spend": "spend", "#days": "days"},
        "ExpressionAttributeValues": {":orders": n(delta.buyer_orders), ":spend": n(delta.spend),
                                      ":day": {"SS": [delta.day.isoformat()]}},
    }})


def _marker(order_id: str, kind: Counted) -> Named:
    return Named("marker", {"Put": {
        "Item": keys.counted(order_id, kind.value), "ConditionExpression": "attribute_not_exists(pk)"}})


def _delivery_counted(order_id: str) -> Named:
    # A refund takes back only what a delivery added: an order refunded before delivery adds nothing.
    # An update, not a ConditionCheck, so the functions' roles need no permission beyond Put and Update.
    return Named("delivery", {"Update": {
        "Key": keys.counted(order_id, Counted.DELIVERED.value), "ConditionExpression": "attribute_exists(pk)",
        "UpdateExpression": "SET #refund_counted = :yes", "ExpressionAttributeNames": {"#refund_counted": "refund_counted"},
        "ExpressionAttributeValues": {":yes": {"BOOL": True}}}})


def _totals(station: str, item: dict) -> DayTotals:
    day, sku = keys.stats_day_of(item)
    return DayTotals(station, day, sku, Figures(*(number(item, field) for field in _FIGURES)))


def _days_between(start: date, end: date) -> list[date]:
    count = (end - start).days + 1
    if count > MAX_DAYS:
        raise ValueError(f"a range of {count} days is over {MAX_DAYS}")
    return [start + timedelta(days=i) for i in range(max(count, 0))]


class DynamoStatistics:
    def __init__(self, table: Table):
        self.table = table

    def record(self, order_id: str, kind: Counted, delta: StatsDelta) -> bool:
        items = [_marker(order_id, kind)]
        if kind is Counted.REFUNDED:
            items.append(_delivery_counted(order_id))
        items += [_add_figures("day", keys.stats_day(delta.station, delta.day), delta.figures),
                  _add_figures("sku_day", keys.stats_day(delta.station, delta.day, delta.sku), delta.figures),
                  _add_to_buyer(delta)]
        return self.table.transact_or_refuse(items, f"counting order {order_id} {kind.value}")

    def days(self, station: str, start: date, end: date) -> list[DayTotals]:
        found = self.table.batch_get([keys.stats_day(station, day) for day in _days_between(start, end)])
        return sorted((_totals(station, item) for item in found), key=lambda totals: totals.day)

    def sku_days(self, station: str, sku: str | None, start: date, end: date) -> list[DayTotals]:
        days = _days_between(start, end)
        if sku is not None:
            found = self.table.batch_get([keys.stats_day(station, day, sku) for day in days])
        else:
            found = [item for day in days for item in self.table.items_under(keys.stats_sku_days(station, day))]
        return sorted((_totals(station, item) for item in found), key=lambda totals: (totals.day, totals.sku or ""))

    def buyer(self, station: str, shopper_key: str) -> BuyerRecord | None:
        item = self.table.get(keys.stats_buyer(station, shopper_key))
        if item is None:
            return None
        days = sorted(item.get("days", {}).get("SS", []))
        return BuyerRecord(station, shopper_key, date.fromisoformat(days[0]), date.fromisoformat(days[-1]),
                           number(item, "orders"), number(item, "spend"))
