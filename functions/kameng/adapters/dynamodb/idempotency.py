"""Idempotency keys of retried requests: one item per scope key, claimed by a conditional put."""
from __future__ import annotations

from datetime import datetime, timedelta

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import ATTEMPTS, StoreBusy, Table, instant, n, s
from kameng.ports.store import Conflict, Recorded, RequestClaim

# The put refuses only while the key holds a live claim: a kept response not yet expired, or a lease not yet over.
_FREE = ("attribute_not_exists(pk) OR #expires_at <= :now "
         "OR (attribute_not_exists(#response) AND #lease_ends <= :now)")
_NAMES = {"#expires_at": "expires_at", "#response": "response", "#lease_ends": "lease_ends"}


class DynamoIdempotentRequests:
    def __init__(self, table: Table):
        self.table = table

    def begin(self, claim: RequestClaim) -> Recorded | None:
        now = instant(claim.claimed_at)
        item = keys.idempotent_request(claim.scope_key) | {
            "request_hash": s(claim.request_hash), "claimed_at": s(now),
            "lease_ends": s(instant(claim.lease_ends)), "expires_at": s(instant(claim.expires_at)),
            # TTL deletes lazily (hours late): it only tidies up, the condition checks expires_at itself.
            "expires": n(int((claim.expires_at + timedelta(days=1)).timestamp())),
        }
        for _ in range(ATTEMPTS):
            if self.table.put(item, ConditionExpression=_FREE, ExpressionAttributeNames=_NAMES,
                              ExpressionAttributeValues={":now": s(now)}):
                return None
            held = self.table.get(keys.idempotent_request(claim.scope_key))
            # Gone or lapsed between the put and the read (abandoned, expired): claim it again.
            if held is not None and held["expires_at"]["S"] > now and (
                    "response" in held or held["lease_ends"]["S"] > now):
                response = held.get("response", {}).get("B")
                return Recorded(held["request_hash"]["S"], datetime.fromisoformat(held["claimed_at"]["S"]),
                                None if response is None else bytes(response))
        raise StoreBusy("an idempotency key kept changing hands")

    def finish(self, claim: RequestClaim, response: bytes) -> None:
        kept = self.table.update(
            keys.idempotent_request(claim.scope_key), UpdateExpression="SET #response = :response",
            ConditionExpression="#claimed_at = :claimed_at AND #request_hash = :request_hash "
                                "AND attribute_not_exists(#response)",
            ExpressionAttributeNames={"#response": "response", "#claimed_at": "claimed_at",
                                      "#request_hash": "request_hash"},
            ExpressionAttributeValues={":response": {"B": response}, ":claimed_at": s(instant(claim.claimed_at)),
                                       ":request_hash": s(claim.request_hash)},
        )
        if kept is None:
            raise Conflict("the idempotency key is no longer this request's")

    def abandon(self, claim: RequestClaim) -> None:
        # Ending the lease frees the key for the next claim without DeleteItem, which no function is granted.
        self.table.update(
            keys.idempotent_request(claim.scope_key), UpdateExpression="SET #lease_ends = :claimed_at",
            ConditionExpression="#claimed_at = :claimed_at AND attribute_not_exists(#response)",
            ExpressionAttributeNames={"#claimed_at": "claimed_at", "#response": "response", "#lease_ends": "lease_ends"},
            ExpressionAttributeValues={":claimed_at": s(instant(claim.claimed_at))},
        )
