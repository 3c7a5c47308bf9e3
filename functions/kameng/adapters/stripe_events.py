"""Stripe webhook events: verified with the stripe library over the raw body, then read.

Both gateways use this, so the sandbox exercises the production check.
"""
from __future__ import annotations

import json

import stripe

from kameng.domain.errors import InvalidRequest, InvalidSignature
from kameng.domain.order import PaymentEvent, PaymentKind

# Stripe's own default: a signed event older than five minutes is a replay.
TOLERANCE_SECONDS = 300

KINDS = {
    "checkout.session.completed": PaymentKind.COMPLETED,
    "checkout.session.async_payment_succeeded": PaymentKind.ASYNC_SUCCEEDED,
    "checkout.session.async_payment_failed": PaymentKind.ASYNC_FAILED,
    "checkout.session.expired": PaymentKind.EXPIRED,
}


def verify(payload: bytes, signature: str | None, secret: str) -> PaymentEvent:
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError, IndexError):
        raise InvalidSignature("Stripe-Signature 校验失败：签名缺失、伪造或已过期") from None
    try:
        event = json.loads(payload)
        session = event["data"]["object"] if event["type"] in KINDS else {}
        metadata = session.get("metadata") or {}
        amount = session.get("amount_total")
        return PaymentEvent(
            id=str(event["id"]),
            kind=KINDS.get(event["type"], PaymentKind.OTHER),
            order_id=metadata.get("order_id") or session.get("client_reference_id"),
            session_id=session.get("id"),
            paid=session.get("payment_status") == "paid",
            amount=amount if isinstance(amount, int) else None,
            currency=(session.get("currency") or "").upper() or None,
            payment_ref=session.get("payment_intent") if isinstance(session.get("payment_intent"), str) else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidRequest("事件格式不正确") from None


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp)
