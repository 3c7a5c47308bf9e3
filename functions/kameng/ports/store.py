"""The store's ports, in the domain's words: one narrow port per aggregate, bundled as `Store`.

Shaped by DynamoDB's limits so the embedded SQLite adapter never offers what
DynamoDB cannot do: every change is one conditional transaction of at most
100 items, and request paths read by key or one partition's query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Protocol, Sequence

from kameng.domain.audit import AuditDraft, AuditEntry, AuditHead
from kameng.domain.member import Earning, IssuedCoupon, Member, Withdrawal, WithdrawalStatus
from kameng.domain.order import Applied, LedgerEntry, Order, OrderChange, OrderStatus
from kameng.domain.owners import Owner, OwnerToken
from kameng.domain.payouts import StationPayout
from kameng.domain.price_book import PriceBook
from kameng.domain.second_factor import SecondFactor
from kameng.domain.stats import BuyerCounts, BuyerRecord, CohortCell, Counted, DayTotals, ReferrerShare, StatsDelta, Tally
from kameng.domain.supply import SupplyAttempt
from kameng.domain.supply_sync import SkuSync
from kameng.domain.tickets import Ticket, TicketStatus
from kameng.domain.wholesale import Reseller, ResellerCharge
from kameng.ports.real_name import RealNames

# A transaction moves the order, its event record, its ledger entries and its keys.

MAX_KEYS_PER_ORDER = 50


@dataclass(frozen=True)
class SealedKey:
    key_id: str
    sku: str
    fingerprint: str
    ciphertext: bytes
    refunded: bool = False  # sold to an order that was refunded afterwards
    batch_id: str | None = None  # the import it came in; None for keys imported before batches were kept


@dataclass(frozen=True)
class StockCount:
    available: int = 0
    reserved: int = 0
    sold: int = 0
    void: int = 0
    # The owner was told this SKU fell below its low-stock threshold, and no restock has lifted it since.
    low_alerted: bool = False

    @property
    def imported(self) -> int:
        return self.available + self.reserved + self.sold + self.void


@dataclass(frozen=True)
class KeyBatch:
    """One import of a SKU's keys: where they came from and what each cost (minor units; None: not told).
    `counts` are its keys by status as `KeyBatches.batches_of` found them (zeros elsewhere)."""

    batch_id: str
    sku: str
    supplier: str
    cost_per_key: int | None
    imported_at: datetime
    note: str
    counts: StockCount = StockCount()


@dataclass(frozen=True)
class ImportResult:
    added: int
    duplicates: int


@dataclass(frozen=True)
class VoidResult:
    voided: tuple[str, ...] = ()
    held: dict[str, str] = field(default_factory=dict)  # key id → "reserved", "sold" or "void": left as it was
    unknown: tuple[str, ...] = ()  # no key of the SKU has that id


@dataclass(frozen=True)
class SignInGrant:
    """What a sign-in link lets its holder become, once: the shopper of one e-mail, at one station."""

    shopper_key: str
    station: str
    email_masked: str
    expires_at: datetime


class StoreError(Exception):
    """A store refused a request for what it holds, not for a fault of its own (those raise as they are)."""


class UnknownRecord(StoreError, LookupError):
    """The id names nothing the store holds."""


class Duplicate(StoreError):
    """What the caller asked to create already exists."""


class Conflict(StoreError):
    """The record is no longer as the caller read it (settled, used, changed by a racing call)."""


class PriceBooks(Protocol):
    """The published prices, one book per station: checkout never believes a price from anywhere else."""

    def put_price_book(self, book: PriceBook) -> None:
        """Replace the station's book (the newest publish wins)."""

    def stations(self) -> list[str]:
        """Every station with a published price book, by name."""

    def price_book(self, station: str) -> PriceBook | None:
        """None for a station that has never been published."""


