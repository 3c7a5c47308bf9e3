"""Card keys in sharded pools with a counter per shard, and the key moves that orders make.

Orders reserve, sell and return keys inside their own transactions: they take
the picking and the move items from here, so a pool is written one way only.
"""
from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Sequence

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import (
    ATTEMPTS, DEFAULT_SHARDS, MAX_TRANSACTION_ITEMS, Cancelled, Named, StoreBusy, Table, n, number, pause, s,
)
from kameng.domain.errors import SoldOut
from kameng.domain.order import KeyMove, Order
from kameng.ports.store import ImportResult, SealedKey, StockCount, VoidResult

# A delivery writes the order, its event, its keys, their counters, its ledger entries
# (at most 13: paid, sale or wholesale and margin, two discounts, the platform fee twice,
# three commissions twice), the shopper's member item, three earnings and a reward
# coupon's two items in one transaction; a reservation keeps its shards few enough for that.
EXTRA_ALLOWANCE = 20
PARTITION_WCU = 1000
TRANSACTIONAL_WCU = 2
IMPORT_WORKERS = 8
SOLD_OUT = "库存不足，该商品已售罄"
TOO_SPREAD = "剩余库存过于分散，无法一次购买这么多，请减少数量"
COUNTS = ("available", "reserved", "sold", "void")

# move: (status the key must have, status it gets, update, condition). Every move but a
# reservation touches only keys this order holds.
_MOVES = {
    KeyMove.RESERVE: ("available", "reserved", "SET #status = :after, #order = :order REMOVE #avail",
                      "#status = :before"),
    KeyMove.RETURN: ("reserved", "available", "SET #status = :after, #avail = #key_id REMOVE #order",
                     "#status = :before AND #order = :order"),
    KeyMove.SELL: ("reserved", "sold", "SET #status = :after", "#status = :before AND #order = :order"),
    # Sold stays sold: no counter moves, so the stock equation is untouched.
    KeyMove.FLAG_REFUNDED: ("sold", "sold", "SET #refunded = :yes", "#status = :before AND #order = :order"),
}
_MOVE_NAMES = {"#status": "status", "#order": "order_id", "#avail": "avail", "#key_id": "key_id",
               "#refunded": "refunded"}
_random = random.Random()

Picks = dict[int, list[str]]  # key ids by shard
Pack = dict[tuple[str, int], list[SealedKey]]  # keys by (sku, shard): one import transaction


def shard_wcu_per_order(quantity: int = 1) -> int:
    reserve = TRANSACTIONAL_WCU * (quantity + 1) + TRANSACTIONAL_WCU * quantity
    sell = TRANSACTIONAL_WCU * (quantity + 1)
    return reserve + sell


def hot_sku_orders_per_second(shards: int = DEFAULT_SHARDS, quantity: int = 1) -> float:
    return shards * PARTITION_WCU / shard_wcu_per_order(quantity)


# ---------------------------------------------------------------- picking keys


def _available_in(table: Table, sku: str, shard: int, wanted: int) -> list[str]:
    response = table.client.query(
        TableName=table.name, IndexName="available", KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": s(keys.pool(sku, shard))}, ConsistentRead=True,
        # A few more than needed, picked at random, so racing buyers rarely want the same key.
        Limit=min(2 * wanted + 4, 100),
    )
    found = [item["avail"]["S"] for item in response.get("Items", [])]
    return _random.sample(found, min(wanted, len(found)))


def shard_counts(table: Table, sku: str) -> dict[int, int]:
    available = dict.fromkeys(range(table.shards), 0)
    counters = [keys.shard_counter(sku, shard) for shard in range(table.shards)]
    for item in table.batch_get(counters, ("pk", "available")):
        _, shard = keys.pool_of(item["pk"]["S"])
        available[shard] = number(item, "available")
    return available


