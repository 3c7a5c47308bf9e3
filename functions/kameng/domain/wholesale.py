"""Wholesale to other platforms (货源对接): resellers, their prepaid balance, and how their requests are signed.

A reseller's request carries four headers: its id, a Unix timestamp, a random nonce and an HMAC-SHA256
under its secret over "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nsha256hex(body)". The upstream answers signed
the same way under the same secret, with the answer's status in place of the method and the request's
own nonce, so an answer cannot be replayed for another request.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping

from kameng.domain.errors import ResellerUnauthorized

RESELLER_HEADER = "x-kameng-reseller"
TIMESTAMP_HEADER = "x-kameng-timestamp"
NONCE_HEADER = "x-kameng-nonce"
SIGNATURE_HEADER = "x-kameng-signature"
# As Stripe does: a signed message more than this off the receiver's clock is refused.
TOLERANCE = timedelta(minutes=5)
# A nonce is remembered while a message carrying it could still pass the time check, whichever way the clocks differ.
NONCE_KEPT = 2 * TOLERANCE
MIN_NONCE_LENGTH = 16
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Request ids travel in a path (GET /api/wholesale/orders/{request_id}): nothing there needs escaping.
REQUEST_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,95}$"
# Where a wholesale order's delivery mail goes: a name nobody can receive, under the reseller's id.
RESELLER_MAIL_DOMAIN = "resellers.invalid"
SECRET_PURPOSE = "reseller-secret"


@dataclass(frozen=True)
class Reseller:
    id: str
    name: str
    station: str  # the upstream's main station, whose price book prices the reseller's orders
    key_id: str  # names the secret in use, so a new one can be told from the old
    sealed_secret: bytes  # sealed with the cipher's record key: the store never holds the secret in plain
    credit_limit: int  # minor units the balance may go below zero
    currency: str
    created_at: datetime
    active: bool = True

    @property
    def email(self) -> str:
        return f"reseller-{self.id.lower()}@{RESELLER_MAIL_DOMAIN}"


@dataclass(frozen=True)
class ResellerCharge:
    """What one request of a reseller took from its balance, and the upstream order it bought."""

    reseller_id: str
    request_id: str
    sku: str
    quantity: int
    amount: int
    order_id: str
    charged_at: datetime
    given_back: bool = False


def secret_context(reseller_id: str) -> bytes:
    return f"reseller/{reseller_id}".encode()


def new_secret() -> str:
    return "kws_" + secrets.token_urlsafe(32)


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def canonical(first_line: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    return f"{first_line}\n{path}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()


def signature(secret: bytes, first_line: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    return hmac.new(secret, canonical(first_line, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def request_headers(reseller_id: str, secret: bytes, method: str, path: str, body: bytes, now: datetime,
                    nonce: str | None = None) -> dict[str, str]:
    timestamp, nonce = int(now.timestamp()), nonce or new_nonce()
    return {RESELLER_HEADER: reseller_id, TIMESTAMP_HEADER: str(timestamp), NONCE_HEADER: nonce,
            SIGNATURE_HEADER: signature(secret, method.upper(), path, timestamp, nonce, body)}


def answer_headers(secret: bytes, status: int, path: str, nonce: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {TIMESTAMP_HEADER: str(timestamp), NONCE_HEADER: nonce,
            SIGNATURE_HEADER: signature(secret, str(status), path, timestamp, nonce, body)}


@dataclass(frozen=True)
class SignedRequest:
    """The headers of a reseller's request as read, before its secret is known."""

    reseller_id: str
    timestamp: int
    nonce: str
    signature: str

    @classmethod
    def read(cls, headers: Mapping[str, str]) -> SignedRequest:
        lowered = {name.lower(): value for name, value in headers.items()}
        reseller_id, timestamp = lowered.get(RESELLER_HEADER, ""), lowered.get(TIMESTAMP_HEADER, "")
        nonce, given = lowered.get(NONCE_HEADER, ""), lowered.get(SIGNATURE_HEADER, "")
        if not (reseller_id and timestamp and nonce and given):
            raise ResellerUnauthorized("unsigned", "请求未签名（缺少 X-Kameng-Reseller/Timestamp/Nonce/Signature）")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise ResellerUnauthorized("bad_timestamp", "X-Kameng-Timestamp 须为 Unix 秒数")
        if not NONCE.match(nonce):
            raise ResellerUnauthorized("bad_nonce", f"X-Kameng-Nonce 须为 {MIN_NONCE_LENGTH}–64 个字母、数字、-、_")
        return cls(reseller_id, int(timestamp), nonce, given)

    def check(self, secret: bytes, method: str, path: str, body: bytes, now: datetime) -> None:
        """Raise ResellerUnauthorized for a forged signature or a timestamp too far from `now`."""
        expected = signature(secret, method.upper(), path, self.timestamp, self.nonce, body)
        if not hmac.compare_digest(expected, self.signature):
            raise ResellerUnauthorized("bad_signature", "签名不符")
        if not within_tolerance(self.timestamp, now):
            raise ResellerUnauthorized("stale_timestamp", "签名时间与服务器相差超过 5 分钟")


def within_tolerance(timestamp: int, now: datetime) -> bool:
    try:
        signed_at = datetime.fromtimestamp(timestamp, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(now - signed_at) <= TOLERANCE


def answer_is_genuine(secret: bytes, status: int, path: str, nonce: str, body: bytes,
                      headers: Mapping[str, str], now: datetime) -> bool:
    """Whether an answer was signed by the upstream for this request (its nonce), and lately."""
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp, given = lowered.get(TIMESTAMP_HEADER, ""), lowered.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not given or lowered.get(NONCE_HEADER) != nonce:
        return False
    expected = signature(secret, str(status), path, int(timestamp), nonce, body)
    return hmac.compare_digest(expected, given) and within_tolerance(int(timestamp), now)


def wholesale_event_id(reseller_id: str, request_id: str) -> str:
    # The payment event that marks a wholesale order paid: one per request, so applying it twice is a no-op.
    return f"wholesale:{reseller_id}:{request_id}"


# An upstream order a reseller paid from its balance names it as its payment: its refunds go back there.
PAID_BY_RESELLER = "wholesale:"


def payment_ref(reseller_id: str) -> str:
    return f"{PAID_BY_RESELLER}{reseller_id}"


def paying_reseller(payment_reference: str | None) -> str | None:
    """The reseller whose balance paid for an order; None for an order paid through a gateway."""
    if payment_reference and payment_reference.startswith(PAID_BY_RESELLER):
        return payment_reference[len(PAID_BY_RESELLER):]
    return None