class Inventory(Protocol):
    """Card keys and their counts. Keys move between available, reserved and sold only with an order
    (`Orders.place_order`, `Orders.apply`), so available + reserved + sold + void = imported always."""

    def add_card_keys(self, keys: Sequence[SealedKey]) -> ImportResult:
        """Idempotent by fingerprint: a key already held (in any SKU) is counted a duplicate, never raised."""

    def stock(self, skus: Iterable[str]) -> dict[str, StockCount]:
        """Every SKU asked for, with zeros for one never stocked."""

    def sealed_keys(self, order: Order) -> list[SealedKey]:
        """The keys the order holds now (reserved or sold), sorted by key id; [] for an unknown order."""

    def set_low_stock_alert(self, sku: str, alerted: bool) -> bool:
        """Set the SKU's low-stock flag under a condition; True only for the caller that changed it."""

    def key_ids_of(self, sku: str, fingerprints: Iterable[str]) -> dict[str, str]:
        """Key ids by fingerprint, of this SKU's keys only."""

    def void_keys(self, sku: str, key_ids: Sequence[str]) -> VoidResult:
        """Void the available ones with their counts; a key reserved or sold first is reported, left as it is."""

    def set_low_stock(self, station: str, sku: str, low_stock: int | None) -> int | None:
        """Keep (None: forget) the owner's threshold of a station's SKU; return the one it replaced."""

    def low_stock_thresholds(self, station: str) -> dict[str, int]: ...

    def shared_key(self, sku: str, key_id: str | None) -> SealedKey | None:
        """A loop SKU's credential, which stays available however often it is sold: the key of that id
        (whatever its status, as an order delivered with it shows it), or with None one available key of
        the SKU; None when there is none."""


class KeyBatches(Protocol):
    """Each import of keys is a batch; its keys carry its id (`SealedKey.batch_id`), and their status is
    the batch's counts: read from the keys themselves by the owner's listing, never kept as counters, so
    no order's transaction writes more for them. Owner reads only, never a request path."""

    def add_batch(self, batch: KeyBatch) -> None:
        """Keep a new batch (before its keys are added); raises Duplicate for an id kept already."""

    def batch(self, batch_id: str) -> KeyBatch | None:
        """The batch without counts; None for an unknown id."""

    def batches_of(self, sku: str) -> list[KeyBatch]:
        """The SKU's batches, oldest first, each with its keys' counts by status; reads every key of the SKU."""

    def available_in(self, batch_id: str) -> list[str]:
        """The ids of the batch's keys that are available now, sorted; [] for an unknown batch."""


class Orders(Protocol):
    """Orders, their payments and ledgers. Every change is `apply`: one conditional transaction that also
    moves the order's keys, quotas, member credits and ledger entries, and records the event that caused it."""

    def place_order(self, order: Order, day: date | None = None) -> Order:
        """Create a pending order holding `order.quantity` reserved keys and its quotas; with `day`, count a
        checkout started at the station that day (in SQLite's one transaction; on DynamoDB by one ADD just
        after, outside a transaction every checkout of a flash sale would otherwise conflict on).

        Raises SoldOut when too few keys are left, the quota's own refusal when a cap is reached,
        Duplicate when an order of that id exists, and Busy when racing buyers kept winning."""

    def apply(self, change: OrderChange, now: datetime) -> tuple[Applied, Order | None]:
        """Apply a change only if the order is still in `change.from_status` and the event (if any) was
        never applied: (DONE, the order as changed); a repeat (or a change that stays in its status and
        would not move the reservation forward) gives DUPLICATE and a stale read (or an unknown order)
        CONFLICT, with None, changing nothing. Raises SoldOut when a RESERVE finds too
        few keys."""

    def set_payment_session(self, order_id: str, session_id: str, url: str) -> None:
        """Remember the gateway's session of the order and the address of its pay page;
        raises UnknownRecord for an unknown order."""

    def record_split(self, order_id: str, amount: int, ref: str) -> None:
        """Record the share sent to the station's own account (分账) after payment; UnknownRecord for no order."""

    def record_refund_paid(self, order_id: str, bank_ref: str, note: str | None, by: str, at: datetime) -> Order:
        """Record that the refund given back by hand so far was transferred to the buyer: the order as stored.
        While a record covers the whole refund, a later one changes nothing (the first stands); a key refund
        after it is owed again, and a new record covers it. UnknownRecord for an unknown order, Conflict for
        one that owes no refund by hand (domain/bank_transfer.refund_owed_by_hand)."""

    def order(self, order_id: str) -> Order | None:
        """None for an unknown order."""

    def event_seen(self, event_id: str) -> bool:
        """Whether a change carrying this event id was applied."""

    def ledger(self, order_id: str) -> list[LedgerEntry]:
        """The order's entries in the order they were written; [] for an unknown order."""

    def orders_of_shopper(self, shopper_key: str, limit: int) -> list[Order]:
        """The shopper's newest orders first."""

    def due_orders(self, now: datetime, limit: int) -> list[Order]:
        """Pending orders whose reservation lapsed and paid orders not yet delivered, oldest due first."""

    def recent_orders(self, limit: int, station: str | None = None, status: OrderStatus | None = None) -> list[Order]:
        """The newest orders first, of one station and one status when given."""

    def orders_placed(self, station: str, start: datetime, end: datetime) -> list[Order]:
        """The station's orders placed in [start, end), oldest first: the settlement report's input."""


