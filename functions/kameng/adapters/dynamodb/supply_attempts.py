"""Supply attempts: an ATTEMPT item per request id and an entry under its order (keys_supply.py).

Every write is conditional: a new attempt is put only if its request id is not kept, and an update
only while the item still has the status and quantities the caller read. The sweeper's list is the
sparse part of the `due` index under SUPPLY#<n>, so no request path and no sweep ever scans.
"""
from __future__ import annotations

import itertools
import json
from datetime import datetime

from kameng.adapters.dynamodb import keys_supply as keys
from kameng.adapters.dynamodb.table import Named, Table, instant, n, s
from kameng.adapters.supply_attempt_record import attempt_of, check_new, check_update, fields_of, listed
from kameng.domain.supply import SupplyAttempt
from kameng.ports.store import Duplicate, UnknownRecord

_UNCHANGED = ("attribute_exists(pk) AND #status = :status AND quantity_delivered = :delivered "
              "AND quantity_applied = :applied")


def _item(attempt: SupplyAttempt) -> dict:
    sweep = keys.sweep_index(attempt.request_id, attempt.started_at) if listed(attempt) else {}
    return keys.supply_attempt(attempt.request_id) | {
        "body": s(json.dumps(fields_of(attempt), ensure_ascii=False)), "request_id": s(attempt.request_id),
        "order_id": s(attempt.order_id), "status": s(attempt.status),
        "quantity_delivered": n(attempt.quantity_delivered), "quantity_applied": n(attempt.quantity_applied),
    } | sweep


def _attempt(item: dict) -> SupplyAttempt:
    return attempt_of(json.loads(item["body"]["S"]))


class DynamoSupplyAttempts:
    def __init__(self, table: Table):
        self.table = table

    def start_attempt(self, attempt: SupplyAttempt) -> None:
        check_new(attempt)
        entry = keys.order_attempt(attempt.order_id, attempt.started_at, attempt.request_id)
        items = [Named("attempt", {"Put": {"Item": _item(attempt), "ConditionExpression": "attribute_not_exists(pk)"}}),
                 Named("listed", {"Put": {"Item": entry | {"request_id": s(attempt.request_id)}}})]
        if not self.table.transact_or_refuse(items, "starting a supply attempt"):
            raise Duplicate(f"an attempt {attempt.request_id} is kept already")

    def attempt(self, request_id: str) -> SupplyAttempt | None:
        item = self.table.get(keys.supply_attempt(request_id))
        return None if item is None else _attempt(item)

    def attempts_of(self, order_id: str) -> list[SupplyAttempt]:
        ids = [item["request_id"]["S"] for item in self.table.items_under(keys.order_attempts(order_id))]
        return self._attempts(ids)

    def update_attempt(self, attempt: SupplyAttempt, seen: SupplyAttempt) -> bool:
        check_update(attempt, seen)
        written = self.table.put(_item(attempt), ConditionExpression=_UNCHANGED,
                                 ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues={
                                     ":status": s(seen.status), ":delivered": n(seen.quantity_delivered),
                                     ":applied": n(seen.quantity_applied)})
        if not written and self.table.get(keys.supply_attempt(seen.request_id), ("pk",)) is None:
            raise UnknownRecord(f"no attempt {seen.request_id}")
        return written

    def open_attempts(self, started_before: datetime, limit: int) -> list[SupplyAttempt]:
        if limit <= 0:
            return []
        found: list[tuple[str, str]] = []
        for partition in range(keys.SUPPLY_PARTITIONS):
            found += [(item["duesk"]["S"], item["pk"]["S"]) for item in itertools.islice(self.table.query(
                IndexName="due", KeyConditionExpression="duepk = :supply AND duesk < :before",
                ExpressionAttributeValues={":supply": s(keys.supply_partition(partition)),
                                           ":before": s(instant(started_before))},
                Limit=limit,
            ), limit)]
        ids = [pk.split("#", 1)[1] for _, pk in sorted(found)[:limit]]
        # The index lags the table a little: believe the attempt itself.
        return [a for a in self._attempts(ids) if listed(a) and a.started_at < started_before]

    def _attempts(self, request_ids: list[str]) -> list[SupplyAttempt]:
        items = self.table.batch_get([keys.supply_attempt(request_id) for request_id in request_ids])
        return sorted((_attempt(item) for item in items), key=lambda a: (a.started_at, a.request_id))