def find_available(table: Table, sku: str, quantity: int) -> Picks:
    """Keys to reserve, by shard, from as few shards as one delivery transaction can hold; or SoldOut."""
    most_shards = MAX_TRANSACTION_ITEMS - 2 - EXTRA_ALLOWANCE - quantity
    order = list(range(table.shards))
    _random.shuffle(order)
    picks: Picks = {}
    found = _available_in(table, sku, order[0], quantity)
    if found:
        picks[order[0]] = found
    remaining = quantity - len(found)
    if remaining == 0:
        return picks
    # The first shard fell short: the counters say where keys are, and whether enough exist at all.
    available = shard_counts(table, sku)
    if sum(available.values()) < quantity:
        raise SoldOut(SOLD_OUT)
    rest = [shard for shard in order[1:] if available[shard] > 0]
    # Fuller shards first keeps a big order within one transaction; the shuffle breaks ties.
    rest.sort(key=lambda shard: -min(available[shard], remaining))
    for shard in rest:
        if len(picks) >= most_shards:
            raise SoldOut(TOO_SPREAD)
        found = _available_in(table, sku, shard, remaining)
        if found:
            picks[shard] = found
            remaining -= len(found)
            if remaining == 0:
                return picks
    raise SoldOut(SOLD_OUT)


def lost_races(table: Table, sku: str, quantity: int) -> Exception:
    # Sold out only when the counters say so; otherwise the caller should try again.
    if sum(shard_counts(table, sku).values()) < quantity:
        return SoldOut(SOLD_OUT)
    return StoreBusy(f"keys of {sku} remain but {ATTEMPTS} attempts to reserve them lost a race")


def key_ids(picks: Picks) -> tuple[str, ...]:
    return tuple(sorted(key_id for held in picks.values() for key_id in held))


def held_refs(order_item: dict) -> list[str]:
    return [ref["S"] for ref in order_item.get("key_refs", {}).get("L", [])]


# ---------------------------------------------------------------- moving keys


def key_name(key_id: str) -> str:
    return f"key:{key_id}"


def counter_update(sku: str, shard: int, deltas: dict[str, int]) -> Named:
    return Named(f"count:{sku}/{shard:02d}", {"Update": {
        "Key": keys.shard_counter(sku, shard),
        "UpdateExpression": "ADD " + ", ".join(f"#{name} :{name}" for name in deltas),
        "ExpressionAttributeNames": {f"#{name}": name for name in deltas},
        "ExpressionAttributeValues": {f":{name}": n(count) for name, count in deltas.items()},
    }})


def move_items(sku: str, order_id: str, picks: Picks, move: KeyMove) -> list[Named]:
    """The order's keys moved under their conditions, and their shards' counters with them."""
    if move is KeyMove.NONE or not picks:
        return []
    before, after, update, condition = _MOVES[move]
    expressions = f"{update} {condition}"
    values = {":before": s(before), ":after": s(after), ":order": s(order_id), ":yes": {"BOOL": True}}
    action = {
        "UpdateExpression": update, "ConditionExpression": condition,
        "ExpressionAttributeNames": {name: attr for name, attr in _MOVE_NAMES.items() if name in expressions},
        "ExpressionAttributeValues": {name: value for name, value in values.items() if name in expressions},
    }
    items = [Named(key_name(key_id), {"Update": {"Key": keys.card_key(sku, shard, key_id)} | action})
             for shard, held in sorted(picks.items()) for key_id in held]
    if before != after:
        items += [counter_update(sku, shard, {before: -len(held), after: len(held)})
                  for shard, held in sorted(picks.items())]
    return items


# ---------------------------------------------------------------- importing


def _key_put(key: SealedKey, shard: int) -> Named:
    return Named(key_name(key.key_id), {"Put": {
        "Item": keys.card_key(key.sku, shard, key.key_id) | {
            "key_id": s(key.key_id), "sku": s(key.sku), "fingerprint": s(key.fingerprint),
            "ciphertext": {"B": key.ciphertext}, "status": s("available"), "avail": s(key.key_id),
        } | ({} if key.batch_id is None else {"batch_id": s(key.batch_id)}),
        "ConditionExpression": "attribute_not_exists(pk)",
    }})


def _fingerprint_put(key: SealedKey) -> Named:
    return Named(f"fingerprint:{key.key_id}", {"Put": {
        "Item": keys.fingerprint(key.fingerprint) | {"sku": s(key.sku), "key_id": s(key.key_id)},
        "ConditionExpression": "attribute_not_exists(pk)",
    }})