class Members(Protocol):
    """A shopper's standing at a station, their referral chain and their coupons. Delivery and refunds
    move a member's spend, points and orders inside `Orders.apply`; what lost a race here returns False."""

    def member(self, station: str, shopper_key: str) -> Member:
        """The shopper's record, or an empty one (nothing spent, no referrer) if they have none."""

    def open_member(self, station: str, shopper_key: str, referral_code: str) -> Member:
        """Make sure the member exists and owns a referral code (the first one given stays);
        raises Duplicate if another shopper of the station owns that code."""

    def member_by_code(self, station: str, referral_code: str) -> Member | None:
        """None for a code nobody owns."""

    def bind_referrer(self, station: str, shopper_key: str, referrer: Member, ancestors: tuple[str, ...],
                      welcome: IssuedCoupon | None) -> bool:
        """Bind a new shopper (no orders, no referrer, no invitees) to `referrer` as read, and give
        them `welcome`, in one transaction; False if either record changed, leaving both as they were."""

    def redeem_points(self, station: str, shopper_key: str, points: int, coupon: IssuedCoupon) -> bool:
        """Spend `points` for `coupon` only while the balance covers them; False otherwise."""

    def issue_coupon(self, coupon: IssuedCoupon) -> None:
        """Give a shopper a coupon of their own; writing the same coupon again changes nothing."""

    def coupon(self, station: str, code: str) -> IssuedCoupon | None:
        """A personal coupon by its code; None for a code never issued."""

    def coupons_of(self, station: str, shopper_key: str) -> list[tuple[IssuedCoupon, int]]:
        """The shopper's own coupons by code, each with how many of its uses orders hold."""

    def station_coupons(self, station: str, limit: int) -> list[tuple[IssuedCoupon, int]]:
        """The personal coupons issued at the station, newest first, each with how many of its uses orders hold."""


class Payouts(Protocol):
    """Referral commissions and their withdrawal. Earnings are written and reversed by `Orders.apply`."""

    def earnings(self, station: str, referrer: str) -> list[Earning]:
        """The referrer's earnings by order and level; [] for someone who never earned."""

    def request_withdrawal(self, withdrawal: Withdrawal, seen_withdrawn: int) -> bool:
        """Record the request and add its amount to the member's `withdrawn`, only if that is still
        `seen_withdrawn` (what the amount was worked out from); False otherwise."""

    def withdrawals_of(self, station: str, referrer: str) -> list[Withdrawal]:
        """A referrer's withdrawals, newest first."""

    def withdrawals(self, station: str, status: WithdrawalStatus | None = None) -> list[Withdrawal]:
        """A station's withdrawals, oldest first: the owner's payout list."""

    def settle_withdrawal(self, station: str, withdrawal_id: str, status: WithdrawalStatus, now: datetime,
                          note: str | None) -> Withdrawal:
        """Mark a requested withdrawal paid or rejected (a rejection gives its amount back), once.
        Raises UnknownRecord for a withdrawal the station does not have, Conflict for one already settled."""


class StationPayouts(Protocol):
    """Substations' withdrawals of what the platform owes them, and each station's committed total
    (requested, approved or paid: not rejected), which every request and rejection moves with it."""

    def request_payout(self, payout: StationPayout, ceiling: int) -> bool:
        """Keep the new payout and add its amount to the station's committed total, only if that total stays
        within `ceiling` (the balance due); False, keeping nothing, otherwise. Raises Duplicate for an id kept."""

    def committed(self, station: str) -> int:
        """The station's committed total; 0 for a station that never asked."""

    def payout(self, station: str, payout_id: str) -> StationPayout | None:
        """None for an id the station does not have."""

    def payouts(self, station: str) -> list[StationPayout]:
        """The station's payouts, newest first."""

    def decide_payout(self, decided: StationPayout, seen: StationPayout) -> StationPayout:
        """Write `decided` if the payout is still as `seen`; a rejection takes its amount off the committed
        total in the same transaction. Raises Conflict when it changed, UnknownRecord for an unknown one."""


