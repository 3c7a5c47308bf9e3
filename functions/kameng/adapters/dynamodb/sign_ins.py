"""One-time sign-in links, by the hash of their token."""
from __future__ import annotations

from datetime import datetime, timedelta

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Table, instant, n, s
from kameng.ports.store import Duplicate, SignInGrant


class DynamoSignIns:
    def __init__(self, table: Table):
        self.table = table

    def put_sign_in(self, token_hash: str, grant: SignInGrant) -> None:
        kept = self.table.put(keys.sign_in(token_hash) | {
            "shopper_key": s(grant.shopper_key), "station": s(grant.station), "email_masked": s(grant.email_masked),
            "expires_at": s(instant(grant.expires_at)),
            # TTL deletes lazily (hours late): it only tidies up, use_sign_in checks expires_at itself.
            "expires": n(int((grant.expires_at + timedelta(days=1)).timestamp())),
        }, ConditionExpression="attribute_not_exists(pk)")
        if not kept:
            raise Duplicate("a sign-in link of that token is kept already")

    def use_sign_in(self, token_hash: str, now: datetime) -> SignInGrant | None:
        item = self.table.update(
            keys.sign_in(token_hash), UpdateExpression="SET #used = :now",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#used)",
            ExpressionAttributeNames={"#used": "used_at"}, ExpressionAttributeValues={":now": s(instant(now))},
            ReturnValues="ALL_NEW",
        )
        if item is None:
            return None
        grant = SignInGrant(item["shopper_key"]["S"], item["station"]["S"], item["email_masked"]["S"],
                            datetime.fromisoformat(item["expires_at"]["S"]))
        return grant if grant.expires_at > now else None
