"""The DynamoDB table of infra/table.yaml, created in moto, and the DynamoDB store on it."""
from __future__ import annotations

import contextlib
import copy
import functools
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator
from unittest import mock

import boto3
import yaml
import moto.dynamodb.models as moto_dynamodb_models
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from kameng.adapters.dynamodb import open_store
from kameng.ports.store import Store

REPO = Path(__file__).resolve().parents[2]
TABLE_YAML = REPO / "infra" / "table.yaml"
TABLE_NAME = "kameng-test"
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
}


def table_resource() -> dict:
    return yaml.safe_load(TABLE_YAML.read_text(encoding="utf-8"))["Table"]


def create_table(client: Any, name: str) -> None:
    """Exactly the key schema and indexes of infra/table.yaml (its KMS key and backups are AWS-side only)."""
    properties = table_resource()["Properties"]
    client.create_table(
        TableName=name,
        BillingMode=properties["BillingMode"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        LocalSecondaryIndexes=properties["LocalSecondaryIndexes"],
        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, **properties["StreamSpecification"]},
    )
    client.update_time_to_live(TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"])


class AtomicRequests:
    """A client whose calls reach moto one at a time.

    DynamoDB applies each request atomically. Moto's in-memory backend does not
    lock: a transaction deep-copies the table, writes item by item and restores
    the copy when it cancels, so two threads' calls can interleave and undo each
    other's writes. One lock per request gives moto DynamoDB's atomicity while
    threads still interleave between requests, where the adapter's races live.
    """

    def __init__(self, client: Any):
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@functools.cache
def _client() -> Any:
    # Building a client loads the service model (tens of ms); one per process serves every mock.
    return boto3.session.Session().client(
        "dynamodb", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing",
        aws_session_token="testing")


class _OneSnapshotPerTransaction:
    """Moto's TransactWriteItems deep-copies the whole table once per item, before writing any.

    The copies are identical, so all but the first are wasted: with a few
    hundred items in the table that made a transaction cost 60 ms and the
    stateful contract test over a minute. Within one transaction this keeps the
    first copy of each table, which is the state a cancelled transaction must
    restore; every other deepcopy in moto's module is left as it was.
    """

    def __init__(self) -> None:
        self.snapshots: dict[int, Any] | None = None

    def deepcopy(self, value: Any, memo: dict | None = None) -> Any:
        if self.snapshots is None or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in self.snapshots:
            self.snapshots[id(value)] = copy.deepcopy(value)
        return self.snapshots[id(value)]

    def transact(self, original: Callable) -> Callable:
        @functools.wraps(original)
        def transact_write_items(backend: Any, *args: Any, **kwargs: Any) -> Any:
            self.snapshots = {}
            try:
                return original(backend, *args, **kwargs)
            finally:
                self.snapshots = None

        return transact_write_items


@contextlib.contextmanager
def _fast_moto_transactions() -> Iterator[None]:
    shim = _OneSnapshotPerTransaction()
    with mock.patch.object(moto_dynamodb_models, "copy", shim), mock.patch.object(
            DynamoDBBackend, "transact_write_items", shim.transact(DynamoDBBackend.transact_write_items)):
        yield


@contextlib.contextmanager
def moto_table() -> Iterator[Any]:
    """A fresh in-memory table of infra/table.yaml; yields the raw moto client."""
    with mock.patch.dict(os.environ, FAKE_CREDENTIALS), mock_aws(), _fast_moto_transactions():
        client = _client()
        create_table(client, TABLE_NAME)
        yield client


# The contract's promises hold for any shard count. Moto's cost grows with every key a
# request names (stock() names one counter per shard), and 16 shards keep the contract
# suite near a minute; test_dynamodb_specific.py runs the production DEFAULT_SHARDS.
CONTRACT_SHARDS = 16


@contextlib.contextmanager
def dynamodb_store(folder: Path | None = None, *, shards: int = CONTRACT_SHARDS,
                   wrap: Callable[[Any], Any] = lambda client: client) -> Iterator[Store]:
    """The contract's DynamoDB store (the folder is unused: moto keeps the table in memory)."""
    with moto_table() as client:
        yield open_store(TABLE_NAME, client=wrap(AtomicRequests(client)), shards=shards)
