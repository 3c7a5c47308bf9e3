"""A circuit breaker per supplier: when most of its recent calls were outages, stop sending it orders for a while.

Kept in the process (each function instance learns on its own, as a breaker library would): a supplier
that is down costs each instance a few timeouts, not every order its full timeout. It opens on a share of
the last calls, not on a run of them, so a supplier that fails now and then (a 30 % error rate) keeps
its orders, and one that is down loses them after a handful.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# The calls remembered, how many must be known before it may open, and the share of outages that opens it.
WINDOW = 10
LEAST_CALLS = 5
OPENING_SHARE = 0.8
# How long it stays open before one order may try the supplier again (half open).
COOL_DOWN = timedelta(seconds=30)


@dataclass
class CircuitBreaker:
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=WINDOW))
    opened_until: datetime | None = None

    def allows(self, now: datetime) -> bool:
        """Closed, or open past its cool-down (half open: the next call decides)."""
        return self.opened_until is None or now >= self.opened_until

    def succeeded(self) -> None:
        if self.opened_until is not None:
            # Half open, and the supplier answered: closed again, its past forgotten.
            self.opened_until = None
            self.outcomes.clear()
        self.outcomes.append(True)

    def failed(self, now: datetime) -> None:
        if self.opened_until is not None:
            self.opened_until = now + COOL_DOWN  # half open, and it failed again
            return
        self.outcomes.append(False)
        failures = self.outcomes.count(False)
        if len(self.outcomes) >= LEAST_CALLS and failures >= OPENING_SHARE * len(self.outcomes):
            self.opened_until = now + COOL_DOWN
