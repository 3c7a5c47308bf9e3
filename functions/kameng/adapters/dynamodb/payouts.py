"""Referral commissions (written and reversed by orders' transactions) and their withdrawal."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Named, Table, instant, n, s
from kameng.domain.member import Earning, Withdrawal, WithdrawalStatus
from kameng.ports.store import Conflict, UnknownRecord


def earning_items(earnings: Iterable[Earning]) -> list[Named]:
    items = []
    for earning in earnings:
        key = keys.earning(earning.station, earning.referrer, earning.order_id, earning.level)
        name = f"earning:{earning.referrer}/{earning.order_id}/{earning.level}"
        if earning.take_back:
            items.append(Named(name, {"Update": {
                "Key": key, "UpdateExpression": "ADD #amount :minus", "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#amount": "amount"}, "ExpressionAttributeValues": {":minus": n(-earning.amount)},
            }}))
        elif earning.reversed:
            # A reversal marks what was credited; the holding period it had stays as it was.
            items.append(Named(name, {"Update": {
                "Key": key, "UpdateExpression": "SET #reversed = :yes", "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#reversed": "reversed"}, "ExpressionAttributeValues": {":yes": {"BOOL": True}},
            }}))
        else:
            items.append(Named(name, {"Put": {"Item": key | {
                "amount": n(earning.amount), "available_at": s(instant(earning.available_at))}}}))
    return items


def _withdrawal_items(withdrawal: Withdrawal, condition: dict | None) -> list[Named]:
    """The withdrawal in its station's list and, for the referrer's own list, in their member partition."""
    body = s(withdrawal.model_dump_json())
    copies = {
        "withdrawal": keys.withdrawal(withdrawal.station, withdrawal.id),
        "member-withdrawal": keys.member_withdrawal(withdrawal.station, withdrawal.referrer, withdrawal.id),
    }
    return [Named(name, {"Put": {"Item": key | {"body": body, "status": s(withdrawal.status.value)}}
                         | (condition or {"ConditionExpression": "attribute_not_exists(pk)"})})
            for name, key in copies.items()]


def _withdrawals(items: Iterable[dict]) -> list[Withdrawal]:
    return [Withdrawal.model_validate_json(item["body"]["S"]) for item in items]


class DynamoPayouts:
    def __init__(self, table: Table):
        self.table = table

    def earnings(self, station: str, referrer: str) -> list[Earning]:
        found = []
        for item in self.table.items_under(keys.earnings_of(station, referrer)):
            order_id, level = keys.earning_of(item["sk"]["S"])
            found.append(Earning(station, referrer, order_id, level, int(item["amount"]["N"]),
                                 datetime.fromisoformat(item["available_at"]["S"]),
                                 item.get("reversed", {}).get("BOOL", False)))
        return found

    def request_withdrawal(self, withdrawal: Withdrawal, seen_withdrawn: int) -> bool:
        still = "#withdrawn = :seen" + (" OR attribute_not_exists(#withdrawn)" if seen_withdrawn == 0 else "")
        items = [Named("member", {"Update": {
            "Key": keys.member(withdrawal.station, withdrawal.referrer),
            "UpdateExpression": "ADD #withdrawn :amount", "ConditionExpression": still,
            "ExpressionAttributeNames": {"#withdrawn": "withdrawn"},
            "ExpressionAttributeValues": {":amount": n(withdrawal.amount), ":seen": n(seen_withdrawn)},
        }})] + _withdrawal_items(withdrawal, None)
        return self.table.transact_or_refuse(items, "a withdrawal")

    def withdrawals_of(self, station: str, referrer: str) -> list[Withdrawal]:
        return _withdrawals(self.table.items_under(keys.withdrawals_of(station, referrer), ScanIndexForward=False))

    def withdrawals(self, station: str, status: WithdrawalStatus | None = None) -> list[Withdrawal]:
        found = _withdrawals(self.table.query(
            KeyConditionExpression="pk = :pk", ConsistentRead=True,
            ExpressionAttributeValues={":pk": s(keys.station_withdrawals(station))},
        ))
        return [w for w in found if status is None or w.status is status]

    def settle_withdrawal(self, station: str, withdrawal_id: str, status: WithdrawalStatus, now: datetime,
                          note: str | None) -> Withdrawal:
        item = self.table.get(keys.withdrawal(station, withdrawal_id))
        if item is None:
            raise UnknownRecord(f"no withdrawal {withdrawal_id} at {station}")
        current = Withdrawal.model_validate_json(item["body"]["S"])
        if current.status is not WithdrawalStatus.REQUESTED:
            raise Conflict(f"withdrawal {withdrawal_id} is {current.status.value} already")
        settled = current.model_copy(update={"status": status, "settled_at": now, "note": note})
        still = {"ConditionExpression": "#status = :requested", "ExpressionAttributeNames": {"#status": "status"},
                 "ExpressionAttributeValues": {":requested": s(WithdrawalStatus.REQUESTED.value)}}
        items = _withdrawal_items(settled, still)
        if status is WithdrawalStatus.REJECTED:
            items.append(Named("member", {"Update": {
                "Key": keys.member(station, settled.referrer),
                "UpdateExpression": "ADD #withdrawn :back", "ExpressionAttributeNames": {"#withdrawn": "withdrawn"},
                "ExpressionAttributeValues": {":back": n(-settled.amount)},
            }}))
        if not self.table.transact_or_refuse(items, "settling a withdrawal"):
            raise Conflict(f"withdrawal {withdrawal_id} was settled by another call")
        return settled