class Counters(Protocol):
    """Counts that bound what one holder may do: quotas (flash sales, daily limits, coupon uses), which
    orders take and give back in their own transactions, and request rates."""

    def quota_count(self, counter: str, holder: str) -> int:
        """How many units the holder's orders hold of the counter; 0 for a counter never taken."""

    def count_hit(self, bucket: str, window_seconds: int, now: datetime) -> int:
        """Count one request in the bucket's current window and return the window's count."""


class SignIns(Protocol):
    """One-time sign-in links, kept by the hash of their token (never the token itself)."""

    def put_sign_in(self, token_hash: str, grant: SignInGrant) -> None:
        """Keep a new link; raises Duplicate for a hash already kept."""

    def use_sign_in(self, token_hash: str, now: datetime) -> SignInGrant | None:
        """Mark the link used under a condition and return its grant; of racing callers exactly
        one gets it, and a used, unknown or expired link gives None."""


@dataclass(frozen=True)
class RequestClaim:
    """One request's hold on a client's idempotency key; `claimed_at` tells one claim of a key from another."""

    scope_key: str
    request_hash: str
    claimed_at: datetime
    # After this, a claim that kept no response (its process died) may be taken over by a retry.
    lease_ends: datetime
    # After this, the key is forgotten: what it kept is never replayed again.
    expires_at: datetime


@dataclass(frozen=True)
class Recorded:
    """What a key holds for a request that is not the caller's claim: a response kept, or one still being made."""

    request_hash: str
    claimed_at: datetime
    response: bytes | None  # None while the claiming request is still being processed


class IdempotentRequests(Protocol):
    """Client-chosen keys that make a retried request answer as its first try did, kept by a scope key
    (a keyed hash of the key and whose it is, never the key itself) and with the response sealed by the caller."""

    def begin(self, claim: RequestClaim) -> Recorded | None:
        """Claim the key under a condition: None when the caller holds it now (nothing kept, what was kept
        expired, or an unfinished claim's lease ended), else what it holds. Of racing callers exactly one
        gets None."""

    def finish(self, claim: RequestClaim, response: bytes) -> None:
        """Keep the claimed request's response until the claim expires; raises Conflict when the key is no
        longer this claim's (abandoned, taken over, or finished already)."""

    def abandon(self, claim: RequestClaim) -> None:
        """Let go of a claim whose request changed nothing, so a retry runs afresh; a key that is no longer
        this unfinished claim's is left as it is."""


class AuditLog(Protocol):
    """The owner's append-only, hash-chained log: one chain for the whole shop, so appends are serialised
    (owner actions are rare; a request path never appends)."""

    def append(self, draft: AuditDraft) -> AuditEntry:
        """Chain the draft after the newest entry and keep it; of racing callers each gets its own seq and
        the chain never forks. Raises Busy when racing appends kept winning."""

    def entries(self, station: str | None, after_seq: int, limit: int) -> list[AuditEntry]:
        """Entries past `after_seq` by seq, at most `limit`, of one station when given (the whole log: None)."""

    def head(self) -> AuditHead | None:
        """The newest entry's seq and hash as the log recorded them; None for a log never written."""


class Statistics(Protocol):
    """Daily rollups per station and SKU and a record per buyer, kept as orders are delivered and refunded
    (never by reading orders back). Days are the station's own (domain/stats.py decides them)."""

    def record(self, order_id: str, kind: Counted, delta: StatsDelta, refunded_before: int = 0) -> bool:
        """Add the delta, and a marker of (order_id, kind; a key refund's names the keys refunded before it), in
        one transaction; False, changing nothing, when that marker is there already or no delivery was counted."""

    def days(self, station: str, start: date, end: date) -> list[DayTotals]:
        """The station's totals of each day in [start, end] that has any, oldest first."""

    def sku_days(self, station: str, sku: str | None, start: date, end: date) -> list[DayTotals]:
        """One SKU's days in [start, end] (every SKU's when None), by day then SKU."""

    def buyer(self, station: str, shopper_key: str) -> BuyerRecord | None:
        """None for a shopper with no counted order at the station."""

    def count_once(self, marker: str, station: str, day: date, tally: Tally) -> bool:
        """Add 1 to the day's `tally` once per marker (False, changing nothing, when it was counted)."""

    def tallies(self, station: str, start: date, end: date) -> dict[date, dict[Tally, int]]:
        """The day counters of each day in [start, end] that has any."""

    def paying_buyers(self, station: str, start: date, end: date) -> BuyerCounts:
        """Distinct buyers with one (and with two or more) orders kept in [start, end]."""

    def cohorts(self, station: str, first_week: date, last_week: date) -> list[CohortCell]:
        """The cells of the cohorts of weeks [first_week, last_week], by week and offset."""

    def referrers(self, station: str, start: date, end: date) -> list[ReferrerShare]:
        """Each referrer's orders, GMV and commissions summed over [start, end], in no order."""


