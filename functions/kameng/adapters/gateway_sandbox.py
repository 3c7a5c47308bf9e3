"""The sandbox gateway: a local pay page that sends Stripe-format, Stripe-signed webhooks.

It keeps its sessions in its own SQLite file, as Stripe keeps them on its side,
and reaches the shop only through the signed webhook, as Stripe does. Its
webhooks wait in that file until the shop takes them (sandbox_outbox.py), and
the shop may ask it what a session was paid, as it asks Stripe.
"""
from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from kameng.adapters import sandbox_outbox, stripe_events
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.order import PaymentEvent
from kameng.ports.outside import Acknowledgement, Notification, PaymentSession, SessionRequest, TakeBack

SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_sessions (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL);
"""
METHODS = ("card", "alipay", "wechat_pay")
# Alipay and WeChat Pay confirm later, as Stripe's delayed-notification methods do.
ASYNC_METHODS = ("alipay", "wechat_pay")

Send = Callable[[bytes, dict[str, str]], None]
# A refused connection or a 5xx is tried again at once a few times; after that the outbox waits longer.
SEND_ATTEMPTS = 3


@functools.cache
def _http():
    # Only the sandbox posts webhooks; a function on AWS never pays for importing requests.
    import requests

    return requests.Session()


def post_webhooks(url: str) -> Send:
    """Send each webhook over HTTP to `url`, as Stripe does, trying again after a refused connection or a 5xx."""

    def send(payload: bytes, headers: dict[str, str]) -> None:
        # Loaded by the first webhook sent: a function that only reads never pays for it.
        import requests

        for attempt in range(SEND_ATTEMPTS):
            try:
                response = _http().post(url, data=payload, headers=headers, timeout=10)
                if response.status_code < 500:
                    response.raise_for_status()
                    return
            except requests.ConnectionError:
                if attempt == SEND_ATTEMPTS - 1:
                    raise
            time.sleep(0.2 * (attempt + 1))
        response.raise_for_status()

    return send


@dataclass(frozen=True)
class SandboxSession:
    id: str
    status: str  # open | complete | expired
    order_id: str
    station: str
    title: str
    quantity: int
    total: int
    currency: str
    email: str
    success_url: str
    cancel_url: str
    expires_at: int
    payment_status: str = "unpaid"  # paid once the money is taken, as Stripe's
    method: str | None = None
    language: str = ""  # the station's, which the pay page speaks (Stripe Checkout's locale)


def checkout_session(session: SandboxSession, payment_status: str | None = None) -> dict:
    """The session as Stripe's API and webhooks show a Checkout Session."""
    payment_status = payment_status or session.payment_status
    return {
        "id": session.id, "object": "checkout.session", "mode": "payment", "status": session.status,
        "payment_status": payment_status, "amount_total": session.total, "amount_subtotal": session.total,
        "currency": session.currency.lower(), "client_reference_id": session.order_id,
        "customer_email": session.email, "expires_at": session.expires_at,
        "metadata": {"order_id": session.order_id, "station": session.station},
        "payment_intent": f"pi_{session.id.removeprefix('cs_test_')[:24]}" if payment_status == "paid" else None,
        "payment_method_types": [session.method or "card"], "success_url": session.success_url,
        "cancel_url": session.cancel_url,
    }


def webhook_event(event_type: str, session: dict) -> dict:
    return {
        "id": f"evt_{secrets.token_hex(12)}", "object": "event", "api_version": "2024-06-20",
        "created": int(datetime.now(timezone.utc).timestamp()), "livemode": False, "pending_webhooks": 1,
        "type": event_type, "request": {"id": None, "idempotency_key": None}, "data": {"object": session},
    }


