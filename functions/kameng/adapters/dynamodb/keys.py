"""Every key of the store's one DynamoDB table, built and parsed here and nowhere else.

The table itself is `infra/table.yaml`; the tests create it from that file, so
the two cannot drift. Every change is one TransactWriteItems of at most 100
items whose conditions are the SQLite adapter's WHERE clauses; request paths
read by key or by one partition's query, never by Scan.

Key layout (pk, sk are strings; `ss` is the shard, two digits)

| item            | pk                        | sk                | attributes                                             | used by |
| --------------- | ------------------------- | ----------------- | ------------------------------------------------------ | ------- |
| card key        | POOL#<sku>#<ss>           | KEY#<key_id>      | key_id, sku, fingerprint, ciphertext (B), status,      | inventory (add_card_keys, sealed_keys), |
|                 |                           |                   | order_id while held, avail (= key_id) only while       | orders (place_order, apply) |
|                 |                           |                   | available: LSI `available` (pk, avail)                 |         |
| shard counter   | POOL#<sku>#<ss>           | COUNT             | available, reserved, sold, void (ADD, in the same      | inventory (stock), and every key move |
|                 |                           |                   | transaction as every key move)                         |         |
| key batch       | BATCH#<id>; BATCHES#<sku> | BATCH; BATCH#<id> | sku, supplier, cost_per_key, imported_at, note (keys name it in batch_id) | key_batches |
| fingerprint     | FP#<fingerprint>          | FP                | sku, key_id (put if absent, with its key)              | inventory (add_card_keys) |
| order           | ORDER#<id>                | ORDER             | body (Order JSON), status, sku, station, key_refs      | orders (place_order, apply, order, |
|                 |                           |                   | ("<shard>/<key_id>"), payment_session/_url, split_*, refund_paid (set once), | set_payment_session, record_split, record_refund_paid), inventory |
|                 |                           |                   | gsi1pk SHOPPER#<shopper_key>, gsi1sk <id> (by_shopper) | (sealed_keys), stream (paid_order_id) |
|                 |                           |                   | duepk DUE#<nn> / duesk <due_at> only while due (due),  |         |
|                 |                           |                   | recentpk RECENT#<n> / recentsk <id> (recent)           |         |
| ledger entry    | ORDER#<order_id>          | LEDGER#<seq:03d>  | account, amount, currency, memo                        | orders (apply, ledger) |
| processed event | EVENT#<event_id>          | EVENT             | order_id, processed_at, expires (+30 days)             | orders (apply, event_seen) |
| price book      | STATION#<station>         | PRICEBOOK         | version, body (zlib JSON, B)                           | price_books |
| station roster  | STATIONS                  | STATION#<station> | (none): put before the station's price book            | price_books (stations) |
| rate window     | RATE#<bucket>#<window>    | RATE              | hits (ADD), expires (after the window)                 | counters (count_hit) |
| sign-in link    | SIGNIN#<token hash>       | SIGNIN            | shopper_key, station, email_masked, expires_at,        | sign_ins |
|                 |                           |                   | used_at (set once, conditionally), expires (TTL, a day |         |
|                 |                           |                   | after expires_at; expiry is checked in code)           |         |
| idempotency key | IDEMPOTENCY#<scope key>   | REQUEST           | request_hash, claimed_at, lease_ends, expires_at,      | idempotent_requests |
|                 |                           |                   | response (B, sealed by the caller, once finished);     |         |
|                 |                           |                   | put under a condition, expires (TTL, a day after       |         |
|                 |                           |                   | expires_at; expiry is checked in code)                 |         |
| low-stock flag  | ALERT#<sku>               | ALERT             | alerted (BOOL), set and cleared under a condition      | inventory (stock, set_low_stock_alert) |
| low-stock threshold | THRESHOLDS#<station>  | SKU#<sku>         | low_stock: the owner's, over the price book's          | inventory (set_low_stock, low_stock_thresholds) |
| flash-sale count| FLASH#<station>#<sale id> | TOTAL (shards),   | sold, in shards and a partition per shopper: laid out  | orders (place_order, apply: RESERVE, |
|                 | [#<kk> or #SHOPPER#<s>]   | SHOPPER           | in sale_shards.py (the order records its sale_shard)   | RETURN), counters (quota_count) |
| daily count     | DAILY#<station>#<sku>#<YYYY-MM-DD> | SHOPPER#<shopper> | sold, as the flash-sale counts                | as the flash-sale counts |
| coupon uses     | COUPON#<station>#<code>   | TOTAL,            | sold: orders holding a use, as the flash-sale counts   | as the flash-sale counts, |
|                 |                           | SHOPPER#<shopper> |                                                        | members (coupons_of) |
| coupon          | COUPON#<station>#<code>   | COUPON            | body (IssuedCoupon JSON), owner                        | members (coupon, issue_coupon, redeem_points, |
|                 |                           |                   |                                                        | bind_referrer), orders (apply) |
| member          | MEMBER#<station>#<shopper>| MEMBER            | spend, points, orders (ADD in the order's delivery and | members, orders (apply: SELL, |
|                 |                           |                   | refund), referral_code, referrer, ancestors (L),       | FLAG_REFUNDED), payouts (withdrawn) |
|                 |                           |                   | invitees, withdrawn                                    |         |
| member's coupon | MEMBER#<station>#<shopper>| COUPON#<code>     | body (written with the COUPON item)                    | members (coupons_of) |
| earning         | MEMBER#<station>#<referrer>| EARN#<order>#<n> | amount, available_at, reversed (BOOL)                  | payouts (earnings), orders (apply) |
| referral code   | REFCODE#<station>#<code>  | REFCODE           | shopper_key (put if absent)                            | members (open_member, member_by_code) |
| withdrawal      | WITHDRAWALS#<station>     | <withdrawal id>   | body (Withdrawal JSON), status; with a copy at         | payouts (request_withdrawal, withdrawals, |
|                 |                           |                   | MEMBER#<station>#<referrer> / WITHDRAW#<id>; the       | withdrawals_of, settle_withdrawal) |
|                 |                           |                   | member's `withdrawn` moves in the same transaction     |         |
| day rollup      | STATS#<station>#<YYYY-MM-DD> | TOTAL,         | gmv, orders, keys, refunded, refunds (ADD, with the    | statistics (record, days, sku_days) |
|                 | (the station's own day)   | SKU#<sku>         | count marker; net of refunds)                          |         |
| buyer record    | BUYER#<station>#<shopper> | BUYER             | orders, spend (ADD), days (SS of order days: first and | statistics (record, buyer) |
|                 |                           |                   | last are its min and max, whatever order records come) |         |
| count marker    | COUNTED#<order_id>        | delivered,        | put if absent with the rollups it guards; a refund's   | statistics (record) |
|                 |                           | refunded          | transaction checks its delivery's marker is there      |         |
|                 | COUNTED#<marker>          | <tally>           | an account opened, a referral bound, a checkout placed | statistics (count_once) |
| day tallies     | STATS#<station>#<day>     | TALLY             | members, invitees, checkouts, new_buyers, invitee_orders, invitee_gmv, commissions (ADD) | statistics |
| buyer's week    | BUYER#<station>#<shopper> | WEEK#<YYYY-MM-DD> | orders (ADD under `orders = <read>`); the BUYER item's cohort is SET once | statistics (record) |
| buyer's day     | BUYERS#<station>#<day>    | SHOPPER#<shopper> | orders kept that day (ADD)                             | statistics (record, paying_buyers) |
| cohort cell     | COHORT#<station>          | <week>#<offset:02> | buyers (ADD): offset 0 the cohort's size, 1..8 active | statistics (record, cohorts) |
| referrer's day  | REFERRERS#<station>#<day> | REFERRER#<shopper>| orders, gmv, commissions (ADD)                         | statistics (record, referrers) |
| owner           | OWNERS                    | OWNER#<owner id>  | email, role, station (absent for the platform owner)   | owners (add_owner, owner, owners) |
| owner's e-mail  | OWNERS                    | EMAIL#<email>     | owner_id; put if absent in the owner's transaction     | owners (add_owner, owner_by_email) |
| second factor   | OWNERS                    | FACTOR#<owner id> | secret (B, sealed), confirmed (BOOL), last_step; put   | owners (second_factor, start_second_factor, |
|                 |                           |                   | unless confirmed, step set only upwards (conditions)   | use_second_factor_step) |
| owner token     | OWNERS                    | TOKEN#<token hash>| owner_id, label, issued_at, expires_at, revoked_at     | owners (issue_token, tokens, |
|                 |                           |                   | (set once); expiry and revocation are checked in code  | owner_by_token, revoke_token) |
| ticket          | TICKET#<id>               | TICKET            | body (Ticket JSON), version, status, key_ref; written  | tickets |
|                 |                           |                   | under `version = <the version read>`                   |         |
| order's ticket  | ORDER#<order_id>          | TICKET#<id>       | (none): put with the ticket                            | tickets |
| ticket queue    | TICKETS#<station>#<status>| <created>#<id>    | (none): moved (delete + put) with each status change   | tickets |
| key's open ticket| TICKETKEY#<key_id>       | OPEN              | ticket_id: put if absent at opening, deleted at resolve| tickets |
| audit entry     | AUDIT                     | ENTRY#<seq:012d>  | at, actor, station, action, subject, before and after  | audit_log (append, entries) |
|                 |                           |                   | (JSON text), prev_hash, hash; put if absent            |         |
| audit head      | AUDIT                     | HEAD              | seq, hash of the newest entry: put in the entry's      | audit_log (append, head) |
|                 |                           |                   | transaction under `seq = <the seq read>`               |         |
| supply attempt  | ATTEMPT#<request_id>; ORDER#<id> | ATTEMPT; ATTEMPT#… | laid out in keys_supply.py      | supply_attempts |
| reseller        | RESELLERS; RESELLER#<id>; NONCE#… | RESELLER#<id>; TOPUP#…; CHARGE#… | laid out in keys_resellers.py | resellers |

The quota counters' partition keys are the domain's counter names
(domain/quota.py: the same on every store adapter); a coupon's item shares its
uses' partition. The quota counts ride in the reservation's transaction: at
most 14 items (a sale's TOTAL and the shopper's share, the shopper's day, a coupon's TOTAL and uses,
the orders and keys items of each of the client's three unpaid-hold partitions, UNPAID#<station>#<client>
/ SHOPPER#orders and SHOPPER#keys, given back when the order is paid or lapses, and the orders of the
hour of each, RISK#<station>#<client>#<hour>, never given back: domain/risk.py),
which stays within EXTRA_ALLOWANCE, as does the delivery transaction's share
(its ledger entries, the member, at most three earnings and a reward coupon's
two items; its issued-coupon item is put just after). A sale's quantity is split over
up to 16 shard items (sale_shards.py): about 500 checkouts/s per shard, and a
full shard sends the checkout to another with room, never to sold out early.

The audit log is one chain, so every append writes the one HEAD item: one
partition, about 1,000 WCU/s, and racing appends conflict on HEAD and are
retried. Owner actions come a few a minute, far below that ceiling; no
request path appends. Its entries share the AUDIT partition (about 500 bytes
each: the 10 GB item-collection limit of a table with an LSI holds some
twenty million).

The owners share one OWNERS partition: a shop has a handful of owners and tokens, so
listing them is one query, and the console's requests read one token item each (a
partition serves about 3,000 strongly consistent reads/s, far above owner traffic).

Statistics are written after delivery, from the table's stream (never inside the
delivery transaction, which may hold 98 items): one transaction per counted order of
the marker, the day's TOTAL and SKU#<sku> items and the buyer item. A station's day
partition is hot: every delivery and refund of the station writes its TOTAL item,
two items of at most 1 KB in that partition at 2 WCU each, so 4 WCU per order and
about 250 orders/s per station before the 1,000 WCU/s partition limit; racing
transactions on TOTAL conflict and are retried with jitter. The stream's ordered,
per-shard delivery keeps one station's writes well below that in practice.
The same transaction adds the buyer's day and week, the day's TALLY, the cohort cells the
week moves and the order's referrers' days (at most 12 items); it reads the buyer's cohort and
week first and writes them under the condition that they are still as read. TALLY shares the
day's hot partition: an order that writes it costs 6 WCU there, about 166 such orders/s per station.

Voiding keys is the owner's move of available keys to void: each key under
`status = available` (a checkout racing for it makes the condition fail, and the
key is reported, not voided) with its shard counter's `available -n, void +n`
in the same transaction, at most 100 items: keys and the counters of their shards.

A refunded order's sold keys get `refunded` (BOOL) in the refund's transaction;
its reversal entries continue the order's LEDGER#<seq> numbering.

Shard of a key: blake2b(key_id) mod `shards`, so a key's item never moves and
an import spreads a SKU over every shard. The order records its keys as
"<shard>/<key_id>" refs, so changing `shards` later still finds every held key;
shards may grow but never shrink (stock() reads counters 0..shards-1).

A hot SKU: one pool partition takes about 1,000 WCU/s; an item of at most
1 KB written in a transaction costs 2 WCU, and an LSI entry added or removed
is counted at the same rate to stay on the safe side. An order of N keys taken
from one shard writes in that shard's partition:

    reserve: N keys + 1 counter + N LSI entries removed = 2(N+1) + 2N WCU
    sell:    N keys + 1 counter                         = 2(N+1)     WCU
    total:   6N + 4 WCU  (N = 1: 10 WCU)

so one shard sustains 1,000 / 10 = 100 single-key orders/s and the default 64
shards 6,400 orders/s (5,000 orders/s uses 78% of every pool partition; 16
shards would stop at 1,600). At N = 5 (34 WCU) the same 64 shards carry 1,882
orders/s, 9,411 keys/s. `inventory.hot_sku_orders_per_second` computes these
figures. A reservation that lapses costs its shard 6N + 2 WCU more (keys and
LSI entries come back). The 1,000 WCU/s is a hard ceiling per shard: with an
LSI a pk's items stay in one partition (and under 10 GB, about 20 million
keys), so DynamoDB cannot split a pool for heat.

Not in that arithmetic: both transactions of an order touch its shard's
counter, and DynamoDB cancels a transaction that overlaps another on the same
item (TransactionConflict, retried with jitter). At 5,000 orders/s each
counter sees about 156 transactions/s; a load test on real DynamoDB should
confirm the conflict rate, and `shards` is the knob if it is high.

The order indexes are sharded for the same reason. `due` changes its key at
placing, paying and delivering (a key change is a delete plus a put in a GSI):
about 4 index writes per order, 20,000/s at 5,000 orders/s, so 32 `DUE#<nn>`
partitions (625/s each). `recent` and `by_shopper` are written once per order
(KEYS_ONLY, or `station` only, neither of which ever changes), so 8 `RECENT#<n>`
partitions take 625/s each. Order bodies are read back from the table with
strongly consistent BatchGetItem, never from an index.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Iterable

from kameng.adapters.dynamodb.table import DEFAULT_SHARDS, instant, s
from kameng.domain.quota import EVERYONE, coupon_counter

Key = dict[str, dict[str, str]]
# A partition and the prefix its items of one kind share: what one begins_with query reads.
Range = tuple[str, str]

DUE_PARTITIONS = 32
RECENT_PARTITIONS = 8

_POOL, _KEY, _ORDER, _ALERT, _EARN = "POOL#", "KEY#", "ORDER#", "ALERT#", "EARN#"


def _key(pk: str, sk: str) -> Key:
    return {"pk": s(pk), "sk": s(sk)}


def bucket(text: str, partitions: int) -> int:
    # Python's hash() changes per process; the shard of a key must not.
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") % partitions


def shard_of(key_id: str, shards: int = DEFAULT_SHARDS) -> int:
    return bucket(key_id, shards)


# ---------------------------------------------------------------- pools of card keys


def pool(sku: str, shard: int) -> str:
    return f"{_POOL}{sku}#{shard:02d}"


def pool_of(pk: str) -> tuple[str, int] | None:
    """The (sku, shard) of a pool's partition key; None for any other item."""
    if not pk.startswith(_POOL):
        return None
    sku, shard = pk[len(_POOL):].rsplit("#", 1)
    return sku, int(shard)


