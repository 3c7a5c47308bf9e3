"""The Stripe rail for the contract suite: the real StripeGateway, through the stripe library, against a
stand-in for Stripe's API that keeps its sessions, payment intents and refunds as Stripe would."""
from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

from kameng.adapters import stripe_events
from kameng.adapters.gateway_stripe import StripeGateway
from kameng.ports.outside import Notification, PaymentSession, SessionRequest
from tests.rails.harness import Harness

API_KEY = "sk_test_51QwKamengContract" + "0" * 60
WEBHOOK_SECRET = "whsec_" + "5" * 48


class StripeStandIn(stripe.HTTPClient):
    """Stripe's API as the gateway uses it: idempotent on the Idempotency-Key, as Stripe is for 24 hours."""

    name = "stand-in"

    def __init__(self) -> None:
        super().__init__()
        self.sessions: dict[str, dict] = {}
        self.answered: dict[str, tuple[str, int]] = {}
        self.ids = itertools.count(1)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        key = (headers or {}).get("Idempotency-Key")
        if key and key in self.answered:
            return (*self.answered[key], {})
        body, status = self._answer(method.upper(), urlsplit(url).path, dict(parse_qsl(post_data or "")))
        if key and method.upper() == "POST":
            self.answered[key] = (body, status)
        return body, status, {"Request-Id": f"req_{next(self.ids)}"}

    def request_stream(self, *args, **kwargs):
        raise AssertionError("the gateway never streams")

    def close(self) -> None:
        pass

    def _answer(self, method: str, path: str, form: dict) -> tuple[str, int]:
        parts = path.strip("/").split("/")[1:]
        if parts == ["checkout", "sessions"] and method == "POST":
            session = self._open(form)
            return json.dumps(session), 200
        if parts[:2] == ["checkout", "sessions"] and parts[2] in self.sessions:
            session = self.sessions[parts[2]]
            if parts[3:] == ["expire"]:
                if session["status"] != "open":
                    return json.dumps({"error": {"type": "invalid_request_error", "message": "not open"}}), 400
                session["status"] = "expired"
            return json.dumps(session), 200
        if parts[:1] == ["payment_intents"]:
            return json.dumps({"id": parts[1], "object": "payment_intent", "transfer_data": None,
                               "application_fee_amount": None}), 200
        if parts == ["refunds"] and method == "POST":
            return json.dumps({"id": f"re_{next(self.ids)}", "object": "refund", "status": "pending",
                               "amount": int(form["amount"]) if "amount" in form else None,
                               "payment_intent": form["payment_intent"]}), 200
        return json.dumps({"error": {"type": "invalid_request_error", "message": f"no {method} {path}"}}), 404

    def _open(self, form: dict) -> dict:
        number = next(self.ids)
        session = {
            "id": f"cs_test_{number:024d}", "object": "checkout.session", "status": "open", "payment_status": "unpaid",
            "url": f"https://checkout.stripe.com/c/pay/cs_test_{number:024d}", "mode": "payment",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]) * int(form["line_items[0][quantity]"]),
            "currency": form["line_items[0][price_data][currency]"], "client_reference_id": form["client_reference_id"],
            "metadata": {"order_id": form["metadata[order_id]"], "station": form["metadata[station]"]},
            "payment_intent": None, "expires_at": int(form["expires_at"]),
        }
        self.sessions[session["id"]] = session
        return session

    def pay(self, session_id: str, amount: int | None) -> dict:
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="paid", payment_intent=f"pi_{session_id[-12:]}")
        if amount is not None:
            session["amount_total"] = amount
        return {"id": f"evt_{next(self.ids)}", "object": "event", "type": "checkout.session.completed",
                "created": int(time.time()), "data": {"object": dict(session)}}


def signed(event: dict, secret: str = WEBHOOK_SECRET, at: int | None = None) -> Notification:
    body = json.dumps(event, separators=(",", ":")).encode()
    return Notification(body, {"stripe-signature": stripe_events.sign(body, secret, at)})


def make_harness(tmp_path: Path) -> Harness:
    api = StripeStandIn()
    gateway = StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, max_network_retries=0)

    def pay(session: PaymentSession, request: SessionRequest, amount: int | None) -> Notification:
        return signed(api.pay(session.id, amount))

    def forge(notification: Notification) -> Notification:
        return signed(json.loads(notification.body), secret="whsec_" + "6" * 48)

    def unsigned(notification: Notification) -> Notification:
        return Notification(notification.body, {})

    def tamper(notification: Notification) -> Notification:
        event = json.loads(notification.body)
        event["data"]["object"]["amount_total"] += 100
        return Notification(json.dumps(event, separators=(",", ":")).encode(), notification.headers)

    def stale(session: PaymentSession, request: SessionRequest) -> Notification:
        return signed(api.pay(session.id, None), at=int(time.time()) - stripe_events.TOLERANCE_SECONDS - 60)

    return Harness(rail="stripe", gateway=gateway, pay=pay, forge=forge, unsigned=unsigned, tamper=tamper,
                   stale=stale, close=lambda: None)
