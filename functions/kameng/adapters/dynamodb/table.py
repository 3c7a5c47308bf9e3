"""The one table every port of the DynamoDB store shares: its client, its name, its shard count.

Every multi-item change goes through `transact`, whose items carry names, so a
cancellation says which conditions failed instead of which positions.
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from kameng.domain.errors import Busy

DEFAULT_SHARDS = 64
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems
MAX_BATCH_GET = 100  # and for one BatchGetItem
# Each lost race means another buyer won a key, so retries end quickly.
ATTEMPTS = 12
# Why DynamoDB may cancel a transaction that is worth trying again ("None": this item was fine).
_RETRYABLE = {"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
_CONDITION_FAILED = "ConditionalCheckFailed"
_random = random.Random()


class StoreBusy(Busy):
    """Keys remain, but every attempt lost a race or a transaction conflict: the caller may retry (503)."""

    def __init__(self, detail: str):
        super().__init__("购买人数过多，请稍后重试")
        self.detail = detail


@dataclass(frozen=True)
class Named:
    """One item of a transaction: `action` is {"Put": …} or {"Update": …}, without the table's name."""

    name: str
    action: dict


class Cancelled(Exception):
    """DynamoDB cancelled a transaction: `reasons` by item name, `failed` the names whose condition failed."""

    def __init__(self, reasons: dict[str, str]):
        super().__init__(reasons)
        self.reasons = reasons
        self.failed = frozenset(name for name, code in reasons.items() if code == _CONDITION_FAILED)


def s(text: str) -> dict:
    return {"S": text}


def n(number: int) -> dict:
    return {"N": str(number)}


def instant(moment: datetime) -> str:
    # Fixed-width UTC text sorts like the instants it names (the SQLite adapter's format).
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def number(item: dict, name: str) -> int:
    return int(item.get(name, {}).get("N", "0"))


def pause(attempt: int) -> None:
    # Full jitter: racing buyers spread out instead of colliding again.
    time.sleep(_random.uniform(0, min(0.2, 0.005 * 2 ** attempt)))


def _projection(attributes: Sequence[str]) -> dict:
    if not attributes:
        return {}
    return {
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(attributes))),
        "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(attributes)},
    }


def _refused_by_condition(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class Table:
    def __init__(self, name: str, client: Any = None, shards: int = DEFAULT_SHARDS):
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.name = name
        self.shards = shards
        self.client = client or boto3.client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 8}))

    def get(self, key: dict, attributes: Sequence[str] = ()) -> dict | None:
        params = {"TableName": self.name, "Key": key, "ConsistentRead": True} | _projection(attributes)
        return self.client.get_item(**params).get("Item")

    def batch_get(self, keys: list[dict], attributes: Sequence[str] = ()) -> list[dict]:
        unique = list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())
        found: list[dict] = []
        for start in range(0, len(unique), MAX_BATCH_GET):
            request: dict = {self.name: {"Keys": unique[start:start + MAX_BATCH_GET], "ConsistentRead": True}
                             | _projection(attributes)}
            for attempt in range(ATTEMPTS):
                response = self.client.batch_get_item(RequestItems=request)
                found.extend(response.get("Responses", {}).get(self.name, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                pause(attempt)
            else:
                raise StoreBusy("DynamoDB kept keys unprocessed")
        return found

    def query(self, **params: Any) -> Iterator[dict]:
        params["TableName"] = self.name
        while True:
            response = self.client.query(**params)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def items_under(self, partition: tuple[str, str], **params: Any) -> Iterator[dict]:
        """The items of one partition whose sort keys start with a prefix (keys.py's Range)."""
        pk, prefix = partition
        return self.query(KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)", ConsistentRead=True,
                          ExpressionAttributeValues={":pk": s(pk), ":prefix": s(prefix)}, **params)

    def put(self, item: dict, **condition: Any) -> bool:
        """Write one item; False when its condition refused it."""
        try:
            self.client.put_item(TableName=self.name, Item=item, **condition)
            return True
        except ClientError as error:
            if _refused_by_condition(error):
                return False
            raise

    def update(self, key: dict, **params: Any) -> dict | None:
        """Update one item and return the attributes ReturnValues asks for ({} without); None when
        its condition refused it."""
        try:
            return self.client.update_item(TableName=self.name, Key=key, **params).get("Attributes", {})
        except ClientError as error:
            if _refused_by_condition(error):
                return None
            raise

    def transact(self, items: list[Named]) -> None:
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a transaction of {len(items)} items is over DynamoDB's {MAX_TRANSACTION_ITEMS}")
        names = [item.name for item in items]
        if len(set(names)) != len(names):
            # DynamoDB refuses one item twice in a transaction; two names alike would hide which failed.
            raise ValueError(f"a transaction names an item twice: {sorted(n for n in names if names.count(n) > 1)}")
        request = [{verb: body | {"TableName": self.name} for verb, body in item.action.items()} for item in items]
        try:
            # The token makes botocore's own retry of a timed-out call a no-op instead of a false conflict.
            self.client.transact_write_items(TransactItems=request, ClientRequestToken=uuid.uuid4().hex)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
            if set(codes) - _RETRYABLE - {_CONDITION_FAILED}:
                # An item too large, an item collection over 10 GB: retrying cannot help.
                raise RuntimeError(f"DynamoDB refused the transaction: {dict(zip(names, codes))}") from error
            raise Cancelled(dict(zip(names, codes))) from None

    def transact_or_refuse(self, items: list[Named], what: str) -> bool:
        """True once the transaction applies, False if a condition refused it; a conflict with
        another transaction (nothing refused) is tried again with jitter."""
        for attempt in range(ATTEMPTS):
            try:
                self.transact(items)
                return True
            except Cancelled as cancelled:
                if cancelled.failed:
                    return False
                pause(attempt)
        raise StoreBusy(f"{what} kept conflicting")
