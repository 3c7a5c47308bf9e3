"""What the services ask of the world beyond the store: payments, sealing, mail, uploads and the CDN."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Iterator, Mapping, Protocol, Sequence

from kameng.domain.order import PaymentEvent
from kameng.domain.uploads import UploadTarget, UploadTicket


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
    # Where the rail posts its notifications (the station's /api/webhooks/<rail>); Stripe's are set in its dashboard.
    notify_url: str = ""
    # Where the shopper pays from: "desktop", "phone" or "wechat" (WeChat's own browser). Alipay pays on
    # its PC page or its phone page, WeChat Pay by Native QR, H5 or JSAPI accordingly.
    device: str = "desktop"
    client_ip: str = ""  # WeChat Pay's H5 asks for the payer's address
    openid: str | None = None  # WeChat Pay's JSAPI pays as this WeChat user
    # The buyer's invoice details (发票抬头, 税号) for a bank transfer; empty otherwise.
    invoice: tuple[tuple[str, str], ...] = ()
    # The station's language ("zh-CN", "en"), for a pay page that can speak it; empty: the rail decides.
    language: str = ""


class Show:
    """How the pay step hands the shopper to the rail."""

    REDIRECT = "redirect"  # send the browser to `url`
    QR = "qr"  # show `url` as a QR code to scan with the payer's phone
    TRANSFER = "transfer"  # show the station's bank account and the reference `url`
    JSAPI = "jsapi"  # inside WeChat: call WeixinJSBridge for the prepay id `url` (the gateway's jsapi_params)


@dataclass(frozen=True)
class PaymentSession:
    id: str
    url: str
    show: str = Show.REDIRECT


@dataclass(frozen=True)
class Notification:
    """A notification as it reached the shop, before anything in it is believed."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    query: str = ""  # the raw query string: 易支付 notifies by GET


@dataclass(frozen=True)
class TakeBack:
    """Of a split payment (分账), what a refund takes back from the station's account: `amount`, after which
    `taken_after` has been taken back in all (what names the take-back at the rail, so a retry is the same one)."""

    receiver: str
    amount: int
    taken_after: int


@dataclass(frozen=True)
class Acknowledgement:
    """What the rail must hear once a notification is recorded, or it sends it again."""

    status: int
    content_type: str
    body: bytes


class PaymentGateway(Protocol):
    rail: str  # stripe | alipay | wechat | epay | bank
    # How long an order paid on this rail may wait for its money; None: the shop's reservation.
    window: timedelta | None

    def create_session(self, request: SessionRequest) -> PaymentSession: ...

    def expire_session(self, session_id: str) -> None:
        """Stop a session from taking money; a session already finished is left alone."""

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        """What the gateway itself says the session was paid, read as the webhook of its completion would
        bring it (one event id per session); None while it has taken no money. Asked before an order
        lapses, as its webhook may never have arrived. Raises what the gateway raises (unknown session, outage)."""

    def verify_event(self, notification: Notification) -> PaymentEvent:
        """Check the signature (and its age, where the rail dates it), then read it; raise InvalidSignature.
        Checks nothing against the order: that is the services' work (domain/order.decide_payment)."""

    def acknowledge(self, event: PaymentEvent) -> Acknowledgement:
        """The answer that tells the rail the notification is recorded."""

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0,
               take_back: TakeBack | None = None) -> str:
        """Give back a payment (all of it when amount is None) and return the refund's id.

        `take_back`: of a split payment (分账), what to take back from the station's account with this refund (Alipay's refund_royalty_parameters, WeChat Pay's return order before the
        refund); Stripe reverses its transfer by itself and ignores it.

        Idempotent per (order_id, amount, attempt): a retry returns the first refund, never a
        second one; `attempt` counts the refunds of the order the gateway reported failed, so
        asking again after a failure is a new refund. The id means "refund requested": Alipay
        and WeChat Pay settle later, and report a failure by a refund event.
        """


class SplittingGateway(PaymentGateway, Protocol):
    """A rail that pays a station's share to its own account after the payment (分账)."""

    # The most of a payment the rail lets a merchant split away (Alipay and WeChat Pay: 30 % unless raised).
    max_share_percent: int

    def split(self, payment_ref: str, order_id: str, receiver: str, amount: int) -> str:
        """Send `amount` of the payment to `receiver`; idempotent per order. Returns the rail's id for it."""


