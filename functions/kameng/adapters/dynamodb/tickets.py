"""After-sales tickets: the ticket item, its entries under its order and in its station's queue, the
lock that keeps one unresolved ticket per key, and the replacement of a reported key.

A replacement is one transaction of at most 9 items: the ticket, its queue entry moved, the key's
lock, the order (body and key refs), the old key, the new key and one or two shard counters.
"""
from __future__ import annotations

import heapq
import itertools

from kameng.adapters.dynamodb import inventory, keys
from kameng.adapters.dynamodb.orders import order_from
from kameng.adapters.dynamodb.table import ATTEMPTS, Cancelled, Named, Table, n, pause, s
from kameng.domain.order import Order, OrderStatus
from kameng.domain.tickets import Ticket, TicketStatus
from kameng.ports.store import Conflict, Duplicate, SealedKey, UnknownRecord

_UNRESOLVED = (TicketStatus.OPEN, TicketStatus.ANSWERED)
_TICKET_READ = ("body", "version", "key_ref")


def _ticket(item: dict) -> Ticket:
    return Ticket.model_validate_json(item["body"]["S"])


def _queue_moves(before: Ticket | None, after: Ticket) -> list[Named]:
    if before is not None and before.status is after.status:
        return []
    items = [Named("queue:new", {"Put": {
        "Item": keys.ticket_in_queue(after.station, after.status.value, after.created_at, after.id)}})]
    if before is not None:
        items.append(Named("queue:old", {"Delete": {
            "Key": keys.ticket_in_queue(before.station, before.status.value, before.created_at, before.id)}}))
    return items


def _ticket_write(before: Ticket, after: Ticket) -> list[Named]:
    items = [Named("ticket", {"Update": {
        "Key": keys.ticket(after.id), "UpdateExpression": "SET #body = :body, #version = :version, #status = :status",
        "ConditionExpression": "#version = :seen",
        "ExpressionAttributeNames": {"#body": "body", "#version": "version", "#status": "status"},
        "ExpressionAttributeValues": {":body": s(after.model_dump_json()), ":version": n(after.version),
                                      ":status": s(after.status.value), ":seen": n(after.version - 1)},
    }})] + _queue_moves(before, after)
    if before.unresolved and not after.unresolved:
        items.append(Named("lock", {"Delete": {"Key": keys.open_ticket_of_key(after.key_id)}}))
    return items


def _key_swap(order: Order, old_ref: str, picks: dict[int, list[str]]) -> list[Named]:
    """The old key sold → void (leaving the order), the picked key available → sold (to the order)."""
    (old_shard, old_ids), = keys.picks_of([old_ref]).items()
    (new_shard, new_ids), = picks.items()
    old_key = Named("key:old", {"Update": {
        "Key": keys.card_key(order.sku, old_shard, old_ids[0]),
        "UpdateExpression": "SET #status = :void REMOVE #order",
        "ConditionExpression": "#status = :sold AND #order = :order AND (attribute_not_exists(#refunded) OR #refunded = :no)",
        "ExpressionAttributeNames": {"#status": "status", "#order": "order_id", "#refunded": "refunded"},
        "ExpressionAttributeValues": {":void": s("void"), ":sold": s("sold"), ":order": s(order.id),
                                      ":no": {"BOOL": False}},
    }})
    new_key = Named("key:new", {"Update": {
        "Key": keys.card_key(order.sku, new_shard, new_ids[0]),
        "UpdateExpression": "SET #status = :sold, #order = :order REMOVE #avail",
        "ConditionExpression": "#status = :available",
        "ExpressionAttributeNames": {"#status": "status", "#order": "order_id", "#avail": "avail"},
        "ExpressionAttributeValues": {":sold": s("sold"), ":order": s(order.id), ":available": s("available")},
    }})
    if old_shard == new_shard:
        counts = [inventory.counter_update(order.sku, old_shard, {"available": -1, "void": 1})]
    else:
        counts = [inventory.counter_update(order.sku, old_shard, {"sold": -1, "void": 1}),
                  inventory.counter_update(order.sku, new_shard, {"available": -1, "sold": 1})]
    return [old_key, new_key] + counts


def _order_write(item: dict, order: Order, refs: list[str]) -> Named:
    return Named("order", {"Update": {
        "Key": keys.order(order.id), "UpdateExpression": "SET #body = :body, #refs = :refs",
        "ConditionExpression": "#status = :delivered AND #body = :seen",
        "ExpressionAttributeNames": {"#body": "body", "#refs": "key_refs", "#status": "status"},
        "ExpressionAttributeValues": {":body": s(order.model_dump_json()), ":refs": {"L": [s(r) for r in refs]},
                                      ":delivered": s(OrderStatus.DELIVERED.value), ":seen": item["body"]},
    }})


