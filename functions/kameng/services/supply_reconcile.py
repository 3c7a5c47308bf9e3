"""The sweeper's questions to suppliers about attempts still open: a callback that never came, a timeout whose
order was taken after all, a late success after the order moved on (card keys kept as stock, a top-up told
to the owner). Each answer goes through the same conditional path as a callback (supply_outcome.py)."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from kameng.deps import Deps
from kameng.domain.errors import SupplierRefused, SupplierUnavailable
from kameng.domain.supply import IN_FLIGHT
from kameng.services.supply_outcome import apply_result, settle_attempt

log = logging.getLogger(__name__)
# A supplier that cannot say for this long what became of an attempt is not asked again; the owner settles it.
GIVE_UP_AFTER = timedelta(days=2)


def reconcile_attempts(deps: Deps, limit: int = 100) -> Counter:
    done: Counter = Counter()
    if deps.suppliers is None:
        return done
    # Not one still on its way to its supplier: it would be found missing there and closed while being taken.
    for attempt in deps.store.supply_attempts.open_attempts(deps.clock() - IN_FLIGHT, limit):
        order = deps.store.orders.order(attempt.order_id)
        if order is None:
            continue
        try:
            result = deps.suppliers.supplier(attempt.supplier).query(attempt.request_id)
        except SupplierUnavailable:
            if attempt.started_at < deps.clock() - GIVE_UP_AFTER:
                log.error("supplier never told what became of an attempt", extra={"request_id": attempt.request_id})
                settle_attempt(attempt, "abandoned", "the supplier never answered about it", deps)
            continue
        except SupplierRefused as error:
            # It never took the order: nothing to reconcile.
            settle_attempt(attempt, "failed", f"{error.reason}: {error.message}", deps)
            done["attempts closed"] += 1
            continue
        apply_result(order, attempt, result, deps)
        done["attempts reconciled"] += 1
    return done