class PaymentRails(Protocol):
    """The rails a deployment takes besides Stripe, each built on first use (its SDK loads then)."""

    def names(self) -> tuple[str, ...]: ...

    def get(self, name: str) -> PaymentGateway:
        """The rail's gateway; KeyError for a name not in names()."""


class Cipher(Protocol):
    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """Seal a card key, bound to `context` (its SKU and key id)."""

    def open(self, ciphertext: bytes, context: bytes) -> bytes: ...

    def keyed_hash(self, purpose: str, text: str) -> str:
        """A stable HMAC of `text` under a key derived for `purpose` (fingerprints, lookup keys)."""

    def seal_record(self, purpose: str, subject: str, plaintext: bytes, context: bytes) -> bytes:
        """Seal a small secret of the shop's own records (an order's token, never a card key) under a key
        derived from the hash key for (purpose, subject), bound to `context`.

        Not `seal`: on AWS that is KMS under the card-key context, which only the order pages may open and
        only the import may seal (infra/template.yaml), while checkout and every delivery path hold the hash key.
        """

    def open_record(self, purpose: str, subject: str, sealed: bytes, context: bytes) -> bytes:
        """What `seal_record` sealed; raises for another purpose, subject or context, or damaged bytes."""


class Mail(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class Uploads(Protocol):
    """Files too big for a request (key files), put by the owner's client straight into private storage."""

    def open_upload(self, ticket: UploadTicket) -> UploadTarget:
        """Keep the ticket; say where to put exactly `ticket.size` bytes until it expires."""

    def ticket(self, upload_id: str) -> UploadTicket | None: ...

    def chunks(self, upload_id: str) -> Iterator[bytes]:
        """The file streamed; UnknownRecord while nothing was put, UploadTooLarge past the ticket's size."""

    def discard(self, upload_id: str) -> None:
        """Delete the file and its ticket; a repeat does nothing."""


class PublishError(Exception):
    """Publishing cannot start or could not finish; the message says why."""


class Phase(IntEnum):
    """The order a station's uploads go up in (services/publish_site.py says why)."""

    ASSETS = 1
    PAGES = 2
    INDEXES = 3  # sitemap.xml, robots.txt


@dataclass(frozen=True)
class RemoteObject:
    key: str
    sha256: str | None  # x-amz-meta-sha256; None when uploaded by something else
    content_type: str | None = None
    cache_control: str | None = None
    version_id: str | None = None  # the bucket's version of it; None when the bucket keeps no versions


@dataclass(frozen=True)
class Upload:
    path: str  # relative to the station folder, '/'-separated
    key: str  # bucket key: <station>/<path>
    source: Path
    sha256: str
    content_type: str
    cache_control: str
    phase: Phase
    replaces: bool  # an object with this key exists and differs


class Publisher(Protocol):
    """The CDN's storage and cache, as publishing needs them (adapters/cdn_s3.py). Raises PublishError."""

    def list_objects(self, bucket: str, prefix: str) -> list[RemoteObject]:
        """Every object under the prefix, with the hash and headers it was stored with."""

    def upload(self, bucket: str, uploads: Sequence[Upload]) -> Mapping[str, str | None]:
        """Put every file (any order among themselves); return once all are stored, with each key's new version."""

    def delete(self, bucket: str, keys: Sequence[str]) -> None:
        """Delete the keys; return once all are gone."""

    def invalidate(self, distribution_id: str, paths: Sequence[str]) -> str:
        """Create one invalidation of the paths; return its id."""

    def put_record(self, bucket: str, key: str, body: bytes) -> None:
        """Keep a publish's record (services/rollout.py) beside the sites, never served by the CDN."""

    def read_record(self, bucket: str, key: str) -> bytes:
        """A record kept by put_record."""

    def record_keys(self, bucket: str, prefix: str) -> list[str]:
        """The records' keys under the prefix, sorted."""

    def restore(self, bucket: str, key: str, version_id: str) -> str | None:
        """Make an earlier version of the key its current one again; return the new version."""
