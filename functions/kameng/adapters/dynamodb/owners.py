"""The owner console's people and their API tokens (by hash), in the one OWNERS partition."""
from __future__ import annotations

from datetime import datetime

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Named, Table, instant, n, s
from kameng.domain.owners import Owner, OwnerToken, Role
from kameng.domain.second_factor import SecondFactor
from kameng.ports.store import Conflict, Duplicate, UnknownRecord

_ABSENT = "attribute_not_exists(pk)"


def _owner(item: dict) -> Owner:
    station = item.get("station")
    return Owner(keys.owner_id_of(item["sk"]["S"]), item["email"]["S"], Role(item["role"]["S"]),
                 None if station is None else station["S"])


def _moment(item: dict, name: str) -> datetime | None:
    return datetime.fromisoformat(item[name]["S"]) if name in item else None


def _token(item: dict) -> OwnerToken:
    return OwnerToken(keys.token_hash_of(item["sk"]["S"]), item["owner_id"]["S"], item["label"]["S"],
                      datetime.fromisoformat(item["issued_at"]["S"]), datetime.fromisoformat(item["expires_at"]["S"]),
                      _moment(item, "revoked_at"))


class DynamoOwners:
    def __init__(self, table: Table):
        self.table = table

    def add_owner(self, owner: Owner) -> None:
        item = keys.owner(owner.id) | {"email": s(owner.email), "role": s(owner.role.value)}
        if owner.station is not None:
            item["station"] = s(owner.station)
        # The e-mail item makes an e-mail unique as the SQLite adapter's UNIQUE column does.
        added = self.table.transact_or_refuse([
            Named("owner", {"Put": {"Item": item, "ConditionExpression": _ABSENT}}),
            Named("email", {"Put": {"Item": keys.owner_email(owner.email) | {"owner_id": s(owner.id)},
                                    "ConditionExpression": _ABSENT}}),
        ], "adding an owner")
        if not added:
            raise Duplicate(f"an owner of that id or e-mail ({owner.email}) is kept already")

    def owner(self, owner_id: str) -> Owner | None:
        item = self.table.get(keys.owner(owner_id))
        return None if item is None else _owner(item)

    def owner_by_email(self, email: str) -> Owner | None:
        item = self.table.get(keys.owner_email(email))
        return None if item is None else self.owner(item["owner_id"]["S"])

    def owners(self, station: str | None) -> list[Owner]:
        found = [_owner(item) for item in self.table.items_under(keys.all_owners())]
        return sorted((o for o in found if station is None or o.station == station), key=lambda o: o.email)

    def issue_token(self, token: OwnerToken) -> None:
        # Owners are never deleted, so an owner read here still exists when the token is put.
        if self.owner(token.owner_id) is None:
            raise UnknownRecord(f"no owner {token.owner_id}")
        item = keys.owner_token(token.token_hash) | {
            "owner_id": s(token.owner_id), "label": s(token.label), "issued_at": s(instant(token.issued_at)),
            "expires_at": s(instant(token.expires_at))}
        if token.revoked_at is not None:
            item["revoked_at"] = s(instant(token.revoked_at))
        if not self.table.put(item, ConditionExpression=_ABSENT):
            raise Duplicate("a token of that hash is kept already")

    def tokens(self) -> list[OwnerToken]:
        found = [_token(item) for item in self.table.items_under(keys.all_owner_tokens())]
        return sorted(found, key=lambda t: (t.owner_id, t.issued_at, t.token_hash))

    def owner_by_token(self, token_hash: str, now: datetime) -> Owner | None:
        item = self.table.get(keys.owner_token(token_hash))
        if item is None or not _token(item).valid_at(now):
            return None
        return self.owner(item["owner_id"]["S"])

    def revoke_token(self, token_hash: str, now: datetime) -> OwnerToken:
        # if_not_exists keeps the first revocation's time when it is revoked again.
        item = self.table.update(
            keys.owner_token(token_hash), UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
            ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":now": s(instant(now))},
            ReturnValues="ALL_NEW")
        if item is None:
            raise UnknownRecord("no token of that hash")
        return _token(item)

    def second_factor(self, owner_id: str) -> SecondFactor | None:
        item = self.table.get(keys.owner_factor(owner_id))
        if item is None:
            return None
        return SecondFactor(owner_id, bytes(item["secret"]["B"]), item["confirmed"]["BOOL"], int(item["last_step"]["N"]))

    def start_second_factor(self, factor: SecondFactor) -> None:
        if self.owner(factor.owner_id) is None:
            raise UnknownRecord(f"no owner {factor.owner_id}")
        item = keys.owner_factor(factor.owner_id) | {
            "secret": {"B": factor.sealed_secret}, "confirmed": {"BOOL": False}, "last_step": n(0)}
        if not self.table.put(item, ConditionExpression="attribute_not_exists(pk) OR confirmed = :no",
                              ExpressionAttributeValues={":no": {"BOOL": False}}):
            raise Conflict("the owner's second factor is set up already")

    def use_second_factor_step(self, owner_id: str, step: int, sealed_secret: bytes) -> bool:
        return self.table.update(
            keys.owner_factor(owner_id), UpdateExpression="SET last_step = :step, confirmed = :yes",
            ConditionExpression="attribute_exists(pk) AND last_step < :step AND secret = :secret",
            ExpressionAttributeValues={":step": n(step), ":yes": {"BOOL": True},
                                       ":secret": {"B": sealed_secret}}) is not None

    def reset_second_factor(self, owner_id: str) -> bool:
        found = self.table.client.delete_item(TableName=self.table.name, Key=keys.owner_factor(owner_id),
                                              ReturnValues="ALL_OLD")
        return "Attributes" in found
