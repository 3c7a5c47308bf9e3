"""Substations' payouts and each station's committed total, in one partition per station."""
from __future__ import annotations

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Named, Table, n, number, s
from kameng.domain.payouts import PayoutStatus, StationPayout
from kameng.ports.store import Conflict, Duplicate, UnknownRecord


def _payout_put(payout: StationPayout, condition: dict) -> Named:
    return Named("payout", {"Put": {"Item": keys.payout(payout.station, payout.id) | {
        "body": s(payout.model_dump_json()), "status": s(payout.status.value)}} | condition})


def _add_to_total(station: str, amount: int, condition: dict | None = None) -> Named:
    update = {"Key": keys.payout_total(station), "UpdateExpression": "ADD #committed :amount",
              "ExpressionAttributeNames": {"#committed": "committed"},
              "ExpressionAttributeValues": {":amount": n(amount)}}
    if condition:
        update["ConditionExpression"] = condition["expression"]
        update["ExpressionAttributeValues"] |= condition["values"]
    return Named("total", {"Update": update})


class DynamoStationPayouts:
    def __init__(self, table: Table):
        self.table = table

    def request_payout(self, payout: StationPayout, ceiling: int) -> bool:
        if payout.amount > ceiling:
            return False
        # The sum is checked by the condition on the one total item, so racing requests cannot both fit.
        within = {"expression": "attribute_not_exists(#committed) OR #committed <= :room",
                  "values": {":room": n(ceiling - payout.amount)}}
        items = [_add_to_total(payout.station, payout.amount, within),
                 _payout_put(payout, {"ConditionExpression": "attribute_not_exists(pk)"})]
        if self.table.transact_or_refuse(items, "a payout request"):
            return True
        if self.table.get(keys.payout(payout.station, payout.id), ("pk",)) is not None:
            raise Duplicate(f"payout {payout.id} already exists")
        return False

    def committed(self, station: str) -> int:
        item = self.table.get(keys.payout_total(station), ("committed",))
        return 0 if item is None else number(item, "committed")

    def payout(self, station: str, payout_id: str) -> StationPayout | None:
        item = self.table.get(keys.payout(station, payout_id))
        return None if item is None else StationPayout.model_validate_json(item["body"]["S"])

    def payouts(self, station: str) -> list[StationPayout]:
        return [StationPayout.model_validate_json(item["body"]["S"])
                for item in self.table.items_under(keys.payouts_of(station), ScanIndexForward=False)]

    def decide_payout(self, decided: StationPayout, seen: StationPayout) -> StationPayout:
        still = {"ConditionExpression": "#body = :seen", "ExpressionAttributeNames": {"#body": "body"},
                 "ExpressionAttributeValues": {":seen": s(seen.model_dump_json())}}
        items = [_payout_put(decided, still)]
        if decided.status is PayoutStatus.REJECTED and seen.committed:
            items.append(_add_to_total(decided.station, -decided.amount))
        if self.table.transact_or_refuse(items, "deciding a payout"):
            return decided
        if self.payout(decided.station, decided.id) is None:
            raise UnknownRecord(f"no payout {decided.id} at {decided.station}")
        raise Conflict(f"payout {decided.id} changed since it was read")
