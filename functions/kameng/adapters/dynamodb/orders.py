"""Orders: placing one with its reserved keys, and every later change as one conditional transaction
that also moves its keys, quotas, member credits, earnings and ledger entries."""
from __future__ import annotations

import heapq
import logging
import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator

from kameng.adapters.dynamodb import counters, inventory, keys, members, payouts, sale_shards
from kameng.adapters.dynamodb.table import ATTEMPTS, Cancelled, Named, StoreBusy, Table, instant, n, pause, s
from kameng.domain.bank_transfer import refund_owed_by_hand, refund_paid
from kameng.domain.errors import SoldOut
from kameng.domain.fulfilment import Delivery
from kameng.domain.holds import quota_moves
from kameng.domain.ids import id_floor
from kameng.domain.order import (Applied, KeyMove, LedgerEntry, Order, OrderChange, OrderStatus, RefundPaid, keys_wanted,
                                 takes_stock)
from kameng.domain.quota import QuotaKind
from kameng.domain.stats import Tally
from kameng.ports.store import Conflict, Duplicate, MAX_KEYS_PER_ORDER, UnknownRecord

log = logging.getLogger(__name__)

# Stripe retries a webhook for 3 days; the record outlives that by far.
EVENT_KEPT_FOR = timedelta(days=30)
ORDER_READ = ("body", "status", "key_refs", "payment_session", "payment_url", "split_sent", "split_ref", "sale_shard",
              "refund_paid")
# The session and the split are kept in attributes of their own so that setting them never races a status change.
SESSION_ATTRIBUTES = ("payment_session", "payment_url")


def order_from(item: dict) -> Order:
    order = Order.model_validate_json(item["body"]["S"])
    session = {name: item[name]["S"] for name in SESSION_ATTRIBUTES if name in item}
    if "split_ref" in item:
        session |= {"split_ref": item["split_ref"]["S"], "split_sent": int(item["split_sent"]["N"])}
    if "refund_paid" in item:
        session["refund_paid"] = RefundPaid.model_validate_json(item["refund_paid"]["S"])
    return order.model_copy(update=session) if session else order


def _order_put(order: Order, refs: list[str], choice: sale_shards.ShardChoice) -> Named:
    attributes = {
        "body": s(order.model_dump_json()), "status": s(order.status.value), "sku": s(order.sku),
        "station": s(order.station), "key_refs": {"L": [s(ref) for ref in refs]},
    } | keys.order_indexes(order.id, order.shopper_key)
    if choice.sale is not None:
        attributes |= sale_shards.shard_attribute(choice.shard)
    if order.due_at is not None:
        attributes |= keys.due_index(order.id, order.due_at)
    for name in SESSION_ATTRIBUTES:
        if getattr(order, name) is not None:
            attributes[name] = s(getattr(order, name))
    return Named("order", {"Put": {"Item": keys.order(order.id) | attributes,
                                   "ConditionExpression": "attribute_not_exists(pk)"}})


def _order_update(order: Order, from_status: OrderStatus, refs: list[str], seen: str | None = None,
                  sale_shard: int | None = None) -> Named:
    values = {":body": s(order.model_dump_json()), ":to": s(order.status.value),
              ":from": s(from_status.value), ":refs": {"L": [s(ref) for ref in refs]}}
    update = "SET #body = :body, #st = :to, #refs = :refs"
    names = {"#body": "body", "#st": "status", "#refs": "key_refs", "#duepk": "duepk", "#duesk": "duesk"}
    if sale_shard is not None:
        update += ", #shard = :shard"
        names["#shard"] = "sale_shard"
        values[":shard"] = n(sale_shard)
    condition = "#st = :from"
    if seen is not None:
        # A refund of some keys leaves the status as it was: the body read is what a racing one changes.
        condition += " AND #body = :seen"
        values[":seen"] = s(seen)
    if order.due_at is None:
        update += " REMOVE #duepk, #duesk"
    else:
        update += ", #duepk = :duepk, #duesk = :duesk"
        values |= {f":{name}": value for name, value in keys.due_index(order.id, order.due_at).items()}
    return Named("order", {"Update": {
        "Key": keys.order(order.id), "UpdateExpression": update, "ConditionExpression": condition,
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
    }})


