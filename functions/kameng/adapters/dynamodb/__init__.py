"""The store at scale: every port on one DynamoDB table (keys.py lays the table out)."""
from __future__ import annotations

from typing import Any

from kameng.adapters.dynamodb.audit import DynamoAuditLog
from kameng.adapters.dynamodb.batches import DynamoKeyBatches
from kameng.adapters.dynamodb.counters import DynamoCounters
from kameng.adapters.dynamodb.idempotency import DynamoIdempotentRequests
from kameng.adapters.dynamodb.inventory import DynamoInventory, hot_sku_orders_per_second
from kameng.adapters.dynamodb.keys import shard_of
from kameng.adapters.dynamodb.members import DynamoMembers
from kameng.adapters.dynamodb.orders import DynamoOrders
from kameng.adapters.dynamodb.owners import DynamoOwners
from kameng.adapters.dynamodb.payouts import DynamoPayouts
from kameng.adapters.dynamodb.price_books import DynamoPriceBooks
from kameng.adapters.dynamodb.real_names import DynamoRealNames
from kameng.adapters.dynamodb.resellers import DynamoResellers
from kameng.adapters.dynamodb.sign_ins import DynamoSignIns
from kameng.adapters.dynamodb.station_payouts import DynamoStationPayouts
from kameng.adapters.dynamodb.stats import DynamoStatistics
from kameng.adapters.dynamodb.supply_attempts import DynamoSupplyAttempts
from kameng.adapters.dynamodb.supply_sync import DynamoSupplySync
from kameng.adapters.dynamodb.table import DEFAULT_SHARDS, MAX_TRANSACTION_ITEMS, StoreBusy, Table
from kameng.adapters.dynamodb.tickets import DynamoTickets
from kameng.ports.store import Store

__all__ = ["DEFAULT_SHARDS", "MAX_TRANSACTION_ITEMS", "StoreBusy", "Table", "hot_sku_orders_per_second", "open_store",
           "shard_of"]


def open_store(table_name: str, client: Any = None, shards: int = DEFAULT_SHARDS) -> Store:
    table = Table(table_name, client=client, shards=shards)
    return Store(price_books=DynamoPriceBooks(table), inventory=DynamoInventory(table), orders=DynamoOrders(table),
                 members=DynamoMembers(table), payouts=DynamoPayouts(table), counters=DynamoCounters(table),
                 sign_ins=DynamoSignIns(table), idempotent_requests=DynamoIdempotentRequests(table),
                 audit_log=DynamoAuditLog(table), statistics=DynamoStatistics(table),
                 owners=DynamoOwners(table), tickets=DynamoTickets(table),
                 station_payouts=DynamoStationPayouts(table), key_batches=DynamoKeyBatches(table),
                 supply_attempts=DynamoSupplyAttempts(table), resellers=DynamoResellers(table),
                 supply_sync=DynamoSupplySync(table), real_names=DynamoRealNames(table))
