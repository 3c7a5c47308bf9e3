"""Risk rules (风控) in the domain: who is blocked, how orders of the hour are counted, and the review's transitions."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kameng.domain.order import NEXT, KeyMove, OrderStatus, approve, hold_for_review, lapse, reject
from kameng.domain.quota import QuotaKind
from kameng.domain.holds import quota_moves, velocity_quotas
from kameng.domain.risk import RiskRules, Rule, Velocity

from .orders import NOW, an_order

S = OrderStatus
RULES = RiskRules(blocked_email_domains=("mailinator.com",), blocked_emails=("fraud@example.com",),
                  blocked_networks=("203.0.113.0/24", "2001:db8::/32"), review_above=50000, review_quantity_above=20)


@pytest.mark.parametrize("email, address, rule", [
    ("someone@mailinator.com", None, Rule.EMAIL_DOMAIN),
    ("Someone@Eu.Mailinator.COM", None, Rule.EMAIL_DOMAIN),
    ("FRAUD@example.com", None, Rule.EMAIL),
    ("buyer@example.com", "203.0.113.77", Rule.ADDRESS),
    ("buyer@example.com", "2001:db8::1", Rule.ADDRESS),
])
def test_a_listed_buyer_is_blocked_by_the_rule_that_lists_it(email, address, rule):
    assert RULES.blocked_by(email, address) is rule


@pytest.mark.parametrize("email, address", [
    ("buyer@notmailinator.com", None), ("buyer@example.com", "203.0.114.1"), ("buyer@example.com", "not an address"),
])
def test_a_buyer_no_list_names_is_not_blocked(email, address):
    assert RULES.blocked_by(email, address) is None


def test_an_order_above_the_amount_or_the_quantity_is_held_and_one_at_them_is_not():
    assert RULES.review_rule(50001, 1).startswith("large_order_amount")
    assert RULES.review_rule(1000, 21).startswith("large_order_quantity")
    assert RULES.review_rule(50000, 20) is None


def test_each_name_the_client_goes_by_counts_its_orders_of_the_hour_on_its_own():
    quotas = velocity_quotas("game-zone", Velocity(per_email=3, per_device=5), ["e.k1", "d.k2", "a.k3"], NOW)
    assert [(q.counter, q.cap) for q in quotas] == [
        ("RISK#game-zone#e.k1#2026-03-02T08", 3), ("RISK#game-zone#d.k2#2026-03-02T08", 5)]
    assert all(q.units(7) == 1 for q in quotas)
    assert velocity_quotas("game-zone", Velocity(per_email=3), ["e.k1"], NOW + timedelta(hours=1))[0].counter.endswith("T09")


def test_orders_of_the_hour_are_never_given_back_by_a_lapse():
    quotas = velocity_quotas("game-zone", Velocity(per_email=3), ["e.k1"], NOW)
    order = an_order(quotas=quotas)
    taken, given = quota_moves(order, lapse(order))
    assert (taken, given) == ((), ())
    assert quotas[0].refusal().code == "risk_velocity" and quotas[0].kind is QuotaKind.RISK_VELOCITY


def test_a_held_order_is_approved_back_to_paid_or_rejected_to_a_refund():
    assert NEXT[S.NEEDS_REVIEW] == {S.PAID, S.NEEDS_ATTENTION}
    assert S.NEEDS_REVIEW in NEXT[S.PAID]


def test_only_a_paid_order_with_a_rule_not_yet_decided_is_held():
    held = an_order(S.PAID, review="large_order_amount: total 60000 > 50000")
    change = hold_for_review(held)
    assert (change.to_status, change.keys, change.due_at) == (S.NEEDS_REVIEW, KeyMove.NONE, None)
    assert hold_for_review(an_order(S.PAID)) is None
    assert hold_for_review(held.model_copy(update={"reviewed": "approved by owner@example.com"})) is None


def test_approving_or_rejecting_twice_asks_for_nothing_the_second_time():
    held = an_order(S.NEEDS_REVIEW, review="large_order_amount: total 60000 > 50000")
    approved = approve(held, "owner@example.com", NOW)
    assert approved.to_status is S.PAID and dict(approved.record)["reviewed"] == "approved by owner@example.com"
    assert approve(held.model_copy(update={"status": S.PAID}), "owner@example.com", NOW) is None
    rejected = reject(held, "owner@example.com", "stolen card", NOW)
    assert (rejected.to_status, rejected.keys) == (S.NEEDS_ATTENTION, KeyMove.RETURN)
    assert rejected.reason == "risk_rejected: stolen card" and rejected.due_at is not None
    assert reject(held.model_copy(update={"status": S.NEEDS_ATTENTION}), "owner@example.com", "x", NOW) is None