def _event_put(change: OrderChange, now: datetime) -> Named:
    return Named("event", {"Put": {
        "Item": keys.processed_event(change.event_id) | {
            "order_id": s(change.order_id), "processed_at": s(instant(now)),
            # TTL only tidies up; nothing reads `expires` to decide anything.
            "expires": n(int((now + EVENT_KEPT_FOR).timestamp())),
        },
        "ConditionExpression": "attribute_not_exists(pk)",
    }})


def _ledger_puts(change: OrderChange) -> list[Named]:
    return [Named(f"ledger:{seq}", {"Put": {
        "Item": keys.ledger_entry(entry.order_id, seq) | {
            "account": s(entry.account), "amount": n(entry.amount), "currency": s(entry.currency), "memo": s(entry.memo),
        },
        "ConditionExpression": "attribute_not_exists(pk)",
    }}) for seq, entry in enumerate(change.ledger, start=change.ledger_from)]


@dataclass(frozen=True)
class _Plan:
    """A change worked out from the order as read, to be applied only if the order is still so."""

    order: Order
    changed: Order
    refs: list[str]  # the keys the order holds once changed
    picks: dict[int, list[str]]  # the keys the change moves
    sale_shard: int  # the sale shard the order's quantity was taken from
    # The body as stored: what a racing change alters (the order read also carries attributes kept beside it).
    body: str = ""

    def key_names(self) -> frozenset[str]:
        return frozenset(inventory.key_name(key_id) for held in self.picks.values() for key_id in held)


def _change_items(plan: _Plan, change: OrderChange, now: datetime, choice: sale_shards.ShardChoice) -> list[Named]:
    # A late payment takes its quotas again (within the caps); returned keys and the end of the wait give them back.
    taken, given = quota_moves(plan.order, change)
    retakes_sale = any(quota.kind is QuotaKind.FLASH_TOTAL for quota in taken)
    items = [_order_update(plan.changed, change.from_status, plan.refs, plan.body if change.refunds_part else None,
                           choice.shard if retakes_sale else None)]
    if change.event_id is not None:
        items.append(_event_put(change, now))
    items += counters.quota_items(plan.order, taken, take=True, shard=choice.shard, shard_cap=choice.cap(choice.shard))
    items += counters.quota_items(plan.order, given, take=False, shard=plan.sale_shard)
    items += inventory.move_items(plan.order.sku, plan.order.id, plan.picks, change.keys)
    items += _ledger_puts(change)
    items += members.member_credit(change.member) + payouts.earning_items(change.earnings)
    return items + members.coupon_puts(change.coupons, listed=False)


