"""After-sales tickets, and the replacement of a reported key in the order's own keys."""
from __future__ import annotations

import sqlite3

from kameng.adapters.sqlite.inventory import SOLD_OUT
from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.errors import SoldOut
from kameng.domain.order import Order, OrderStatus
from kameng.domain.tickets import Ticket, TicketStatus
from kameng.ports.store import Conflict, Duplicate, SealedKey, UnknownRecord

_UNRESOLVED = (TicketStatus.OPEN.value, TicketStatus.ANSWERED.value)


def _tickets(rows) -> list[Ticket]:
    return [Ticket.model_validate_json(row[0]) for row in rows]


def _write(conn: sqlite3.Connection, ticket: Ticket) -> None:
    # The open-key column is NULL once resolved, so the unique index lets the key be reported again.
    changed = conn.execute(
        "UPDATE tickets SET status = ?, open_key = ?, version = ?, body = ? WHERE id = ? AND version = ?",
        (ticket.status.value, ticket.key_id if ticket.unresolved else None, ticket.version,
         ticket.model_dump_json(), ticket.id, ticket.version - 1),
    ).rowcount
    if changed != 1:
        if conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket.id,)).fetchone() is None:
            raise UnknownRecord(f"no ticket {ticket.id}")
        raise Conflict(f"ticket {ticket.id} changed since it was read")


def _swap_key(conn: sqlite3.Connection, ticket: Ticket, order: Order) -> str:
    """Void the reported key and sell the order a fresh one in its place; the fresh key's id."""
    row = conn.execute("SELECT body FROM orders WHERE id = ? AND status = ?",
                       (order.id, OrderStatus.DELIVERED.value)).fetchone()
    stored = None if row is None else Order.model_validate_json(row[0])
    if stored is None or ticket.key_id not in stored.key_ids:
        raise Conflict(f"order {order.id} no longer holds key {ticket.key_id}")
    fresh = conn.execute("SELECT key_id FROM card_keys WHERE sku = ? AND status = 'available' ORDER BY key_id LIMIT 1",
                         (stored.sku,)).fetchone()
    if fresh is None:
        raise SoldOut(SOLD_OUT)
    if conn.execute("UPDATE card_keys SET status = 'void', order_id = NULL "
                    "WHERE key_id = ? AND order_id = ? AND status = 'sold' AND refunded = 0",
                    (ticket.key_id, order.id)).rowcount != 1:
        raise Conflict(f"key {ticket.key_id} is no longer a sold key of order {order.id}")
    conn.execute("UPDATE card_keys SET status = 'sold', order_id = ? WHERE key_id = ? AND status = 'available'",
                 (order.id, fresh[0]))
    # Sold count stays: one sold key went void, one available key was sold.
    conn.execute("UPDATE stock_counts SET available = available - 1, void = void + 1 WHERE sku = ?", (stored.sku,))
    key_ids = tuple(sorted(fresh[0] if key_id == ticket.key_id else key_id for key_id in stored.key_ids))
    conn.execute("UPDATE orders SET body = ? WHERE id = ?",
                 (stored.model_copy(update={"key_ids": key_ids}).model_dump_json(), order.id))
    return fresh[0]


class SqliteTickets:
    def __init__(self, db: SqliteFile):
        self._db = db

    def open_ticket(self, ticket: Ticket) -> None:
        with self._db.write() as conn:
            try:
                conn.execute(
                    "INSERT INTO tickets (id, order_id, station, key_id, open_key, status, created_at, version, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (ticket.id, ticket.order_id, ticket.station, ticket.key_id,
                     ticket.key_id if ticket.unresolved else None, ticket.status.value, ts(ticket.created_at),
                     ticket.version, ticket.model_dump_json()),
                )
            except sqlite3.IntegrityError:
                raise Duplicate(f"key {ticket.key_id} has an unresolved ticket") from None

    def ticket(self, ticket_id: str) -> Ticket | None:
        row = self._db.conn().execute("SELECT body FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else Ticket.model_validate_json(row[0])

    def tickets_of_order(self, order_id: str) -> list[Ticket]:
        return _tickets(self._db.conn().execute(
            "SELECT body FROM tickets WHERE order_id = ? ORDER BY id", (order_id,)))

    def queue(self, station: str, status: TicketStatus | None, limit: int) -> list[Ticket]:
        statuses = _UNRESOLVED if status is None else (status.value,)
        return _tickets(self._db.conn().execute(
            f"SELECT body FROM tickets WHERE station = ? AND status IN ({','.join('?' * len(statuses))}) "
            "ORDER BY created_at, id LIMIT ?", (station, *statuses, limit)))

    def update_ticket(self, ticket: Ticket) -> Ticket:
        with self._db.write() as conn:
            _write(conn, ticket)
        return ticket

    def replace_key(self, ticket: Ticket, order: Order) -> Ticket:
        with self._db.write() as conn:
            # The ticket's condition first: a racing replacement that won leaves nothing for this one to do.
            row = conn.execute("SELECT version FROM tickets WHERE id = ?", (ticket.id,)).fetchone()
            if row is None:
                raise UnknownRecord(f"no ticket {ticket.id}")
            if row[0] != ticket.version - 1:
                raise Conflict(f"ticket {ticket.id} changed since it was read")
            replaced = ticket.model_copy(update={"replacement_key_id": _swap_key(conn, ticket, order)})
            _write(conn, replaced)
        return replaced

    def replaced_keys(self, order_id: str) -> list[SealedKey]:
        rows = self._db.conn().execute(
            "SELECT k.key_id, k.sku, k.fingerprint, k.ciphertext, k.refunded FROM tickets t "
            "JOIN card_keys k ON k.key_id = t.key_id "
            "WHERE t.order_id = ? AND t.status = 'resolved' AND k.status = 'void' ORDER BY k.key_id", (order_id,))
        return [SealedKey(key_id, sku, fingerprint, ciphertext, bool(refunded))
                for key_id, sku, fingerprint, ciphertext, refunded in rows]