class Owners(Protocol):
    """The people of the owner console and their API tokens, kept by the hash of each token (never the token).
    A shop has a handful of owners: listing them reads them all."""

    def add_owner(self, owner: Owner) -> None:
        """Keep a new owner; raises Duplicate for an id or an e-mail kept already."""

    def owner(self, owner_id: str) -> Owner | None:
        """None for an unknown id."""

    def owner_by_email(self, email: str) -> Owner | None:
        """None for an e-mail no owner has (e-mails are kept lower-cased)."""

    def owners(self, station: str | None) -> list[Owner]:
        """One station's owners by e-mail (every owner when None, platform owners included)."""

    def issue_token(self, token: OwnerToken) -> None:
        """Keep a new token; raises UnknownRecord for an unknown owner, Duplicate for a hash kept already."""

    def tokens(self) -> list[OwnerToken]:
        """Every token, revoked and expired ones included, by owner then issue time."""

    def owner_by_token(self, token_hash: str, now: datetime) -> Owner | None:
        """The token's owner; None for a token unknown, revoked or expired at `now`."""

    def revoke_token(self, token_hash: str, now: datetime) -> OwnerToken:
        """Revoke the token (a repeat keeps the first revocation) and return it as it is now;
        raises UnknownRecord for a hash never issued."""

    def second_factor(self, owner_id: str) -> SecondFactor | None:
        """The owner's TOTP secret, sealed; None before they began to set one up."""

    def start_second_factor(self, factor: SecondFactor) -> None:
        """Keep a new, unconfirmed secret in place of an unconfirmed one; raises Conflict when the owner's
        secret is confirmed already (a stolen sign-in link must not replace it), UnknownRecord for an
        unknown owner."""

    def use_second_factor_step(self, owner_id: str, step: int, sealed_secret: bytes) -> bool:
        """Accept a code of time step `step` and confirm the secret, only if the secret is still
        `sealed_secret` (the one the code was checked against) and no code of that step or a later one was
        accepted before (each code works once); False otherwise, or when there is no secret."""

    def reset_second_factor(self, owner_id: str) -> bool:
        """Forget the owner's secret (a lost phone), so the next sign-in sets up a new one; False when there
        was none."""


class Tickets(Protocol):
    """After-sales tickets about one key of a delivered order. Each write is conditional on the ticket's
    version as read; a key has at most one unresolved ticket."""

    def open_ticket(self, ticket: Ticket) -> None:
        """Keep a new ticket; raises Duplicate when its key has an unresolved ticket (or its id is kept)."""

    def ticket(self, ticket_id: str) -> Ticket | None:
        """None for an unknown id."""

    def tickets_of_order(self, order_id: str) -> list[Ticket]:
        """The order's tickets, oldest first."""

    def queue(self, station: str, status: TicketStatus | None, limit: int) -> list[Ticket]:
        """A station's tickets of one status (None: open and answered), the longest waiting first."""

    def update_ticket(self, ticket: Ticket) -> Ticket:
        """Write `ticket` (version one past the stored one) if the stored version is `ticket.version - 1`;
        a resolved ticket frees its key for a new report. Raises Conflict otherwise, UnknownRecord for an
        unknown ticket."""

    def replace_key(self, ticket: Ticket, order: Order) -> Ticket:
        """In one transaction: void the ticket's key, give `order` one available key of its SKU in its
        place (counts move with them) and write `ticket` (resolved, one version past the stored one) with
        `replacement_key_id` set; returns it. Raises SoldOut when the SKU has no key left and Conflict when
        the ticket, the order or the key changed since they were read, changing nothing."""

    def replaced_keys(self, order_id: str) -> list[SealedKey]:
        """The (void) keys the order's tickets had replaced, by key id."""


