"""Wiring builds every adapter the way it will be used: nothing is patched into it afterwards."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kameng import config, wiring
from kameng.adapters import gateway_sandbox
from kameng.adapters.stripe_events import verify
from kameng.ports.outside import SessionRequest


def a_session(expires_at: datetime) -> SessionRequest:
    return SessionRequest(order_id="01JQ0000000000000000000001", station="main", title="Steam 100", quantity=1,
                          unit_price=1000, total=1000, currency="CNY", email="buyer@example.com",
                          success_url="http://main.localhost:8000/order/", cancel_url="http://main.localhost:8000/",
                          expires_at=expires_at)


def test_the_sandbox_delivers_its_webhooks_through_the_sender_it_was_built_with(tmp_path):
    sent = []
    built = wiring.build(config.load({"KAMENG_DATA_DIR": str(tmp_path)}),
                         sandbox_webhooks=lambda payload, headers: sent.append((payload, headers)))
    session = built.gateway.create_session(a_session(datetime.now(timezone.utc) + timedelta(minutes=15)))
    built.gateway.pay(session.id, "card")
    [(payload, headers)] = sent
    event = verify(payload, headers["stripe-signature"], built.gateway.webhook_secret)
    assert event.order_id == "01JQ0000000000000000000001"


def test_the_mail_templates_folder_reaches_the_services(tmp_path):
    built = wiring.build(config.load({"KAMENG_DATA_DIR": str(tmp_path)}))
    assert built.settings.mail_templates == config.MAIL_TEMPLATES
    assert (config.MAIL_TEMPLATES / "delivered.zh-CN.txt").is_file()


class Answers:
    """An HTTP session that answers each POST with the next status code, and counts them."""

    def __init__(self, *statuses: int):
        self.statuses = list(statuses)
        self.posted = 0

    def post(self, url, data, headers, timeout):
        import requests

        self.posted += 1
        response = requests.Response()
        response.status_code = self.statuses.pop(0)
        response.url = url
        return response


def test_a_webhook_the_shop_fails_to_take_is_sent_again(monkeypatch):
    answers = Answers(503, 200)
    monkeypatch.setattr(gateway_sandbox, "_http", lambda: answers)
    monkeypatch.setattr(gateway_sandbox.time, "sleep", lambda seconds: None)
    gateway_sandbox.post_webhooks("http://127.0.0.1:8000/api/webhooks/stripe")(b"{}", {})
    assert answers.posted == 2


def test_a_webhook_the_shop_keeps_failing_is_reported_after_the_last_attempt(monkeypatch):
    import requests

    answers = Answers(*[500] * gateway_sandbox.SEND_ATTEMPTS)
    monkeypatch.setattr(gateway_sandbox, "_http", lambda: answers)
    monkeypatch.setattr(gateway_sandbox.time, "sleep", lambda seconds: None)
    with pytest.raises(requests.HTTPError):
        gateway_sandbox.post_webhooks("http://127.0.0.1:8000/api/webhooks/stripe")(b"{}", {})
    assert answers.posted == gateway_sandbox.SEND_ATTEMPTS