def card_key(sku: str, shard: int, key_id: str) -> Key:
    return _key(pool(sku, shard), f"{_KEY}{key_id}")


def card_key_id(sk: str) -> str | None:
    return sk[len(_KEY):] if sk.startswith(_KEY) else None


def shard_counter(sku: str, shard: int) -> Key:
    return _key(pool(sku, shard), "COUNT")


def key_batch(batch_id: str, sku: str | None = None) -> Key:
    """A batch (sku None), or its copy in the SKU's list of batches (put together)."""
    return _key(f"BATCH#{batch_id}", "BATCH") if sku is None else _key(f"BATCHES#{sku}", f"BATCH#{batch_id}")


def sku_batches(sku: str) -> Range:
    return f"BATCHES#{sku}", "BATCH#"


def fingerprint(value: str) -> Key:
    return _key(f"FP#{value}", "FP")


def low_stock_alert(sku: str) -> Key:
    return _key(f"{_ALERT}{sku}", "ALERT")


def alerted_sku(pk: str) -> str | None:
    return pk[len(_ALERT):] if pk.startswith(_ALERT) else None


def key_ref(shard: int, key_id: str) -> str:
    """How an order names a key it holds: with its shard, so a change of `shards` still finds it."""
    return f"{shard}/{key_id}"