def _packs(fresh: list[SealedKey], shards: int) -> list[Pack]:
    """Transactions of at most 100 items: each key and its fingerprint, one counter per pool touched.

    A big import fills a transaction from one pool (49 keys, 49 fingerprints, 1 counter);
    a small one mixes pools (33 keys over 33 shards). Pools are taken in turn, so
    neighbouring transactions write different partitions.
    """
    pools: Pack = {}
    for key in fresh:
        pools.setdefault((key.sku, keys.shard_of(key.key_id, shards)), []).append(key)
    per_chunk = (MAX_TRANSACTION_ITEMS - 1) // 2
    queues = [[(pool, held[i:i + per_chunk]) for i in range(0, len(held), per_chunk)] for pool, held in pools.items()]
    chunks = [chunk for layer in itertools.zip_longest(*queues) for chunk in layer if chunk is not None]
    packs: list[Pack] = []
    current: Pack = {}
    used = 0
    for pool, part in chunks:
        while part:
            counter = 0 if pool in current else 1
            room = (MAX_TRANSACTION_ITEMS - used - counter) // 2
            if room <= 0:
                packs.append(current)
                current, used = {}, 0
                continue
            current.setdefault(pool, []).extend(part[:room])
            used += 2 * len(part[:room]) + counter
            part = part[room:]
    if current:
        packs.append(current)
    return packs


def _import_items(pending: Pack) -> tuple[list[Named], dict[str, str]]:
    """The pack's items, and the key id each conditional item's name stands for."""
    items: list[Named] = []
    owners: dict[str, str] = {}
    for (sku, shard), held in pending.items():
        for key in held:
            pair = [_key_put(key, shard), _fingerprint_put(key)]
            items += pair
            owners |= {item.name: key.key_id for item in pair}
    items += [counter_update(sku, shard, {"available": len(held)}) for (sku, shard), held in pending.items()]
    return items, owners


def _unique(sealed: Sequence[SealedKey]) -> list[SealedKey]:
    fingerprints: set[str] = set()
    ids: set[str] = set()
    fresh: list[SealedKey] = []
    for key in sealed:
        # One transaction cannot touch an item twice: repeats within the batch are duplicates here.
        if key.fingerprint in fingerprints or key.key_id in ids:
            continue
        fingerprints.add(key.fingerprint)
        ids.add(key.key_id)
        fresh.append(key)
    return fresh


# ---------------------------------------------------------------- voiding


def _void_packs(key_ids: Sequence[str], shards: int) -> list[Picks]:
    """Transactions of at most 100 items: the keys, and one counter per shard they are in."""
    by_shard: Picks = {}
    for key_id in key_ids:
        by_shard.setdefault(keys.shard_of(key_id, shards), []).append(key_id)
    packs: list[Picks] = []
    current: Picks = {}
    used = 0
    for shard, held in sorted(by_shard.items()):
        for key_id in held:
            if used + 1 + (shard not in current) > MAX_TRANSACTION_ITEMS:
                packs.append(current)
                current, used = {}, 0
            used += 1 + (shard not in current)
            current.setdefault(shard, []).append(key_id)
    if current:
        packs.append(current)
    return packs


def _void_items(sku: str, picks: Picks) -> list[Named]:
    action = {"UpdateExpression": "SET #status = :void REMOVE #avail", "ConditionExpression": "#status = :available",
              "ExpressionAttributeNames": {"#status": "status", "#avail": "avail"},
              "ExpressionAttributeValues": {":void": s("void"), ":available": s("available")}}
    items = [Named(key_name(key_id), {"Update": {"Key": keys.card_key(sku, shard, key_id)} | action})
             for shard, held in sorted(picks.items()) for key_id in held]
    return items + [counter_update(sku, shard, {"available": -len(held), "void": len(held)})
                    for shard, held in sorted(picks.items())]


