"""The keys of supply attempts (keys.py, which lays out the rest of the table, is full).

| item            | pk                   | sk                             | attributes                                        |
| --------------- | -------------------- | ------------------------------ | ------------------------------------------------- |
| supply attempt  | ATTEMPT#<request_id> | ATTEMPT                        | body (SupplyAttempt JSON), request_id, order_id,  |
|                 |                      |                                | status, quantity_delivered, quantity_applied: put |
|                 |                      |                                | under the three as read; duepk SUPPLY#<n> / duesk |
|                 |                      |                                | <started>#<request_id> only while open or not all |
|                 |                      |                                | applied (the `due` index)                         |
| order's attempt | ORDER#<order_id>     | ATTEMPT#<started>#<request_id> | request_id: put with the attempt, never changed   |
| SKU's sync      | SYNC#<sku>           | SYNC                           | body (SkuSync JSON): put whole by every sync;     |
|                 |                      |                                | read by key in batches (checkout, stock, routing) |

Attempts the sweeper must still look at share the `due` index with orders under partitions of their
own (`due_orders` reads DUE#<nn> only, and no order has a SUPPLY# duepk). An attempt enters the index
once and leaves it once: two index writes, far below what orders cost it; four partitions spread them.
"""
from __future__ import annotations

from datetime import datetime

from kameng.adapters.dynamodb.keys import Key, Range, bucket
from kameng.adapters.dynamodb.table import instant, s

SUPPLY_PARTITIONS = 4


def supply_attempt(request_id: str) -> Key:
    return {"pk": s(f"ATTEMPT#{request_id}"), "sk": s("ATTEMPT")}


def order_attempt(order_id: str, started_at: datetime, request_id: str) -> Key:
    # The start first, so the order's query reads its attempts oldest first.
    return {"pk": s(f"ORDER#{order_id}"), "sk": s(f"ATTEMPT#{instant(started_at)}#{request_id}")}


def order_attempts(order_id: str) -> Range:
    return f"ORDER#{order_id}", "ATTEMPT#"


def supply_partition(partition: int) -> str:
    return f"SUPPLY#{partition}"


def sweep_index(request_id: str, started_at: datetime) -> dict:
    """The attempt's entry in `due`, present only while the sweeper still has something to do with it."""
    return {"duepk": s(supply_partition(bucket(request_id, SUPPLY_PARTITIONS))),
            "duesk": s(f"{instant(started_at)}#{request_id}")}


def sku_sync(sku: str) -> Key:
    return {"pk": s(f"SYNC#{sku}"), "sk": s("SYNC")}