def key_refs(picks: dict[int, list[str]]) -> list[str]:
    return [key_ref(shard, key_id) for shard, key_ids in sorted(picks.items()) for key_id in sorted(key_ids)]


def picks_of(refs: Iterable[str]) -> dict[int, list[str]]:
    picks: dict[int, list[str]] = {}
    for ref in refs:
        shard, key_id = ref.split("/", 1)
        picks.setdefault(int(shard), []).append(key_id)
    return picks


# ---------------------------------------------------------------- orders, their ledgers and events


def order(order_id: str) -> Key:
    return _key(f"{_ORDER}{order_id}", "ORDER")


def order_id_of(item: dict) -> str | None:
    """The id of the order an item (or a stream image) is; None for any other item, a ledger entry included."""
    pk = (item.get("pk") or {}).get("S", "")
    sk = (item.get("sk") or {}).get("S")
    return pk[len(_ORDER):] if pk.startswith(_ORDER) and sk == "ORDER" else None


def order_indexes(order_id: str, shopper_key: str) -> dict:
    """The order's entries in `by_shopper` and `recent`, written once when it is placed."""
    return {"gsi1pk": s(shopper_orders(shopper_key)), "gsi1sk": s(order_id),
            "recentpk": s(recent_partition(bucket(order_id, RECENT_PARTITIONS))), "recentsk": s(order_id)}


