"""Stripe webhook events: verified with the stripe library over the raw body, then read.

Both gateways use this, so the sandbox exercises the production check. A Checkout
Session fetched from the gateway (rather than pushed by a webhook) is read here too,
into the same payment event the webhook would have brought.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Mapping

from kameng.domain.errors import InvalidRequest, InvalidSignature
from kameng.domain.order import PaymentEvent, PaymentKind
from kameng.ports.outside import Acknowledgement

# Stripe's own default: a signed event older than five minutes is a replay.
TOLERANCE_SECONDS = 300

KINDS = {
    "checkout.session.completed": PaymentKind.COMPLETED,
    "checkout.session.async_payment_succeeded": PaymentKind.ASYNC_SUCCEEDED,
    "checkout.session.async_payment_failed": PaymentKind.ASYNC_FAILED,
    "checkout.session.expired": PaymentKind.EXPIRED,
}
# Alipay and WeChat Pay refunds settle after they are asked for. Since API version 2024-10-28 Stripe
# sends refund.updated and refund.failed for every refund; earlier versions charge.refund.updated.
REFUND_EVENTS = ("refund.updated", "refund.failed", "charge.refund.updated")
# Either way the shopper did not get the money back.
REFUND_NOT_MADE = ("failed", "canceled")
# A payment found by asking about its session has no event id of its own: one per session, so that two
# sweepers finding it apply it once (the webhook's own event, arriving later, finds the order moved on).
FOUND_PAYMENT_PREFIX = "session_paid:"
# Any 2xx tells Stripe the event arrived; the outcome helps whoever reads the dashboard's log.
ACKNOWLEDGEMENT = Acknowledgement(200, "application/json", b'{"received":true}')


def verify(payload: bytes, signature: str | None, secret: str, now: float | None = None) -> PaymentEvent:
    if not signature_valid(payload, signature, secret, now):
        raise InvalidSignature("Stripe-Signature 校验失败：签名缺失、伪造或已过期")
    try:
        event = json.loads(payload)
        if event["type"] in REFUND_EVENTS:
            return _refund_event(str(event["id"]), event["type"], event["data"]["object"])
        session = event["data"]["object"] if event["type"] in KINDS else {}
        return _session_event(str(event["id"]), KINDS.get(event["type"], PaymentKind.OTHER), session)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidRequest("事件格式不正确") from None


def signature_valid(payload: bytes, header: str | None, secret: str, now: float | None = None) -> bool:
    """Stripe's webhook signature, as its libraries check it: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`
    (one or more v1, during a secret's rotation), within TOLERANCE_SECONDS of now.

    Checked here rather than by the stripe library, which takes a tenth of a second to import: the webhook
    function would load it for every cold start. The sandbox signs with the library
    (`sign`), so the tests hold the two to one scheme.
    """
    if not header or not isinstance(payload, bytes):
        return False
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in items if key.strip() == "t"]
    signatures = [value.strip() for key, value in items if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        return False
    stamp = int(stamps[0])
    expected = hmac.new(secret.encode(), str(stamp).encode() + b"." + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in signatures):
        return False
    return stamp >= (time.time() if now is None else now) - TOLERANCE_SECONDS


def paid_session(session: Mapping[str, Any]) -> PaymentEvent | None:
    """The payment a Checkout Session shows, as `checkout.session.completed` would bring it; None until it is paid."""
    if session.get("payment_status") != "paid":
        return None
    return _session_event(f"{FOUND_PAYMENT_PREFIX}{session['id']}", PaymentKind.COMPLETED, session)


def _session_event(event_id: str, kind: PaymentKind, session: Mapping[str, Any]) -> PaymentEvent:
    metadata = session.get("metadata") or {}
    amount = session.get("amount_total")
    return PaymentEvent(
        id=event_id,
        kind=kind,
        order_id=metadata.get("order_id") or session.get("client_reference_id"),
        session_id=session.get("id"),
        paid=session.get("payment_status") == "paid",
        amount=amount if isinstance(amount, int) else None,
        currency=(session.get("currency") or "").upper() or None,
        payment_ref=session.get("payment_intent") if isinstance(session.get("payment_intent"), str) else None,
    )


def _refund_event(event_id: str, event_type: str, refund: Mapping[str, Any]) -> PaymentEvent:
    if refund.get("object") != "refund":
        raise ValueError(f"{event_type} without a refund")
    status = refund.get("status")
    failed = event_type == "refund.failed" or status in REFUND_NOT_MADE
    metadata = refund.get("metadata") or {}
    amount = refund.get("amount")
    return PaymentEvent(
        id=event_id,
        kind=PaymentKind.REFUND_FAILED if failed else PaymentKind.REFUND_UPDATED,
        # The gateway adapters put the order id on every refund they ask for.
        order_id=metadata.get("order_id"),
        session_id=None,
        paid=False,
        amount=amount if isinstance(amount, int) else None,
        currency=(refund.get("currency") or "").upper() or None,
        payment_ref=refund.get("payment_intent") if isinstance(refund.get("payment_intent"), str) else None,
        refund_id=str(refund["id"]),
        refund_status=status,
        refund_failure=refund.get("failure_reason"),
    )


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    import stripe

    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp)