class SandboxGateway:
    rail = "stripe"
    window = None

    def __init__(self, db_path: Path | str, pay_base_url: str, webhook_secret: str, send: Send):
        self.db = SqliteFile(db_path, SCHEMA + sandbox_outbox.SCHEMA)
        self.outbox = sandbox_outbox.WebhookOutbox(self.db)
        self.pay_base_url = pay_base_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.send = send

    # the port

    def create_session(self, request: SessionRequest) -> PaymentSession:
        session = SandboxSession(
            id=f"cs_test_{secrets.token_urlsafe(24)}", status="open", order_id=request.order_id,
            station=request.station, title=request.title, quantity=request.quantity, total=request.total,
            currency=request.currency, email=request.email, success_url=request.success_url,
            cancel_url=request.cancel_url, expires_at=int(request.expires_at.timestamp()),
            language=request.language,
        )
        with self.db.write() as conn:
            conn.execute("INSERT INTO sandbox_sessions (id, status, body) VALUES (?, ?, ?)",
                         (session.id, session.status, json.dumps(session.__dict__)))
        return PaymentSession(id=session.id, url=f"{self.pay_base_url}/_sandbox/pay/{session.id}")

    def expire_session(self, session_id: str) -> None:
        self._finish(session_id, "expired", None, ("checkout.session.expired", "unpaid"))

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        session = self.session(session_id)
        if session is None:
            raise LookupError(f"no sandbox session {session_id}")
        return stripe_events.paid_session(checkout_session(session))

    def verify_event(self, notification: Notification) -> PaymentEvent:
        return stripe_events.verify(notification.body, notification.headers.get("stripe-signature"), self.webhook_secret)

    def acknowledge(self, event: PaymentEvent) -> Acknowledgement:
        return stripe_events.ACKNOWLEDGEMENT

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0,
               take_back: TakeBack | None = None) -> str:
        # The sandbox moves no money; one id per (order, amount, attempt) behaves like Stripe's idempotency.
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        key = f"refund-{order_id}-{'full' if amount is None else amount}" + (f"-again-{attempt}" if attempt else "")
        return "re_sandbox_" + hashlib.sha256(key.encode()).hexdigest()[:24]

    # what the pay page does

    def session(self, session_id: str) -> SandboxSession | None:
        row = self.db.conn().execute("SELECT status, body FROM sandbox_sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None
        fields = json.loads(row[1])
        fields["status"] = row[0]
        return SandboxSession(**fields)

    def pay(self, session_id: str, method: str) -> SandboxSession | None:
        if method not in METHODS:
            raise ValueError(f"unknown payment method {method!r}")
        if method in ASYNC_METHODS:
            return self._finish(session_id, "complete", method, ("checkout.session.completed", "unpaid"),
                                ("checkout.session.async_payment_succeeded", "paid"))
        return self._finish(session_id, "complete", method, ("checkout.session.completed", "paid"))

    def fail(self, session_id: str, method: str) -> SandboxSession | None:
        return self._finish(session_id, "complete", method, ("checkout.session.completed", "unpaid"),
                            ("checkout.session.async_payment_failed", "unpaid"))

    # what the local server's background loop does

    def resend_due_webhooks(self, now: float | None = None) -> int:
        """Send again the webhooks the shop has not taken whose wait is over; returns how many it took."""
        return self.outbox.send_due(self._deliver, now)

    def _finish(self, session_id: str, status: str, method: str | None,
                *events: tuple[str, str]) -> SandboxSession | None:
        """Close an open session once, keeping its webhooks (event type, payment status) in the same
        transaction, then send them; a second click or a race finds it closed and does nothing.
        A refused webhook raises, as before, and waits in the outbox for the next attempt."""
        with self.db.write() as conn:
            row = conn.execute("SELECT body FROM sandbox_sessions WHERE id = ? AND status = 'open'",
                               (session_id,)).fetchone()
            if row is None:
                return None
            paid = any(payment_status == "paid" for _, payment_status in events)
            session = SandboxSession(**json.loads(row[0]) | {
                "status": status, "payment_status": "paid" if paid else "unpaid", "method": method})
            conn.execute("UPDATE sandbox_sessions SET status = ?, body = ? WHERE id = ?",
                         (status, json.dumps(session.__dict__), session_id))
            held = []
            for event_type, payment_status in events:
                event = webhook_event(event_type, checkout_session(session, payment_status))
                payload = json.dumps(event, separators=(",", ":")).encode()
                held.append(self.outbox.add(conn, event["id"], event_type, payload))
        self.outbox.send_now(held, self._deliver)
        return session

    def _deliver(self, payload: bytes) -> None:
        # Signed as it leaves, as Stripe signs each attempt: a retry hours later is not a stale replay.
        self.send(payload, {"content-type": "application/json",
                            "stripe-signature": stripe_events.sign(payload, self.webhook_secret)})