def shopper_orders(shopper_key: str) -> str:
    return f"SHOPPER#{shopper_key}"


def recent_partition(partition: int) -> str:
    return f"RECENT#{partition}"


def due_index(order_id: str, due_at: datetime) -> dict:
    """The order's entry in `due`, present only while the sweeper has something to do with it."""
    return {"duepk": s(due_partition(bucket(order_id, DUE_PARTITIONS))), "duesk": s(instant(due_at))}


def due_partition(partition: int) -> str:
    return f"DUE#{partition:02d}"


def ledger_entry(order_id: str, seq: int) -> Key:
    return _key(f"{_ORDER}{order_id}", f"LEDGER#{seq:03d}")


def ledger_entries(order_id: str) -> Range:
    return f"{_ORDER}{order_id}", "LEDGER#"


def processed_event(event_id: str) -> Key:
    return _key(f"EVENT#{event_id}", "EVENT")


# ---------------------------------------------------------------- price books, rates, sign-in links, idempotency keys


def price_book(station: str) -> Key:
    return _key(f"STATION#{station}", "PRICEBOOK")


STATIONS = ("STATIONS", "STATION#")


def station_listed(station: str) -> Key:
    return _key("STATIONS", f"STATION#{station}")


def listed_station(item: dict) -> str:
    return item["sk"]["S"].removeprefix("STATION#")


