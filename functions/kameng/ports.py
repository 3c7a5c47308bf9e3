"""What the services ask of the outside world, in the domain's words.

Shaped by DynamoDB's limits so the embedded SQLite adapter never offers what
DynamoDB cannot do: every change is one conditional transaction of at most
100 items, and request paths read by key or one partition's query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Protocol, Sequence

from kameng.domain.member import Earning, IssuedCoupon, Member, Withdrawal, WithdrawalStatus
from kameng.domain.order import Applied, Order, OrderChange, OrderStatus, PaymentEvent
from kameng.domain.price_book import PriceBook

# A transaction moves the order, its event record, its ledger entries and its keys.
MAX_KEYS_PER_ORDER = 50


@dataclass(frozen=True)
class SealedKey:
    key_id: str
    sku: str
    fingerprint: str
    ciphertext: bytes
    refunded: bool = False  # sold to an order that was refunded afterwards


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
class ImportResult:
    added: int
    duplicates: int


@dataclass(frozen=True)
class SignInGrant:
    """What a sign-in link lets its holder become, once: the shopper of one e-mail, at one station."""

    shopper_key: str
    station: str
    email_masked: str
    expires_at: datetime


class Store(Protocol):
    def put_price_book(self, book: PriceBook) -> None: ...

    def price_book(self, station: str) -> PriceBook | None: ...

    def add_card_keys(self, keys: Sequence[SealedKey]) -> ImportResult:
        """Idempotent by fingerprint: a key already held (in any SKU) is a duplicate."""

    def stock(self, skus: Iterable[str]) -> dict[str, StockCount]: ...

    def place_order(self, order: Order) -> Order:
        """Create a pending order holding `order.quantity` reserved keys, or raise SoldOut."""

    def apply(self, change: OrderChange, now: datetime) -> tuple[Applied, Order | None]:
        """Apply a change only if the order is still in `change.from_status` and the
        event (if any) was never applied; raise SoldOut when a RESERVE finds too few keys."""

    def set_payment_session(self, order_id: str, session_id: str) -> None: ...

    def order(self, order_id: str) -> Order | None: ...

    def event_seen(self, event_id: str) -> bool: ...

    def sealed_keys(self, order: Order) -> list[SealedKey]: ...

    def orders_of_shopper(self, shopper_key: str, limit: int) -> list[Order]: ...

    def due_orders(self, now: datetime, limit: int) -> list[Order]:
        """Pending orders whose reservation lapsed and paid orders not yet delivered."""

    def recent_orders(self, limit: int, station: str | None = None, status: OrderStatus | None = None) -> list[Order]: ...

    def ledger(self, order_id: str) -> list[tuple[str, int, str, str]]: ...

    def set_low_stock_alert(self, sku: str, alerted: bool) -> bool:
        """Set the SKU's low-stock flag under a condition; True only for the caller that changed it."""

    def count_hit(self, bucket: str, window_seconds: int, now: datetime) -> int:
        """Count one request in the bucket's current window and return the window's count."""

    def put_sign_in(self, token_hash: str, grant: SignInGrant) -> None:
        """Keep a sign-in link by the hash of its token (never the token itself)."""

    def use_sign_in(self, token_hash: str, now: datetime) -> SignInGrant | None:
        """Mark the link used under a condition and return its grant; of racing callers exactly
        one gets it, and a used, unknown or expired link gives None."""

    # A shopper's standing at a station. Delivery and refunds move it inside `apply`.

    def member(self, station: str, shopper_key: str) -> Member:
        """The shopper's record, or an empty one (nothing spent, no referrer) if they have none."""

    def open_member(self, station: str, shopper_key: str, referral_code: str) -> Member:
        """Make sure the member exists and owns a referral code (the first one given stays);
        raise ValueError if another shopper of the station owns that code."""

    def member_by_code(self, station: str, referral_code: str) -> Member | None: ...

    def bind_referrer(self, station: str, shopper_key: str, referrer: Member, ancestors: tuple[str, ...],
                      welcome: IssuedCoupon | None) -> bool:
        """Bind a new shopper (no orders, no referrer, no invitees) to `referrer` as read, and give
        them `welcome`, in one transaction; False if either record changed, leaving both as they were."""

    def redeem_points(self, station: str, shopper_key: str, points: int, coupon: IssuedCoupon) -> bool:
        """Spend `points` for `coupon` only while the balance covers them; False otherwise."""

    def coupon(self, station: str, code: str) -> IssuedCoupon | None: ...

    def issue_coupon(self, coupon: IssuedCoupon) -> None:
        """Give a shopper a coupon of their own (the owner's goodwill)."""

    def coupons_of(self, station: str, shopper_key: str) -> list[tuple[IssuedCoupon, int]]:
        """The shopper's own coupons, each with how many of its uses orders hold."""

    def quota_count(self, counter: str, holder: str) -> int: ...

    def earnings(self, station: str, referrer: str) -> list[Earning]: ...

    def request_withdrawal(self, withdrawal: Withdrawal, seen_withdrawn: int) -> bool:
        """Record the request and add its amount to the member's `withdrawn`, only if that is still
        `seen_withdrawn` (what the amount was worked out from); False otherwise."""

    def withdrawals_of(self, station: str, referrer: str) -> list[Withdrawal]:
        """A referrer's withdrawals, newest first."""

    def withdrawals(self, station: str, status: WithdrawalStatus | None = None) -> list[Withdrawal]:
        """A station's withdrawals, oldest first: the owner's payout list."""

    def settle_withdrawal(self, station: str, withdrawal_id: str, status: WithdrawalStatus, now: datetime,
                          note: str | None) -> Withdrawal | None:
        """Mark a requested withdrawal paid or rejected (a rejection gives its amount back), once;
        None if it is unknown or already settled."""

    def orders_placed(self, station: str, start: datetime, end: datetime) -> list[Order]:
        """The station's orders placed in [start, end), oldest first: the settlement report's input."""


@dataclass(frozen=True)
class SessionRequest:
    order_id: str
    station: str
    title: str
    quantity: int
    unit_price: int
    total: int
    currency: str
    email: str
    success_url: str
    cancel_url: str
    expires_at: datetime
    # Set when the station is paid out through its own connected account:
    # the platform keeps `application_fee` and the rest goes to `payout_account`.
    payout_account: str | None = None
    application_fee: int = 0
    # What the member level and the coupon took off unit_price × quantity: total = that − discount.
    discount: int = 0


@dataclass(frozen=True)
class PaymentSession:
    id: str
    url: str


class PaymentGateway(Protocol):
    def create_session(self, request: SessionRequest) -> PaymentSession: ...

    def expire_session(self, session_id: str) -> None:
        """Stop a session from taking money; a session already finished is left alone."""

    def verify_event(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """Check the signature over the raw body, then read it; raise InvalidSignature."""

    def refund(self, payment_ref: str, amount: int | None, order_id: str) -> str:
        """Give back a payment (all of it when amount is None) and return the refund's id.

        Idempotent per (order_id, amount): a retry returns the first refund, never a
        second one. The id means "refund requested": Alipay and WeChat Pay settle later.
        """


class Cipher(Protocol):
    def seal(self, plaintext: bytes, context: bytes) -> bytes: ...

    def open(self, ciphertext: bytes, context: bytes) -> bytes: ...

    def keyed_hash(self, purpose: str, text: str) -> str:
        """A stable HMAC of `text` under a key derived for `purpose` (fingerprints, lookup keys)."""


class Mail(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...
