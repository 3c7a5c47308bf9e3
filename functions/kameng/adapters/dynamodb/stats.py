"""Daily rollups and buyer records (keys.py: STATS#, BUYER#, COUNTED#), each order counted once per kind (and
once per key refund)."""
from __future__ import annotations

from datetime import date, timedelta

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import ATTEMPTS, Cancelled, Named, StoreBusy, Table, n, number, pause
from kameng.domain.stats import (BuyerCounts, BuyerRecord, CohortCell, Counted, DayTotals, Figures, ReferrerShare,
                                 StatsDelta, Tally, counted_marker, week_offset)

_FIGURES = ("gmv", "orders", "keys", "refunded", "refunds")
# A console asks for weeks or months; a range past this is read in one BatchGetItem per 100 days anyway.
MAX_DAYS = 3660


def _add_figures(name: str, key: dict, figures: Figures) -> Named:
    values = {f":{field}": n(getattr(figures, field)) for field in _FIGURES}
    return Named(name, {"Update": {
        "Key": key, "UpdateExpression": "ADD " + ", ".join(f"#{field} :{field}" for field in _FIGURES),
        "ExpressionAttributeNames": {f"#{field}": field for field in _FIGURES}, "ExpressionAttributeValues": values,
    }})


def _add(name: str, key: dict, values: dict[str, int], **extra) -> Named:
    return Named(name, {"Update": {
        "Key": key, "UpdateExpression": "ADD " + ", ".join(f"#{field} :{field}" for field in values),
        "ExpressionAttributeNames": {f"#{field}": field for field in values},
        "ExpressionAttributeValues": {f":{field}": n(value) for field, value in values.items()}, **extra}})


def _add_to_buyer(delta: StatsDelta, cohort: date | None, new: bool) -> Named:
    # The cohort is set once; every later count checks it is still what was read, so two first
    # deliveries racing cannot both make the buyer new.
    update = "ADD #orders :orders, #spend :spend, #days :day"
    values = {":orders": n(delta.buyer_orders), ":spend": n(delta.spend), ":day": {"SS": [delta.day.isoformat()]}}
    condition = "attribute_not_exists(#cohort)"
    if cohort is not None:
        values[":cohort"] = {"S": cohort.isoformat()}
        if new:
            update = "SET #cohort = :cohort " + update
        else:
            condition = "#cohort = :cohort"
    return Named("buyer", {"Update": {
        "Key": keys.stats_buyer(delta.station, delta.shopper_key), "UpdateExpression": update,
        "ConditionExpression": condition, "ExpressionAttributeValues": values,
        "ExpressionAttributeNames": {"#orders": "orders", "#spend": "spend", "#days": "days", "#cohort": "cohort"},
    }})


def _add_to_week(delta: StatsDelta, before: int | None) -> Named:
    key = keys.stats_buyer_week(delta.station, delta.shopper_key, delta.week)
    if before is None:
        return _add("buyer_week", key, {"orders": delta.buyer_orders}, ConditionExpression="attribute_not_exists(pk)")
    return Named("buyer_week", {"Update": {
        "Key": key, "UpdateExpression": "ADD #orders :orders", "ConditionExpression": "#orders = :before",
        "ExpressionAttributeNames": {"#orders": "orders"},
        "ExpressionAttributeValues": {":orders": n(delta.buyer_orders), ":before": n(before)}}})


def _cohort_moves(delta: StatsDelta, cohort: date | None, before: int) -> list[Named]:
    offset = None if cohort is None else week_offset(cohort, delta.week)
    after = before + delta.buyer_orders
    if offset is None or (before > 0) == (after > 0):
        return []
    return [_add("cohort", keys.stats_cohort(delta.station, cohort, offset), {"buyers": 1 if after > 0 else -1})]


def _buyer_days(delta: StatsDelta, cohort: date | None, before: int | None) -> list[Named]:
    """The buyer's day and week, and the cohort cells a week gaining its first order kept (or losing its last) moves."""
    return [_add_to_week(delta, before),
            _add("buyer_day", keys.stats_of_day("BUYERS", delta.station, delta.day, delta.shopper_key),
                 {"orders": delta.buyer_orders}),
            *_cohort_moves(delta, cohort, before or 0)]


def _activity(delta: StatsDelta, buyer: dict | None, week: dict | None, kind: Counted) -> list[Named]:
    """The buyer's record and cohort, the day's tallies and the referrers; and but for a key refund (its
    order still stands) the buyer's day and week."""
    cohort_text = ((buyer or {}).get("cohort") or {}).get("S")
    new = cohort_text is None and kind is Counted.DELIVERED
    cohort = delta.week if new else (date.fromisoformat(cohort_text) if cohort_text else None)
    tallies = {tally.value: value for tally, value in delta.tallies.items()}
    items = [_add_to_buyer(delta, cohort, new)]
    if kind is not Counted.KEYS_REFUNDED:
        items += _buyer_days(delta, cohort, None if week is None else number(week, "orders"))
    if new:
        tallies[Tally.NEW_BUYERS.value] = 1
        items.append(_add("cohort_size", keys.stats_cohort(delta.station, delta.week, 0), {"buyers": 1}))
    if tallies:
        items.append(_add("tallies", keys.stats_tally(delta.station, delta.day), tallies))
    items += [_add(f"referrer_{i}", keys.stats_of_day("REFERRERS", delta.station, delta.day, share.referrer),
                   {"orders": share.orders, "gmv": share.gmv, "commissions": share.commissions})
              for i, share in enumerate(delta.referrers)]
    return items