def rate_window(bucket_name: str, window: int) -> Key:
    return _key(f"RATE#{bucket_name}#{window}", "RATE")


def sign_in(token_hash: str) -> Key:
    return _key(f"SIGNIN#{token_hash}", "SIGNIN")


def idempotent_request(scope_key: str) -> Key:
    return _key(f"IDEMPOTENCY#{scope_key}", "REQUEST")


# ---------------------------------------------------------------- statistics


_STATION_DAY, _SKU_DAY = "TOTAL", "SKU#"


def stats_day(station: str, day: date, sku: str | None = None) -> Key:
    """The station's total of a day (sku None), or one SKU's."""
    return _key(f"STATS#{station}#{day.isoformat()}", _STATION_DAY if sku is None else f"{_SKU_DAY}{sku}")


def stats_sku_days(station: str, day: date) -> Range:
    return f"STATS#{station}#{day.isoformat()}", _SKU_DAY


def stats_day_of(item: dict) -> tuple[date, str | None]:
    """The (day, sku) a rollup item counts; sku None for the station's total."""
    day = item["pk"]["S"].rsplit("#", 1)[1]
    sk = item["sk"]["S"]
    return date.fromisoformat(day), sk[len(_SKU_DAY):] if sk.startswith(_SKU_DAY) else None


