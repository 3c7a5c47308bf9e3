"""The embedded store: every port on one SQLite file (see schema.py for how writes are made safe)."""
from __future__ import annotations

from pathlib import Path

from kameng.adapters.sqlite.audit import SqliteAuditLog
from kameng.adapters.sqlite.batches import SqliteKeyBatches
from kameng.adapters.sqlite.idempotency import SqliteIdempotentRequests
from kameng.adapters.sqlite.inventory import SqliteInventory
from kameng.adapters.sqlite.members import SqliteMembers, SqlitePayouts
from kameng.adapters.sqlite.orders import SqliteOrders
from kameng.adapters.sqlite.owners import SqliteOwners
from kameng.adapters.sqlite.resellers import SqliteResellers
from kameng.adapters.sqlite.real_names import SqliteRealNames
from kameng.adapters.sqlite.records import SqliteCounters, SqlitePriceBooks, SqliteSignIns
from kameng.adapters.sqlite.schema import open_file
from kameng.adapters.sqlite.station_payouts import SqliteStationPayouts
from kameng.adapters.sqlite.stats import SqliteStatistics
from kameng.adapters.sqlite.supply_attempts import SqliteSupplyAttempts
from kameng.adapters.sqlite.supply_sync import SqliteSupplySync
from kameng.adapters.sqlite.tickets import SqliteTickets
from kameng.ports.store import Store


def open_store(path: Path | str) -> Store:
    db = open_file(path)
    return Store(price_books=SqlitePriceBooks(db), inventory=SqliteInventory(db), orders=SqliteOrders(db),
                 members=SqliteMembers(db), payouts=SqlitePayouts(db), counters=SqliteCounters(db),
                 sign_ins=SqliteSignIns(db), idempotent_requests=SqliteIdempotentRequests(db),
                 audit_log=SqliteAuditLog(db), statistics=SqliteStatistics(db), owners=SqliteOwners(db),
                 tickets=SqliteTickets(db), station_payouts=SqliteStationPayouts(db),
                 key_batches=SqliteKeyBatches(db), supply_attempts=SqliteSupplyAttempts(db),
                 resellers=SqliteResellers(db), supply_sync=SqliteSupplySync(db),
                 real_names=SqliteRealNames(db))
