"""Keys, orders and the stock equation for the Store contract, built in one place."""
from __future__ import annotations

import contextlib
import secrets
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from kameng.adapters.sqlite import open_store
from kameng.domain.ids import new_id
from kameng.domain.order import Order, OrderStatus
from kameng.ports.store import SealedKey, StockCount, Store
from tests.support.dynamo_table import dynamodb_store

START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@contextlib.contextmanager
def sqlite_store(folder: Path) -> Iterator[Store]:
    yield open_store(folder / "kameng.db")


# Every adapter of the store port, by name; each test of the contract runs against each of them.
STORES: dict[str, Callable[[Path], contextlib.AbstractContextManager[Store]]] = {
    "sqlite": sqlite_store,
    "dynamodb": dynamodb_store,
}


def sealed_keys_for(sku: str, n: int, now: datetime = START) -> list[SealedKey]:
    return [
        SealedKey(key_id=new_id(now), sku=sku, fingerprint=secrets.token_hex(32), ciphertext=b"\x01" + secrets.token_bytes(40))
        for _ in range(n)
    ]


def an_order(sku: str, quantity: int = 1, *, at: datetime = START, station: str = "main", shopper_key: str = "shopper-a",
             unit_price: int = 10200, ttl: timedelta = timedelta(minutes=15)) -> Order:
    return Order(
        id=new_id(at), station=station, sku=sku, title="Steam 100", quantity=quantity, unit_price=unit_price,
        unit_wholesale=9500, total=unit_price * quantity, currency="CNY", email="buyer@example.com",
        shopper_key=shopper_key, password_hash="p" * 64, token_hash="t" * 64, status=OrderStatus.PENDING,
        created_at=at, updated_at=at, expires_at=at + ttl, due_at=at + ttl,
    )


class Inventory:
    """The keys a test put into the store, per SKU: the right-hand side of the stock equation."""

    def __init__(self, store: Store):
        self.store = store
        self.imported: Counter = Counter()
        self._skus = 0

    def new_sku(self, n: int) -> str:
        self._skus += 1
        sku = f"sku-{self._skus}"
        self.add(sku, n)
        return sku

    def add(self, sku: str, n: int) -> list[SealedKey]:
        keys = sealed_keys_for(sku, n)
        self.imported[sku] += self.store.inventory.add_card_keys(keys).added
        return keys

    def count(self, sku: str) -> StockCount:
        return self.store.inventory.stock([sku])[sku]

    def balanced(self, sku: str) -> bool:
        counted = self.count(sku)
        return counted.available + counted.reserved + counted.sold + counted.void == self.imported[sku]


