"""Checkout answers a refusal of the station's risk rules with its status and code, and the shopper's next step."""
from __future__ import annotations

from kameng.domain.risk import RiskRules, Velocity

from .test_unpaid_holds import post

ADDRESS = "93.184.216.34"


def rules(deps, station: str, risk: RiskRules) -> None:
    book = deps.store.price_books.price_book(station)
    deps.store.price_books.put_price_book(book.model_copy(update={"risk": risk}))


def test_a_blocked_buyer_gets_422_risk_blocked(deps, stations, sku_with_keys, events):
    stocked = sku_with_keys(3)
    rules(deps, stations.main, RiskRules(blocked_email_domains=("mailinator.com",)))
    refused = post(events, stations.main, stocked.sku, 1, "a@mailinator.com", ADDRESS)
    assert (refused.status, refused.error["code"]) == (422, "risk_blocked")
    assert "mailinator" not in refused.error["message"]


def test_a_client_over_its_orders_per_hour_gets_429_risk_velocity(deps, stations, sku_with_keys, events):
    stocked = sku_with_keys(5)
    rules(deps, stations.main, RiskRules(velocity=Velocity(per_address=1)))
    assert post(events, stations.main, stocked.sku, 1, "a@example.com", ADDRESS).status == 201
    refused = post(events, stations.main, stocked.sku, 1, "b@example.com", ADDRESS)
    assert (refused.status, refused.error["code"]) == (429, "risk_velocity")
    assert "请" in refused.error["message"]
