"""The supplier circuit breaker: it opens on a share of recent outages, not on any run of bad luck."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from kameng.domain.breaker import COOL_DOWN, CircuitBreaker

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def test_a_supplier_that_is_down_is_skipped_after_five_calls_and_tried_again_after_the_cool_down():
    breaker = CircuitBreaker()
    for _ in range(4):
        breaker.failed(NOW)
        assert breaker.allows(NOW)
    breaker.failed(NOW)
    assert not breaker.allows(NOW + COOL_DOWN - timedelta(seconds=1))
    assert breaker.allows(NOW + COOL_DOWN)
    breaker.succeeded()  # the one try while half open went through
    assert breaker.allows(NOW + COOL_DOWN) and breaker.opened_until is None


def test_a_supplier_failing_three_calls_in_ten_keeps_its_orders():
    draws = random.Random(7)
    breaker, opened = CircuitBreaker(), 0
    for _ in range(2000):
        if draws.random() < 0.3:
            breaker.failed(NOW)
        else:
            breaker.succeeded()
        if not breaker.allows(NOW):
            opened += 1
            breaker.opened_until = None
    assert opened <= 10  # a few rare streaks over 2,000 calls, not most of them