def stats_buyer(station: str, shopper_key: str) -> Key:
    return _key(f"BUYER#{station}#{shopper_key}", "BUYER")


def counted(order_id: str, kind: str) -> Key:
    return _key(f"COUNTED#{order_id}", kind)


# ---------------------------------------------------------------- quotas and coupons


def quota(counter: str, holder: str) -> Key:
    return _key(counter, "TOTAL" if holder == EVERYONE else f"SHOPPER#{holder}")


def coupon_uses(station: str, code: str) -> Key:
    return quota(coupon_counter(station, code), EVERYONE)


def coupon(station: str, code: str) -> Key:
    return _key(coupon_counter(station, code), "COUPON")


# ---------------------------------------------------------------- members, referrals, earnings, withdrawals


def _member_partition(station: str, shopper_key: str) -> str:
    return f"MEMBER#{station}#{shopper_key}"


def member(station: str, shopper_key: str) -> Key:
    return _key(_member_partition(station, shopper_key), "MEMBER")


def member_coupon(station: str, owner: str, code: str) -> Key:
    return _key(_member_partition(station, owner), f"COUPON#{code}")


def member_coupons(station: str, shopper_key: str) -> Range:
    return _member_partition(station, shopper_key), "COUPON#"


def earning(station: str, referrer: str, order_id: str, level: int) -> Key:
    return _key(_member_partition(station, referrer), f"{_EARN}{order_id}#{level}")


def earnings_of(station: str, referrer: str) -> Range:
    return _member_partition(station, referrer), _EARN


def earning_of(sk: str) -> tuple[str, int]:
    """The (order id, level) an earning's sort key names."""
    order_id, level = sk[len(_EARN):].rsplit("#", 1)
    return order_id, int(level)


def referral_code(station: str, code: str) -> Key:
    return _key(f"REFCODE#{station}#{code}", "REFCODE")


def withdrawal(station: str, withdrawal_id: str) -> Key:
    return _key(station_withdrawals(station), withdrawal_id)


def station_withdrawals(station: str) -> str:
    return f"WITHDRAWALS#{station}"


def member_withdrawal(station: str, referrer: str, withdrawal_id: str) -> Key:
    return _key(_member_partition(station, referrer), f"WITHDRAW#{withdrawal_id}")


def withdrawals_of(station: str, referrer: str) -> Range:
    return _member_partition(station, referrer), "WITHDRAW#"


# ---------------------------------------------------------------- the audit log

_AUDIT, _AUDIT_ENTRY = "AUDIT", "ENTRY#"


def audit_head() -> Key:
    return _key(_AUDIT, "HEAD")


def audit_entry(seq: int) -> Key:
    # Zero-padded, so the sort key orders entries as their seqs do.
    return _key(_AUDIT, f"{_AUDIT_ENTRY}{seq:012d}")


def audit_entries_after(seq: int) -> tuple[str, str, str]:
    """The partition and the sort-key bounds (inclusive) of every entry past `seq`; HEAD sorts outside them."""
    return _AUDIT, audit_entry(seq + 1)["sk"]["S"], f"{_AUDIT_ENTRY}~"


# ---------------------------------------------------------------- owners and their API tokens

_OWNERS, _OWNER, _OWNER_TOKEN = "OWNERS", "OWNER#", "TOKEN#"


def owner(owner_id: str) -> Key:
    return _key(_OWNERS, f"{_OWNER}{owner_id}")


def owner_factor(owner_id: str) -> Key:
    return _key(_OWNERS, f"FACTOR#{owner_id}")


def owner_email(email: str) -> Key:
    return _key(_OWNERS, f"EMAIL#{email}")


