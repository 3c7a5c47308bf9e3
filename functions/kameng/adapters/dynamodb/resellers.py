"""Resellers and their balance on the one table (keys_resellers.py lays the items out).

The balance is one attribute of the reseller's item, moved by ADD in the same transaction that puts the
top-up or charge item under attribute_not_exists: a repeat of either finds its item and changes nothing.
DynamoDB cannot add two attributes in a condition, so a charge is written under `balance >= amount -
credit_limit` with the credit limit it was worked out from.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from kameng.adapters.dynamodb import keys_resellers as keys
from kameng.adapters.dynamodb.table import ATTEMPTS, Named, StoreBusy, Table, instant, n, number, pause, s
from kameng.domain.errors import InsufficientBalance
from kameng.domain.wholesale import Reseller, ResellerCharge
from kameng.ports.store import Duplicate, UnknownRecord


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _reseller(item: dict) -> Reseller:
    return Reseller(
        id=item["reseller_id"]["S"], name=item["name"]["S"], station=item["station"]["S"], key_id=item["key_id"]["S"],
        sealed_secret=bytes(item["sealed_secret"]["B"]), credit_limit=number(item, "credit_limit"),
        currency=item["currency"]["S"], created_at=_moment(item["created_at"]["S"]), active=item["active"]["BOOL"],
    )


def _charge(item: dict) -> ResellerCharge:
    return ResellerCharge(item["reseller_id"]["S"], item["request_id"]["S"], item["sku"]["S"], number(item, "quantity"),
                          number(item, "amount"), item["order_id"]["S"], _moment(item["charged_at"]["S"]),
                          item["given_back"]["BOOL"])


def _add_to_balance(reseller_id: str, amount: int, condition: str = "attribute_exists(pk)",
                    values: dict | None = None) -> Named:
    return Named("balance", {"Update": {
        "Key": keys.reseller(reseller_id), "UpdateExpression": "ADD #balance :amount", "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#balance": "balance"},
        "ExpressionAttributeValues": {":amount": n(amount)} | (values or {})}})


class DynamoResellers:
    def __init__(self, table: Table):
        self.table = table

    def add_reseller(self, reseller: Reseller) -> None:
        item = keys.reseller(reseller.id) | {
            "reseller_id": s(reseller.id), "name": s(reseller.name), "station": s(reseller.station),
            "key_id": s(reseller.key_id), "sealed_secret": {"B": reseller.sealed_secret},
            "credit_limit": n(reseller.credit_limit), "currency": s(reseller.currency),
            "created_at": s(instant(reseller.created_at)), "active": {"BOOL": reseller.active}, "balance": n(0)}
        if not self.table.put(item, ConditionExpression="attribute_not_exists(pk)"):
            raise Duplicate(f"a reseller {reseller.id} is kept already")

    def reseller(self, reseller_id: str) -> Reseller | None:
        item = self.table.get(keys.reseller(reseller_id))
        return None if item is None else _reseller(item)

    def resellers(self) -> list[Reseller]:
        return [_reseller(item) for item in self.table.items_under(keys.all_resellers())]

    def top_up(self, reseller_id: str, amount: int, reference: str, now: datetime) -> bool:
        record = Named("top_up", {"Put": {"Item": keys.top_up(reseller_id, reference) | {
            "amount": n(amount), "at": s(instant(now))}, "ConditionExpression": "attribute_not_exists(pk)"}})
        if self.table.transact_or_refuse([_add_to_balance(reseller_id, amount), record], "a reseller's top-up"):
            return True
        self.balance(reseller_id)  # raises UnknownRecord for an unknown reseller
        return False

    def balance(self, reseller_id: str) -> tuple[int, int]:
        item = self.table.get(keys.reseller(reseller_id), ("balance", "credit_limit"))
        if item is None:
            raise UnknownRecord(f"no reseller {reseller_id}")
        return number(item, "balance"), number(item, "credit_limit")

    def charge(self, charge: ResellerCharge) -> ResellerCharge:
        kept_item = keys.charge(charge.reseller_id, charge.request_id) | {
            "reseller_id": s(charge.reseller_id), "request_id": s(charge.request_id), "sku": s(charge.sku),
            "quantity": n(charge.quantity), "amount": n(charge.amount),
            "order_id": s(charge.order_id), "charged_at": s(instant(charge.charged_at)), "given_back": {"BOOL": False}}
        for attempt in range(ATTEMPTS):
            kept = self.charge_of(charge.reseller_id, charge.request_id)
            if kept is not None:
                return kept
            balance, credit_limit = self.balance(charge.reseller_id)
            if balance + credit_limit < charge.amount:
                raise InsufficientBalance(f"余额不足：余额 {balance}，信用额度 {credit_limit}，本单 {charge.amount}（分）")
            covered = _add_to_balance(
                charge.reseller_id, -charge.amount, "#balance >= :floor AND credit_limit = :credit",
                {":floor": n(charge.amount - credit_limit), ":credit": n(credit_limit)})
            record = Named("charge", {"Put": {"Item": kept_item, "ConditionExpression": "attribute_not_exists(pk)"}})
            if self.table.transact_or_refuse([covered, record], "a reseller's charge"):
                return replace(charge, given_back=False)
            # A racing charge moved the balance, or charged this request id first: read both again.
            pause(attempt)
        raise StoreBusy(f"charging reseller {charge.reseller_id} kept conflicting")

    def charge_of(self, reseller_id: str, request_id: str) -> ResellerCharge | None:
        item = self.table.get(keys.charge(reseller_id, request_id))
        return None if item is None else _charge(item)

    def give_back(self, reseller_id: str, request_id: str, now: datetime) -> bool:
        kept = self.charge_of(reseller_id, request_id)
        if kept is None or kept.given_back:
            return False
        mark = Named("charge", {"Update": {
            "Key": keys.charge(reseller_id, request_id), "UpdateExpression": "SET given_back = :yes, given_back_at = :at",
            "ConditionExpression": "given_back = :no",
            "ExpressionAttributeValues": {":yes": {"BOOL": True}, ":no": {"BOOL": False}, ":at": s(instant(now))}}})
        return self.table.transact_or_refuse([mark, _add_to_balance(reseller_id, kept.amount)], "giving a charge back")

    def use_nonce(self, reseller_id: str, nonce: str, now: datetime, expires_at: datetime) -> bool:
        item = keys.nonce(reseller_id, nonce) | {
            "expires_at": s(instant(expires_at)),
            # TTL deletes lazily (hours late): it only tidies up, the condition checks expires_at itself.
            "expires": n(int((expires_at + timedelta(days=1)).timestamp()))}
        return self.table.put(item, ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                              ExpressionAttributeValues={":now": s(instant(now))})