class DynamoInventory:
    def __init__(self, table: Table):
        self.table = table

    def add_card_keys(self, sealed: Sequence[SealedKey]) -> ImportResult:
        packs = _packs(_unique(sealed), self.table.shards)
        if len(packs) <= 1:
            added = sum(self._add_pack(pack) for pack in packs)
        else:
            with ThreadPoolExecutor(max_workers=min(IMPORT_WORKERS, len(packs))) as workers:
                added = sum(workers.map(self._add_pack, packs))
        return ImportResult(added=added, duplicates=len(sealed) - added)

    def _add_pack(self, pack: Pack) -> int:
        pending = {pool: list(held) for pool, held in pack.items()}
        conflicts = 0
        while True:
            pending = {pool: held for pool, held in pending.items() if held}
            if not pending:
                return 0
            items, owners = _import_items(pending)
            try:
                self.table.transact(items)
                return sum(len(held) for held in pending.values())
            except Cancelled as cancelled:
                # A held fingerprint (or key id) cancels the whole transaction: drop exactly those keys, write the rest.
                duplicates = {owners[name] for name in cancelled.failed if name in owners}
                if duplicates:
                    pending = {pool: [k for k in held if k.key_id not in duplicates] for pool, held in pending.items()}
                    continue
                conflicts += 1
                if conflicts >= ATTEMPTS:
                    raise StoreBusy(f"import kept conflicting: {cancelled.reasons}") from None
                pause(conflicts)

    def stock(self, skus: Iterable[str]) -> dict[str, StockCount]:
        wanted = sorted(set(skus))
        totals = {sku: dict.fromkeys(COUNTS, 0) for sku in wanted}
        alerted = dict.fromkeys(wanted, False)
        counters = [keys.shard_counter(sku, shard) for sku in wanted for shard in range(self.table.shards)]
        # The low-stock flag comes in the same round trip as the counters.
        flags = [keys.low_stock_alert(sku) for sku in wanted]
        for item in self.table.batch_get(counters + flags, ("pk", "alerted") + COUNTS):
            flagged = keys.alerted_sku(item["pk"]["S"])
            if flagged is not None:
                alerted[flagged] = item.get("alerted", {}).get("BOOL", False)
                continue
            sku, _ = keys.pool_of(item["pk"]["S"])
            for name in COUNTS:
                totals[sku][name] += number(item, name)
        return {sku: StockCount(**counts, low_alerted=alerted[sku]) for sku, counts in totals.items()}

    def set_low_stock_alert(self, sku: str, alerted: bool) -> bool:
        condition = "attribute_not_exists(#alerted) OR #alerted = :was" if alerted else "#alerted = :was"
        return self.table.update(
            keys.low_stock_alert(sku), UpdateExpression="SET #alerted = :now", ConditionExpression=condition,
            ExpressionAttributeNames={"#alerted": "alerted"},
            ExpressionAttributeValues={":now": {"BOOL": alerted}, ":was": {"BOOL": not alerted}},
        ) is not None

    def sealed_keys(self, order: Order) -> list[SealedKey]:
        def key_items(sku: str, refs: list[str]) -> list[dict]:
            return [keys.card_key(sku, shard, key_id) for shard, held in keys.picks_of(refs).items() for key_id in held]

        # One round trip: the order as stored, and the keys the caller's copy of it names.
        guessed = [keys.key_ref(keys.shard_of(key_id, self.table.shards), key_id) for key_id in order.key_ids]
        wanted = ("pk", "sk", "sku", "key_refs", "key_id", "fingerprint", "ciphertext", "order_id", "refunded",
                  "batch_id")
        items = self.table.batch_get([keys.order(order.id)] + key_items(order.sku, guessed), wanted)
        stored = next((item for item in items if keys.order_id_of(item) == order.id), None)
        if stored is None:
            return []
        refs = held_refs(stored)
        found = [item for item in items if item is not stored]
        if sorted(refs) != sorted(guessed) or stored["sku"]["S"] != order.sku:
            # The caller's copy is stale (keys returned, or reserved again since): read what the order holds now.
            found = self.table.batch_get(key_items(stored["sku"]["S"], refs), wanted)
        sealed = [_sealed(item) for item in found if item.get("order_id", {}).get("S") == order.id]
        return sorted(sealed, key=lambda key: key.key_id)

    def shared_key(self, sku: str, key_id: str | None) -> SealedKey | None:
        if key_id is None:
            try:
                picks = find_available(self.table, sku, 1)
            except SoldOut:
                return None
            shard, key_id = next((shard, held[0]) for shard, held in picks.items() if held)
        else:
            shard = keys.shard_of(key_id, self.table.shards)
        item = self.table.get(keys.card_key(sku, shard, key_id),
                              ("key_id", "sku", "fingerprint", "ciphertext", "refunded", "batch_id"))
        return None if item is None else _sealed(item)

    def key_ids_of(self, sku: str, fingerprints: Iterable[str]) -> dict[str, str]:
        asked = {keys.fingerprint(fp)["pk"]["S"]: fp for fp in set(fingerprints)}
        items = self.table.batch_get([keys.fingerprint(fp) for fp in asked.values()], ("pk", "sku", "key_id"))
        return {asked[item["pk"]["S"]]: item["key_id"]["S"] for item in items if item["sku"]["S"] == sku}

    def void_keys(self, sku: str, key_ids: Sequence[str]) -> VoidResult:
        wanted = sorted(set(key_ids))
        voided: list[str] = []
        pending = wanted
        statuses: dict[str, str] = {}
        for attempt in range(ATTEMPTS):
            refused: list[str] = []
            for pack in _void_packs(pending, self.table.shards):
                done, failed = self._void_pack(sku, pack)
                voided += done
                refused += failed
            statuses |= self._statuses(sku, refused)
            # A key refused for a reservation that has lapsed since is available again: try it once more.
            pending = [key_id for key_id in refused if statuses.get(key_id) == "available"]
            if not pending:
                break
            pause(attempt)
        return VoidResult(
            voided=tuple(sorted(voided)),
            held={key_id: status for key_id, status in statuses.items() if key_id not in voided},
            unknown=tuple(key_id for key_id in wanted if key_id not in statuses and key_id not in voided),
        )

    def _void_pack(self, sku: str, pack: Picks) -> tuple[list[str], list[str]]:
        """(voided, refused by their condition) of one transaction's keys."""
        refused: list[str] = []
        conflicts = 0
        while True:
            pack = {shard: held for shard, held in pack.items() if held}
            if not pack:
                return [], refused
            try:
                self.table.transact(_void_items(sku, pack))
                return [key_id for held in pack.values() for key_id in held], refused
            except Cancelled as cancelled:
                names = {key_name(key_id): key_id for held in pack.values() for key_id in held}
                failed = {names[name] for name in cancelled.failed if name in names}
                if failed:
                    refused += sorted(failed)
                    pack = {shard: [k for k in held if k not in failed] for shard, held in pack.items()}
                    continue
                conflicts += 1
                if conflicts >= ATTEMPTS:
                    raise StoreBusy(f"voiding keys kept conflicting: {cancelled.reasons}") from None
                pause(conflicts)

    def _statuses(self, sku: str, key_ids: list[str]) -> dict[str, str]:
        wanted = [keys.card_key(sku, keys.shard_of(key_id, self.table.shards), key_id) for key_id in key_ids]
        return {item["key_id"]["S"]: item["status"]["S"] for item in self.table.batch_get(wanted, ("key_id", "status"))}

    def set_low_stock(self, station: str, sku: str, low_stock: int | None) -> int | None:
        key = keys.low_stock_threshold(station, sku)
        if low_stock is None:
            before = self.table.client.delete_item(TableName=self.table.name, Key=key, ReturnValues="ALL_OLD")
        else:
            before = self.table.client.put_item(TableName=self.table.name, Item=key | {"low_stock": n(low_stock)},
                                                ReturnValues="ALL_OLD")
        old = before.get("Attributes")
        return None if not old else number(old, "low_stock")

    def low_stock_thresholds(self, station: str) -> dict[str, int]:
        return {keys.threshold_sku(item["sk"]["S"]): number(item, "low_stock")
                for item in self.table.items_under(keys.low_stock_thresholds(station))}


def _sealed(item: dict) -> SealedKey:
    return SealedKey(key_id=item["key_id"]["S"], sku=item["sku"]["S"], fingerprint=item["fingerprint"]["S"],
                     ciphertext=bytes(item["ciphertext"]["B"]), refunded=item.get("refunded", {}).get("BOOL", False),
                     batch_id=item.get("batch_id", {}).get("S"))
