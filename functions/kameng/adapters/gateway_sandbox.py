"""The sandbox gateway: a local pay page that sends Stripe-format, Stripe-signed webhooks.

It keeps its sessions in its own SQLite file, as Stripe keeps them on its side,
and reaches the shop only through the signed webhook, as Stripe does.
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

from kameng.adapters import stripe_events
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.order import PaymentEvent
from kameng.ports import PaymentSession, SessionRequest

SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_sessions (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL);
"""
METHODS = ("card", "alipay", "wechat_pay")
# Alipay and WeChat Pay confirm later, as Stripe's delayed-notification methods do.
ASYNC_METHODS = ("alipay", "wechat_pay")

Send = Callable[[bytes, dict[str, str]], None]
# Stripe retries failed deliveries for days; the sandbox tries a few times, then says so.
SEND_ATTEMPTS = 3


@functools.cache
def _http():
    # Only the sandbox posts webhooks; a function on AWS never pays for importing requests.
    import requests

    return requests.Session()


def post_webhooks(url: str) -> Send:
    """Send each webhook over HTTP to `url`, as Stripe does, trying again after a refused connection or a 5xx."""
    import requests

    def send(payload: bytes, headers: dict[str, str]) -> None:
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


class SandboxGateway:
    def __init__(self, db_path: Path | str, pay_base_url: str, webhook_secret: str, send: Send):
        self.db = SqliteFile(db_path, SCHEMA)
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
        )
        with self.db.write() as conn:
            conn.execute("INSERT INTO sandbox_sessions (id, status, body) VALUES (?, ?, ?)",
                         (session.id, session.status, json.dumps(session.__dict__)))
        return PaymentSession(id=session.id, url=f"{self.pay_base_url}/_sandbox/pay/{session.id}")

    def expire_session(self, session_id: str) -> None:
        session = self._finish(session_id, "expired")
        if session is not None:
            self._emit("checkout.session.expired", session, payment_status="unpaid", status="expired")

    def verify_event(self, payload: bytes, signature: str | None) -> PaymentEvent:
        return stripe_events.verify(payload, signature, self.webhook_secret)

    def refund(self, payment_ref: str, amount: int | None, order_id: str) -> str:
        # The sandbox moves no money; one id per (order, amount) behaves like Stripe's idempotency.
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        key = f"refund-{order_id}-{'full' if amount is None else amount}"
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
        session = self._finish(session_id, "complete")
        if session is None:
            return None
        if method in ASYNC_METHODS:
            self._emit("checkout.session.completed", session, payment_status="unpaid", method=method)
            self._emit("checkout.session.async_payment_succeeded", session, payment_status="paid", method=method)
        else:
            self._emit("checkout.session.completed", session, payment_status="paid", method=method)
        return session

    def fail(self, session_id: str, method: str) -> SandboxSession | None:
        session = self._finish(session_id, "complete")
        if session is not None:
            self._emit("checkout.session.completed", session, payment_status="unpaid", method=method)
            self._emit("checkout.session.async_payment_failed", session, payment_status="unpaid", method=method)
        return session

    def _finish(self, session_id: str, status: str) -> SandboxSession | None:
        """Close an open session once; a second click or a race finds it closed and does nothing."""
        with self.db.write() as conn:
            closed = conn.execute("UPDATE sandbox_sessions SET status = ? WHERE id = ? AND status = 'open'",
                                  (status, session_id)).rowcount
        return self.session(session_id) if closed else None

    def _emit(self, event_type: str, session: SandboxSession, payment_status: str,
              status: str = "complete", method: str = "card") -> None:
        now = int(datetime.now(timezone.utc).timestamp())
        event = {
            "id": f"evt_{secrets.token_hex(12)}", "object": "event", "api_version": "2024-06-20",
            "created": now, "livemode": False, "pending_webhooks": 1, "type": event_type,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": {
                "id": session.id, "object": "checkout.session", "mode": "payment", "status": status,
                "payment_status": payment_status, "amount_total": session.total, "amount_subtotal": session.total,
                "currency": session.currency.lower(), "client_reference_id": session.order_id,
                "customer_email": session.email, "expires_at": session.expires_at,
                "metadata": {"order_id": session.order_id, "station": session.station},
                "payment_intent": f"pi_{session.id.removeprefix('cs_test_')[:24]}" if payment_status == "paid" else None,
                "payment_method_types": [method], "success_url": session.success_url,
                "cancel_url": session.cancel_url,
            }},
        }
        payload = json.dumps(event, separators=(",", ":")).encode()
        self.send(payload, {"content-type": "application/json", "stripe-signature": stripe_events.sign(payload, self.webhook_secret)})