class DynamoOrders:
    def __init__(self, table: Table):
        self.table = table

    def place_order(self, order: Order, day: date | None = None) -> Order:
        if not 1 <= order.quantity <= MAX_KEYS_PER_ORDER:
            raise ValueError(f"an order holds 1 to {MAX_KEYS_PER_ORDER} keys, not {order.quantity}")
        choice = sale_shards.ShardChoice(self.table, order.quotas, order.quantity)
        attempt = 0
        # A full sale shard costs no attempt: each shard is found full at most once.
        while attempt < ATTEMPTS:
            # An order of a loop, a top-up or a manual product holds no keys until it is paid.
            picks = inventory.find_available(self.table, order.sku, order.quantity) \
                if order.delivery is Delivery.STOCK else {}
            placed = order.model_copy(update={"key_ids": inventory.key_ids(picks)})
            items = [_order_put(placed, keys.key_refs(picks), choice)]
            items += counters.quota_items(order, order.quotas, take=True, shard=choice.shard,
                                          shard_cap=choice.cap(choice.shard))
            items += inventory.move_items(order.sku, placed.id, picks, KeyMove.RESERVE)
            try:
                self.table.transact(items)
            except Cancelled as cancelled:
                if "order" in cancelled.failed:
                    raise Duplicate(f"order {order.id} already exists") from None
                refused = counters.refused_quota(order.quotas, cancelled.failed)
                if refused is not None:
                    if refused.kind is QuotaKind.FLASH_TOTAL and choice.refused():
                        continue
                    raise refused.refusal() from None
                # Another buyer took one of the keys, or the transaction conflicted: pick again.
                pause(attempt)
                attempt += 1
                continue
            if day is not None:
                self._count_checkout(placed.station, day)
            return placed
        raise inventory.lost_races(self.table, order.sku, order.quantity)

    def _count_checkout(self, station: str, day: date) -> None:
        # The order is placed: a statistic that cannot be counted must not fail the checkout.
        try:
            self.table.update(keys.stats_tally(station, day), UpdateExpression="ADD #tally :one",
                              ExpressionAttributeNames={"#tally": Tally.CHECKOUTS.value},
                              ExpressionAttributeValues={":one": n(1)})
        except Exception:
            log.exception("checkout not counted", extra={"station": station, "day": day.isoformat()})

    def apply(self, change: OrderChange, now: datetime) -> tuple[Applied, Order | None]:
        plan: _Plan | None = None
        choice: sale_shards.ShardChoice | None = None
        for attempt in range(ATTEMPTS):
            planned = self._plan(change, now)
            if isinstance(planned, Applied):
                return planned, None
            plan = planned
            choice = choice or sale_shards.ShardChoice(self.table, plan.order.quotas, plan.order.quantity)
            try:
                self.table.transact(_change_items(plan, change, now, choice))
                members.list_issued(self.table, change.coupons)
                return Applied.DONE, plan.changed
            except Cancelled as cancelled:
                outcome = self._outcome(cancelled, plan, change, choice)
                if outcome is not None:
                    return outcome, None
            pause(attempt)
        if change.keys is KeyMove.RESERVE and plan is not None:
            raise inventory.lost_races(self.table, plan.order.sku, plan.order.quantity)
        raise StoreBusy(f"order {change.order_id} kept conflicting")

    def _plan(self, change: OrderChange, now: datetime) -> _Plan | Applied:
        """The change worked out from the order as it is now; a refusal when it is not in `from_status`."""
        item = self.table.get(keys.order(change.order_id), ORDER_READ)
        if item is None or item["status"]["S"] != change.from_status.value:
            return self._refusal(change)
        order = order_from(item)
        if change.repeats(order):
            return Applied.DUPLICATE
        if change.stale(order):
            return Applied.CONFLICT
        refs = inventory.held_refs(item)
        updates = change.order_fields(now)
        picks: dict[int, list[str]] = {}
        if change.keys is KeyMove.RESERVE and takes_stock(order, change):
            found = self._reserve_again(change, order)
            if isinstance(found, Applied):
                return found
            picks, refs = found, keys.key_refs(found)
            updates |= {"key_ids": inventory.key_ids(found),
                        "expires_at": change.reservation_expires_at or order.expires_at}
        elif change.keys not in (KeyMove.NONE, KeyMove.RESERVE):
            picks = keys.picks_of(refs)
            if change.keys in (KeyMove.SELL, KeyMove.FLAG_REFUNDED) and len(refs) != order.units_held:
                if self._refusal(change) is Applied.DUPLICATE:
                    return Applied.DUPLICATE
                raise RuntimeError(f"order {order.id} holds {len(refs)} reserved keys, expected {order.units_held}")
            if change.keys is KeyMove.RETURN:
                refs = []
                updates["key_ids"] = ()
            if change.refunds_some_keys:
                picks = {shard: [k for k in held if k in change.key_ids] for shard, held in picks.items()}
        return _Plan(order, order.model_copy(update=updates), refs, picks, sale_shards.order_shard(item),
                     item["body"]["S"])

    def _reserve_again(self, change: OrderChange, order: Order) -> dict[int, list[str]] | Applied:
        """Keys for an order paid after its own went back; SoldOut only while the order is still as read."""
        try:
            return inventory.find_available(self.table, order.sku, keys_wanted(order, change))
        except SoldOut:
            if self._refusal(change) is Applied.DUPLICATE:
                return Applied.DUPLICATE
            current = self.table.get(keys.order(change.order_id), ("status",))
            if current is None or current["status"]["S"] != change.from_status.value:
                return Applied.CONFLICT
            raise

    def _outcome(self, cancelled: Cancelled, plan: _Plan, change: OrderChange,
                 choice: sale_shards.ShardChoice) -> Applied | None:
        """What a cancelled change amounts to; None when it lost a race and is worth trying again."""
        failed = cancelled.failed
        if "event" in failed:
            return Applied.DUPLICATE
        if "order" in failed:
            return self._refusal(change)
        if change.keys is KeyMove.RESERVE:
            refused = counters.refused_quota(plan.order.quotas, failed)
            if refused is not None:
                if refused.kind is QuotaKind.FLASH_TOTAL and choice.refused():
                    return None
                raise refused.refusal() from None
            if failed <= plan.key_names():
                return None
        if failed:
            raise RuntimeError(f"order {plan.order.id}: its keys or ledger are not as the order says "
                               f"({cancelled.reasons})") from None
        return None

    def _refusal(self, change: OrderChange) -> Applied:
        if change.event_id is not None and self.event_seen(change.event_id):
            return Applied.DUPLICATE
        return Applied.CONFLICT

    def set_payment_session(self, order_id: str, session_id: str, url: str) -> None:
        updated = self.table.update(
            keys.order(order_id), UpdateExpression="SET #session = :session, #url = :url",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#session": "payment_session", "#url": "payment_url"},
            ExpressionAttributeValues={":session": s(session_id), ":url": s(url)},
        )
        if updated is None:
            raise UnknownRecord(f"no order {order_id}")

    def record_split(self, order_id: str, amount: int, ref: str) -> None:
        updated = self.table.update(
            keys.order(order_id), UpdateExpression="SET #sent = :sent, #ref = :ref",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#sent": "split_sent", "#ref": "split_ref"},
            ExpressionAttributeValues={":sent": {"N": str(amount)}, ":ref": s(ref)},
        )
        if updated is None:
            raise UnknownRecord(f"no order {order_id}")

    def record_refund_paid(self, order_id: str, bank_ref: str, note: str | None, by: str, at: datetime) -> Order:
        for attempt in range(ATTEMPTS):
            item = self.table.get(keys.order(order_id), ORDER_READ)
            if item is None:
                raise UnknownRecord(f"no order {order_id}")
            order = order_from(item)
            if refund_owed_by_hand(order) == 0:
                if order.refund_paid is not None:
                    return order
                raise Conflict(f"order {order_id} owes no refund by hand")
            paid = refund_paid(order, bank_ref, note, by, at)
            # An attribute of its own, as the split: a status change writing the body never drops it. The body
            # and the record read are the condition: the order still owes what this record covers.
            before = item.get("refund_paid")
            condition = "#body = :seen AND " + ("#paid = :before" if before else "attribute_not_exists(#paid)")
            values = {":paid": s(paid.model_dump_json()), ":seen": item["body"], **({":before": before} if before else {})}
            if self.table.update(
                keys.order(order_id), UpdateExpression="SET #paid = :paid", ConditionExpression=condition,
                ExpressionAttributeNames={"#paid": "refund_paid", "#body": "body"}, ExpressionAttributeValues=values,
            ) is not None:
                return order.model_copy(update={"refund_paid": paid})
            pause(attempt)
        raise StoreBusy(f"order {order_id} kept changing")

    def order(self, order_id: str) -> Order | None:
        item = self.table.get(keys.order(order_id), ORDER_READ)
        return None if item is None else order_from(item)

    def event_seen(self, event_id: str) -> bool:
        return self.table.get(keys.processed_event(event_id), ("pk",)) is not None

    def ledger(self, order_id: str) -> list[LedgerEntry]:
        return [
            LedgerEntry(order_id, item["account"]["S"], int(item["amount"]["N"]), item["currency"]["S"], item["memo"]["S"])
            for item in self.table.items_under(keys.ledger_entries(order_id))
        ]

    # ------------------------------------------------------------ lists, by index

    def _orders(self, order_ids: list[str]) -> list[Order]:
        items = self.table.batch_get([keys.order(order_id) for order_id in order_ids], ("pk", "sk") + ORDER_READ)
        found = {keys.order_id_of(item): order_from(item) for item in items}
        return [found[order_id] for order_id in order_ids if order_id in found]

    def orders_of_shopper(self, shopper_key: str, limit: int) -> list[Order]:
        if limit <= 0:
            return []
        ids = [item["gsi1sk"]["S"] for item in itertools.islice(self.table.query(
            IndexName="by_shopper", KeyConditionExpression="gsi1pk = :shopper",
            ExpressionAttributeValues={":shopper": s(keys.shopper_orders(shopper_key))},
            ScanIndexForward=False, Limit=limit,
        ), limit)]
        return self._orders(ids)

    def due_orders(self, now: datetime, limit: int) -> list[Order]:
        if limit <= 0:
            return []
        due: list[tuple[str, str]] = []
        for partition in range(keys.DUE_PARTITIONS):
            due += [(item["duesk"]["S"], keys.order_id_of(item)) for item in itertools.islice(self.table.query(
                IndexName="due", KeyConditionExpression="duepk = :due AND duesk <= :now",
                ExpressionAttributeValues={":due": s(keys.due_partition(partition)), ":now": s(instant(now))},
                Limit=limit,
            ), limit)]
        ids = [order_id for _, order_id in sorted(due)[:limit]]
        # The index lags the table a little: believe the order's own due time.
        orders = [o for o in self._orders(ids) if o.due_at is not None and o.due_at <= now]
        return sorted(orders, key=lambda o: (o.due_at, o.id))

    def _newest_first(self, partition: int, page: int, station: str | None) -> Iterator[str]:
        params: dict = {
            "IndexName": "recent", "KeyConditionExpression": "recentpk = :recent", "ScanIndexForward": False,
            "ExpressionAttributeValues": {":recent": s(keys.recent_partition(partition))}, "Limit": page,
        }
        if station:
            params["FilterExpression"] = "#station = :station"
            params["ExpressionAttributeNames"] = {"#station": "station"}
            params["ExpressionAttributeValues"][":station"] = s(station)
        for item in self.table.query(**params):
            yield item["recentsk"]["S"]

    def recent_orders(self, limit: int, station: str | None = None, status: OrderStatus | None = None) -> list[Order]:
        if limit <= 0:
            return []
        page = max(limit, 25)
        merged = heapq.merge(*(self._newest_first(p, page, station) for p in range(keys.RECENT_PARTITIONS)),
                             reverse=True)
        chosen: list[Order] = []
        while len(chosen) < limit:
            ids = list(itertools.islice(merged, page))
            if not ids:
                break
            chosen += [o for o in self._orders(ids) if status is None or o.status is status]
        return chosen[:limit]

    def orders_placed(self, station: str, start: datetime, end: datetime) -> list[Order]:
        ids: list[str] = []
        for partition in range(keys.RECENT_PARTITIONS):
            ids += [item["recentsk"]["S"] for item in self.table.query(
                IndexName="recent", KeyConditionExpression="recentpk = :recent AND recentsk BETWEEN :start AND :end",
                FilterExpression="#station = :station", ExpressionAttributeNames={"#station": "station"},
                ExpressionAttributeValues={":recent": s(keys.recent_partition(partition)), ":start": s(id_floor(start)),
                                           ":end": s(id_floor(end)), ":station": s(station)},
            )]
        # BETWEEN includes its upper end; the period does not.
        return self._orders(sorted(i for i in ids if i < id_floor(end)))