def owner_token(token_hash: str) -> Key:
    return _key(_OWNERS, f"{_OWNER_TOKEN}{token_hash}")


def all_owners() -> Range:
    return _OWNERS, _OWNER


def all_owner_tokens() -> Range:
    return _OWNERS, _OWNER_TOKEN


def owner_id_of(sk: str) -> str:
    return sk[len(_OWNER):]


def token_hash_of(sk: str) -> str:
    return sk[len(_OWNER_TOKEN):]


# ---------------------------------------------------------------- owners' low-stock thresholds

_THRESHOLDS, _THRESHOLD_SKU = "THRESHOLDS#", "SKU#"


def low_stock_threshold(station: str, sku: str) -> Key:
    return _key(f"{_THRESHOLDS}{station}", f"{_THRESHOLD_SKU}{sku}")


def low_stock_thresholds(station: str) -> Range:
    return f"{_THRESHOLDS}{station}", _THRESHOLD_SKU


def threshold_sku(sk: str) -> str:
    return sk[len(_THRESHOLD_SKU):]


# ---------------------------------------------------------------- dashboard rollups

_PER_DAY = {"BUYERS": "SHOPPER#", "REFERRERS": "REFERRER#"}


def stats_tally(station: str, day: date) -> Key:
    return _key(f"STATS#{station}#{day.isoformat()}", "TALLY")


def stats_buyer_week(station: str, shopper_key: str, week: date) -> Key:
    return _key(f"BUYER#{station}#{shopper_key}", f"WEEK#{week.isoformat()}")


def stats_of_day(kind: str, station: str, day: date, who: str = "") -> Key:
    """A buyer's (kind BUYERS) or a referrer's (REFERRERS) row of the station's day; who "" for its Range."""
    return _key(f"{kind}#{station}#{day.isoformat()}", f"{_PER_DAY[kind]}{who}")


def who_of(item: dict) -> str:
    return item["sk"]["S"].split("#", 1)[1]


def stats_cohort(station: str, week: date, offset: int | str) -> Key:
    """A cohort's cell; offset "" and "~" bound its sort keys for a range of weeks."""
    return _key(f"COHORT#{station}", f"{week.isoformat()}#{offset:02}" if isinstance(offset, int) else
                f"{week.isoformat()}#{offset}")


# ---------------------------------------------------------------- after-sales tickets


def ticket(ticket_id: str) -> Key:
    return _key(f"TICKET#{ticket_id}", "TICKET")


def order_ticket(order_id: str, ticket_id: str) -> Key:
    return _key(f"{_ORDER}{order_id}", f"TICKET#{ticket_id}")


def order_tickets(order_id: str) -> Range:
    return f"{_ORDER}{order_id}", "TICKET#"


def ticket_queue(station: str, status: str) -> str:
    return f"TICKETS#{station}#{status}"


def ticket_in_queue(station: str, status: str, created_at: datetime, ticket_id: str) -> Key:
    # The creation instant first, so a partition's query reads the longest waiting first.
    return _key(ticket_queue(station, status), f"{instant(created_at)}#{ticket_id}")


def ticket_id_of(sk: str) -> str:
    """The ticket an order's ticket entry or a queue entry names."""
    return sk.rsplit("#", 1)[1]


def open_ticket_of_key(key_id: str) -> Key:
    return _key(f"TICKETKEY#{key_id}", "OPEN")


# ---------------------------------------------------------------- issued coupons, station payouts


def issued_coupon(station: str, issued_at: datetime, code: str) -> Key:
    # The issue instant first, so the station's query reads them by age.
    return _key(f"ISSUED#{station}", f"COUPON#{instant(issued_at)}#{code}")


def issued_coupons(station: str) -> Range:
    return f"ISSUED#{station}", "COUPON#"


def payout(station: str, payout_id: str) -> Key:
    return _key(f"PAYOUTS#{station}", f"PAYOUT#{payout_id}")


def payouts_of(station: str) -> Range:
    return f"PAYOUTS#{station}", "PAYOUT#"


def payout_total(station: str) -> Key:
    return _key(f"PAYOUTS#{station}", "TOTAL")


def cohort_of(item: dict) -> tuple[date, int]:
    week, offset = item["sk"]["S"].split("#")
    return date.fromisoformat(week), int(offset)
