"""A circuit breaker per supplier: after a run of outages, stop sending it orders for a while.

Kept in the process (each function instance learns on its own, as a breaker library would): a supplier
that is down costs each instance a few timeouts, not every order its full timeout.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Consecutive outages that open the circuit, and how long it stays open before one order may try again.
THRESHOLD = 3
COOL_DOWN = timedelta(seconds=30)


@dataclass
class CircuitBreaker:
    failures: int = 0
    opened_until: datetime | None = None

    def allows(self, now: datetime) -> bool:
        """Closed, or open past its cool-down (half open: the next call decides)."""
        return self.opened_until is None or now >= self.opened_until

    def succeeded(self) -> None:
        self.failures, self.opened_until = 0, None

    def failed(self, now: datetime) -> None:
        self.failures += 1
        if self.failures >= THRESHOLD:
            self.opened_until = now + COOL_DOWN