class SupplyAttempts(Protocol):
    """Each try at an upstream supplier for an order, under its own request id: kept before it is sent, and
    every answer applied under a condition on what the caller read, so a Lambda dying at any line, a racing
    callback or the sweeper never applies one answer twice. Datetimes must carry a time zone."""

    def start_attempt(self, attempt: SupplyAttempt) -> None:
        """Keep a new attempt (status placed); raises Duplicate for a request id kept already."""

    def attempt(self, request_id: str) -> SupplyAttempt | None:
        """None for an unknown request id."""

    def attempts_of(self, order_id: str) -> list[SupplyAttempt]:
        """The order's attempts, oldest first (by started_at, then request id); [] for an order with none."""

    def update_attempt(self, attempt: SupplyAttempt, seen: SupplyAttempt) -> bool:
        """Write `attempt` only if the stored one still has `seen`'s status, quantity_delivered and
        quantity_applied (what the caller decided from); False, writing nothing, otherwise (a racing callback
        or sweeper won). Its request id, order and start are `seen`'s (ValueError otherwise); raises
        UnknownRecord for an unknown request id."""

    def open_attempts(self, started_before: datetime, limit: int) -> list[SupplyAttempt]:
        """The sweeper's reconciliation list, oldest first (by started_at, then request id), at most `limit`:
        attempts started before the time that are still open (OPEN_ATTEMPTS) or whose delivery is not all
        applied yet (quantity_applied < quantity_delivered, whatever their status)."""


class Resellers(Protocol):
    """Other platforms buying wholesale (货源对接): each reseller's prepaid balance moves only with a top-up
    (once per reference) or a charge (once per request id), each one conditional transaction."""

    def add_reseller(self, reseller: Reseller) -> None:
        """Keep a new reseller with a balance of 0; raises Duplicate for an id kept already."""

    def reseller(self, reseller_id: str) -> Reseller | None:
        """None for an unknown id."""

    def resellers(self) -> list[Reseller]:
        """Every reseller, by id (a platform has a handful: one partition's read)."""

    def top_up(self, reseller_id: str, amount: int, reference: str, now: datetime) -> bool:
        """Add `amount` to the balance once per reference: False, changing nothing, for a reference seen
        before. Raises UnknownRecord for an unknown reseller."""

    def balance(self, reseller_id: str) -> tuple[int, int]:
        """(balance, credit_limit) in minor units; raises UnknownRecord for an unknown reseller."""

    def charge(self, charge: ResellerCharge) -> ResellerCharge:
        """Take `charge.amount` only while balance + credit_limit covers it and the request id was never
        charged, in one transaction, and return the charge as kept: the same request id again returns the
        first charge (its order id, not the caller's) and takes nothing. Raises InsufficientBalance when the
        amount is not covered, UnknownRecord for an unknown reseller."""

    def charge_of(self, reseller_id: str, request_id: str) -> ResellerCharge | None:
        """None for a request id the reseller never had charged."""

    def give_back(self, reseller_id: str, request_id: str, now: datetime) -> bool:
        """Return a charge's amount to the balance once; False for one given back already or never made."""

    def use_nonce(self, reseller_id: str, nonce: str, now: datetime, expires_at: datetime) -> bool:
        """Keep the nonce until `expires_at`: True once per nonce, False for one kept and not expired at `now`
        (a replayed request)."""


class SupplySync(Protocol):
    """What the suppliers last said of each SKU bought from them (`kameng sync`, the sync schedule): one record
    per SKU, read by key or by a batch of keys, never by a scan."""

    def put_sync(self, record: SkuSync) -> None:
        """Keep the SKU's record, replacing the one kept before."""

    def syncs(self, skus: Iterable[str]) -> dict[str, SkuSync]:
        """The records of these SKUs that were ever synced, by SKU (a SKU never synced is absent)."""


@dataclass(frozen=True)
class Store:
    """The store's ports, each on one adapter's shared connection or table."""

    price_books: PriceBooks
    inventory: Inventory
    orders: Orders
    members: Members
    payouts: Payouts
    counters: Counters
    sign_ins: SignIns
    idempotent_requests: IdempotentRequests
    audit_log: AuditLog
    statistics: Statistics
    owners: Owners
    tickets: Tickets
    station_payouts: StationPayouts
    key_batches: KeyBatches
    supply_attempts: SupplyAttempts
    resellers: Resellers
    supply_sync: SupplySync
    real_names: RealNames