def _marker(order_id: str, kind: Counted | Tally, refunded_before: int = 0) -> Named:
    marker = counted_marker(kind, refunded_before) if isinstance(kind, Counted) else kind.value
    return Named("marker", {"Put": {
        "Item": keys.counted(order_id, marker), "ConditionExpression": "attribute_not_exists(pk)"}})


# What the delivery's marker notes when a refund of it is counted: the refund, or one more key refund.
_NOTED = {Counted.REFUNDED: ("SET #noted = :noted", "refund_counted", {"BOOL": True}),
          Counted.KEYS_REFUNDED: ("ADD #noted :noted", "key_refunds_counted", n(1))}


def _delivery_counted(order_id: str, kind: Counted) -> Named:
    # A refund takes back only what a delivery added: an order refunded before delivery adds nothing.
    # An update, not a ConditionCheck, so the functions' roles need no permission beyond Put and Update.
    update, field, value = _NOTED[kind]
    return Named("delivery", {"Update": {
        "Key": keys.counted(order_id, Counted.DELIVERED.value), "ConditionExpression": "attribute_exists(pk)",
        "UpdateExpression": update, "ExpressionAttributeNames": {"#noted": field},
        "ExpressionAttributeValues": {":noted": value}}})


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

    def record(self, order_id: str, kind: Counted, delta: StatsDelta, refunded_before: int = 0) -> bool:
        guards = [_marker(order_id, kind, refunded_before)]
        if kind is not Counted.DELIVERED:
            guards.append(_delivery_counted(order_id, kind))
        figures = [_add_figures("day", keys.stats_day(delta.station, delta.day), delta.figures),
                   _add_figures("sku_day", keys.stats_day(delta.station, delta.day, delta.sku), delta.figures)]
        for attempt in range(ATTEMPTS):
            # The buyer's cohort and week are read, then written under the condition that they are unchanged:
            # a transaction cannot branch on what it finds.
            buyer = self.table.get(keys.stats_buyer(delta.station, delta.shopper_key), ["cohort"])
            week = (None if kind is Counted.KEYS_REFUNDED else
                    self.table.get(keys.stats_buyer_week(delta.station, delta.shopper_key, delta.week), ["orders"]))
            try:
                self.table.transact(guards + figures + _activity(delta, buyer, week, kind))
                return True
            except Cancelled as cancelled:
                if cancelled.failed & {"marker", "delivery"}:
                    return False
                pause(attempt)
        raise StoreBusy(f"counting order {order_id} {kind.value} kept conflicting")

    def _under(self, key: dict):
        return self.table.items_under((key["pk"]["S"], key["sk"]["S"]))

    def count_once(self, marker: str, station: str, day: date, tally: Tally) -> bool:
        return self.table.transact_or_refuse(
            [_marker(marker, tally), _add("tallies", keys.stats_tally(station, day), {tally.value: 1})],
            f"counting {tally.value} {marker}")

    def tallies(self, station: str, start: date, end: date) -> dict[date, dict[Tally, int]]:
        found = self.table.batch_get([keys.stats_tally(station, day) for day in _days_between(start, end)])
        return {keys.stats_day_of(item)[0]: {tally: number(item, tally.value) for tally in Tally if tally.value in item}
                for item in found}

    def paying_buyers(self, station: str, start: date, end: date) -> BuyerCounts:
        orders: dict[str, int] = {}
        for day in _days_between(start, end):
            for item in self._under(keys.stats_of_day("BUYERS", station, day)):
                kept = number(item, "orders")
                if kept > 0:
                    shopper = keys.who_of(item)
                    orders[shopper] = orders.get(shopper, 0) + kept
        return BuyerCounts(len(orders), sum(1 for count in orders.values() if count >= 2))

    def cohorts(self, station: str, first_week: date, last_week: date) -> list[CohortCell]:
        low, high = keys.stats_cohort(station, first_week, ""), keys.stats_cohort(station, last_week, "~")
        found = self.table.query(KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high", ConsistentRead=True,
                                 ExpressionAttributeValues={":pk": low["pk"], ":low": low["sk"], ":high": high["sk"]})
        return [CohortCell(*keys.cohort_of(item), number(item, "buyers")) for item in found]

    def referrers(self, station: str, start: date, end: date) -> list[ReferrerShare]:
        totals: dict[str, list[int]] = {}
        for day in _days_between(start, end):
            for item in self._under(keys.stats_of_day("REFERRERS", station, day)):
                sums = totals.setdefault(keys.who_of(item), [0, 0, 0])
                for i, field in enumerate(("orders", "gmv", "commissions")):
                    sums[i] += number(item, field)
        return [ReferrerShare(referrer, *sums) for referrer, sums in totals.items()]

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