class DynamoTickets:
    def __init__(self, table: Table):
        self.table = table

    def _key_ref(self, order_id: str, key_id: str) -> str:
        item = self.table.get(keys.order(order_id), ("key_refs",)) or {}
        return next((ref for ref in inventory.held_refs(item) if ref.split("/", 1)[1] == key_id),
                    keys.key_ref(keys.shard_of(key_id, self.table.shards), key_id))

    def open_ticket(self, ticket: Ticket) -> None:
        items = [
            Named("ticket", {"Put": {"Item": keys.ticket(ticket.id) | {
                "body": s(ticket.model_dump_json()), "version": n(ticket.version), "status": s(ticket.status.value),
                "key_ref": s(self._key_ref(ticket.order_id, ticket.key_id))},
                "ConditionExpression": "attribute_not_exists(pk)"}}),
            Named("order", {"Put": {"Item": keys.order_ticket(ticket.order_id, ticket.id)}}),
            Named("lock", {"Put": {"Item": keys.open_ticket_of_key(ticket.key_id) | {"ticket_id": s(ticket.id)},
                                   "ConditionExpression": "attribute_not_exists(pk)"}}),
        ] + _queue_moves(None, ticket)
        if not self.table.transact_or_refuse(items, "opening a ticket"):
            raise Duplicate(f"key {ticket.key_id} has an unresolved ticket")

    def ticket(self, ticket_id: str) -> Ticket | None:
        item = self.table.get(keys.ticket(ticket_id), ("body",))
        return None if item is None else _ticket(item)

    def _tickets(self, ticket_ids: list[str]) -> list[Ticket]:
        found = {(t := _ticket(item)).id: t for item in self.table.batch_get(
            [keys.ticket(ticket_id) for ticket_id in ticket_ids], ("body",))}
        return [found[ticket_id] for ticket_id in ticket_ids if ticket_id in found]

    def tickets_of_order(self, order_id: str) -> list[Ticket]:
        items = self.table.items_under(keys.order_tickets(order_id), ProjectionExpression="sk")
        return self._tickets(sorted(keys.ticket_id_of(item["sk"]["S"]) for item in items))

    def queue(self, station: str, status: TicketStatus | None, limit: int) -> list[Ticket]:
        partitions = [keys.ticket_queue(station, st.value) for st in (_UNRESOLVED if status is None else (status,))]
        pages = [itertools.islice(self.table.query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": s(pk)}, ConsistentRead=True,
            Limit=limit), limit) for pk in partitions]
        # Each partition reads oldest first; merged, the queue stays oldest first.
        merged = itertools.islice(heapq.merge(*pages, key=lambda item: item["sk"]["S"]), limit)
        return self._tickets([keys.ticket_id_of(item["sk"]["S"]) for item in merged])

    def update_ticket(self, ticket: Ticket) -> Ticket:
        stored = self.table.get(keys.ticket(ticket.id), _TICKET_READ)
        if stored is None:
            raise UnknownRecord(f"no ticket {ticket.id}")
        if not self.table.transact_or_refuse(_ticket_write(_ticket(stored), ticket), "updating a ticket"):
            raise Conflict(f"ticket {ticket.id} changed since it was read")
        return ticket

    def replace_key(self, ticket: Ticket, order: Order) -> Ticket:
        for attempt in range(ATTEMPTS):
            stored = self.table.get(keys.ticket(ticket.id), _TICKET_READ)
            if stored is None:
                raise UnknownRecord(f"no ticket {ticket.id}")
            order_item = self.table.get(keys.order(order.id), ("body", "status", "key_refs"))
            old_ref = stored["key_ref"]["S"]
            refs = inventory.held_refs(order_item or {})
            if (order_item is None or number_of(stored) != ticket.version - 1 or old_ref not in refs
                    or order_item["status"]["S"] != OrderStatus.DELIVERED.value):
                raise Conflict(f"ticket {ticket.id}, its order or its key changed since they were read")
            picks = inventory.find_available(self.table, order.sku, 1)
            new_id = inventory.key_ids(picks)[0]
            new_refs = sorted(keys.key_refs(picks) + [ref for ref in refs if ref != old_ref])
            held = order_from(order_item)
            changed = held.model_copy(update={"key_ids": tuple(sorted(
                [new_id] + [key_id for key_id in held.key_ids if key_id != ticket.key_id]))})
            replaced = ticket.model_copy(update={"replacement_key_id": new_id})
            items = (_ticket_write(_ticket(stored), replaced) + [_order_write(order_item, changed, new_refs)]
                     + _key_swap(order, old_ref, picks))
            try:
                self.table.transact(items)
                return replaced
            except Cancelled as cancelled:
                if cancelled.failed - {"key:new"}:
                    raise Conflict(f"ticket {ticket.id}, its order or its key changed since they were read") from None
            # Another order took the picked key, or the transaction conflicted: pick again.
            pause(attempt)
        raise inventory.lost_races(self.table, order.sku, 1)

    def replaced_keys(self, order_id: str) -> list[SealedKey]:
        items = self.table.items_under(keys.order_tickets(order_id), ProjectionExpression="sk")
        ticket_keys = [keys.ticket(keys.ticket_id_of(item["sk"]["S"])) for item in items]
        replaced = [item for item in self.table.batch_get(ticket_keys, _TICKET_READ)
                    if _ticket(item).replacement_key_id is not None]
        wanted = []
        for item in replaced:
            ticket = _ticket(item)
            (shard, key_ids), = keys.picks_of([item["key_ref"]["S"]]).items()
            wanted.append(keys.card_key(ticket.sku, shard, key_ids[0]))
        found = self.table.batch_get(wanted, ("key_id", "sku", "fingerprint", "ciphertext", "refunded", "status"))
        sealed = [SealedKey(key_id=item["key_id"]["S"], sku=item["sku"]["S"], fingerprint=item["fingerprint"]["S"],
                            ciphertext=bytes(item["ciphertext"]["B"]),
                            refunded=item.get("refunded", {}).get("BOOL", False))
                  for item in found if item["status"]["S"] == "void"]
        return sorted(sealed, key=lambda key: key.key_id)


def number_of(item: dict) -> int:
    return int(item["version"]["N"])
