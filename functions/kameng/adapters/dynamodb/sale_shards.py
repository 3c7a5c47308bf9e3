"""A flash sale's quantity spread over counter shards, so that one sale is not bound to one partition.

Layout (the sale's counter is the domain's FLASH#<station>#<sale id>)

| item               | pk                                  | sk      | attributes |
| ------------------ | ----------------------------------- | ------- | ---------- |
| sale shard 0       | FLASH#<station>#<sale id>           | TOTAL   | sold (ADD n under `sold <= slice - n`) |
| sale shard k (≥ 1) | FLASH#<station>#<sale id>#<kk>      | TOTAL   | sold, as shard 0 |
| shopper's share    | FLASH#<station>#<sale id>#SHOPPER#<shopper> | SHOPPER | sold (ADD n under `sold <= per_shopper - n`) |
| order's shard      | ORDER#<id> / ORDER                  |         | sale_shard (N): the shard the order's quantity came from |

Every checkout of a sale writes its sale shard and its shopper's share in the
reservation's transaction, 2 WCU each (items under 1 KB, doubled in a
transaction). One partition takes about 1,000 WCU/s, so one shard about 500
checkouts/s; SALE_SHARDS of them about 8,000, above the 6,400 orders/s the
SKU's key pools allow (inventory.hot_sku_orders_per_second). The shopper's
share has a partition of its own because the table's LSI keeps an item
collection on one partition: under the sale's pk it would be as hot as one
counter.

The quantity is split into slices that sum exactly to it (shard k holds
`quantity // shards`, plus one for the first `quantity % shards`), and no
shard sells past its slice, so the sale never sells more than its quantity.
A checkout tries a random shard with room; when that shard is full it reads
every shard (one strongly consistent BatchGetItem) and tries one that still
has room, so the sale answers sold out only when no shard can hold the order.
The last units of a sale may sit in shards too small for a multi-unit order:
an order of n is refused when no single shard has n left, even if the shards
together have. Slices are at least a whole order of the sale's per-shopper
limit, so that happens only near the end.

The shard count follows the quantity. Raising a running sale's quantity is
exact; lowering it may let each shard sell up to its new slice while others
already hold more than theirs, so a sale is best shortened by ending it.
Shard 0 is the item an unsharded sale used, so an order placed before sharding
gives its quantity back where it took it.
"""
from __future__ import annotations

import random
from typing import Iterable

from kameng.adapters.dynamodb.table import Table, n, number, s
from kameng.domain.quota import EVERYONE, Quota, QuotaKind
from kameng.ports.store import MAX_KEYS_PER_ORDER

SALE_SHARDS = 16
# Below this a slice would be so thin that the end of a sale fragments into unsellable crumbs.
SLICE_FLOOR = 10
PARTITION_WCU = 1000
WCU_PER_SHARD_WRITE = 2  # one item of at most 1 KB, written in a transaction
_random = random.Random()


def is_sale(counter: str) -> bool:
    return counter.startswith("FLASH#")


def largest_order(quotas: Iterable[Quota], counter: str) -> int:
    """The most one order of the sale can take: its per-shopper limit, or any order's."""
    shares = [q.cap for q in quotas if q.kind is QuotaKind.FLASH_SHOPPER and q.counter == counter]
    return min(shares + [MAX_KEYS_PER_ORDER])


def shard_count(quantity: int, largest: int = 1) -> int:
    return max(1, min(SALE_SHARDS, quantity // max(largest, SLICE_FLOOR)))


def slices(quantity: int, shards: int) -> list[int]:
    base, extra = divmod(quantity, shards)
    return [base + (1 if shard < extra else 0) for shard in range(shards)]


def shard_key(counter: str, shard: int) -> dict:
    pk = counter if shard == 0 else f"{counter}#{shard:02d}"
    return {"pk": s(pk), "sk": s("TOTAL")}


def quota_key(counter: str, holder: str, shard: int = 0) -> dict | None:
    """A sale's counter item; None for a counter that is not a sale's (keys.quota lays those out)."""
    if not is_sale(counter):
        return None
    if holder == EVERYONE:
        return shard_key(counter, shard)
    return {"pk": s(f"{counter}#SHOPPER#{holder}"), "sk": s("SHOPPER")}


def sale_orders_per_second(shards: int = SALE_SHARDS) -> float:
    return shards * PARTITION_WCU / WCU_PER_SHARD_WRITE


def sold_by_shard(table: Table, counter: str, shards: int = SALE_SHARDS) -> list[int]:
    found = {item["pk"]["S"]: number(item, "sold")
             for item in table.batch_get([shard_key(counter, shard) for shard in range(shards)], ("pk", "sold"))}
    return [found.get(shard_key(counter, shard)["pk"]["S"], 0) for shard in range(shards)]


def total_sold(table: Table, counter: str) -> int:
    return sum(sold_by_shard(table, counter))


def order_shard(order_item: dict) -> int:
    return int(order_item["sale_shard"]["N"]) if "sale_shard" in order_item else 0


def shard_attribute(shard: int) -> dict:
    return {"sale_shard": n(shard)}


class ShardChoice:
    """The shard an order takes its sale quantity from, and the next one when that is full."""

    def __init__(self, table: Table, quotas: Iterable[Quota], units: int):
        quotas = tuple(quotas)
        self.table = table
        self.units = units
        self.sale = next((q for q in quotas if q.kind is QuotaKind.FLASH_TOTAL), None)
        self.slices = [] if self.sale is None else \
            slices(self.sale.cap, shard_count(self.sale.cap, largest_order(quotas, self.sale.counter)))
        self.full: set[int] = set()
        open_shards = self._open()
        self.shard = _random.choice(open_shards) if open_shards else 0

    def _open(self) -> list[int]:
        return [shard for shard, room in enumerate(self.slices) if room >= self.units and shard not in self.full]

    def cap(self, shard: int) -> int:
        return self.slices[shard] if shard < len(self.slices) else 0

    def refused(self) -> bool:
        """The chosen shard was full: True with another shard chosen that had room when read."""
        if self.sale is None:
            return False
        self.full.add(self.shard)
        sold = sold_by_shard(self.table, self.sale.counter, len(self.slices))
        self.full |= {shard for shard, room in enumerate(self.slices) if sold[shard] > room - self.units}
        open_shards = self._open()
        if not open_shards:
            return False
        self.shard = _random.choice(open_shards)
        return True
