"""A station's risk rules (风控) come from its station.yaml and reach its price book; a mistake names file and field."""
from __future__ import annotations

import pytest

from kameng.domain.risk import RiskRules, Velocity
from kameng.sitegen import ContentError
from tests.build.conftest import add_to_station as add_to, demo_books

RISK = """\
risk:
  velocity: {per_email: 5, per_address: 10}
  block:
    email_domains: [Mailinator.com]
    emails: [Fraud@Example.com]
    addresses: [203.0.113.0/24, 198.51.100.7]
  review: {above: 500.00, quantity_above: 20}
"""


def test_a_stations_risk_rules_reach_its_price_book_and_others_have_none(demo_content, tmp_path):
    add_to(demo_content, "game-zone", RISK)
    built = demo_books(demo_content, tmp_path)
    assert built["game-zone"].risk == RiskRules(
        velocity=Velocity(per_email=5, per_address=10), blocked_email_domains=("mailinator.com",),
        blocked_emails=("fraud@example.com",), blocked_networks=("198.51.100.7/32", "203.0.113.0/24"),
        review_above=50000, review_quantity_above=20)
    assert built["av-club"].risk is None


@pytest.mark.parametrize("text, where", [
    ("risk: {velocity: {per_email: 0}}\n", "risk.velocity.per_email:"),
    ("risk: {velocity: {per_hour: 3}}\n", "risk.velocity.per_hour:"),
    ("risk: {block: {addresses: [300.1.1.1]}}\n", "risk.block.addresses[0]:"),
    ("risk: {block: {emails: [not-an-address]}}\n", "risk.block.emails[0]:"),
    ("risk: {block: {email_domains: ['bad domain']}}\n", "risk.block.email_domains[0]:"),
    ("risk: {review: {}}\n", "risk.review:"),
    ("risk: {review: {above: lots}}\n", "risk.review.above:"),
])
def test_a_bad_risk_field_names_the_file_and_the_field(demo_content, tmp_path, text, where):
    add_to(demo_content, "game-zone", text)
    with pytest.raises(ContentError) as raised:
        demo_books(demo_content, tmp_path)
    assert f"content/game-zone/station.yaml: {where}" in str(raised.value)
