"""A SupplyAttempt as both stores keep it: JSON-ready fields, and whether the sweeper must still list it."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from kameng.domain.supply import OPEN_ATTEMPTS, SupplyAttempt

_MOMENTS = ("started_at", "updated_at")


def _aware(moment: datetime | None, name: str) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone")


def fields_of(attempt: SupplyAttempt) -> dict[str, Any]:
    """Every field, datetimes as ISO text with their own offset (so they come back as they went in)."""
    for name in _MOMENTS:
        _aware(getattr(attempt, name), name)
    record = dataclasses.asdict(attempt)
    for name in _MOMENTS:
        record[name] = None if record[name] is None else record[name].isoformat()
    return record


def attempt_of(record: dict[str, Any]) -> SupplyAttempt:
    known = {f.name for f in dataclasses.fields(SupplyAttempt)}
    values = {name: value for name, value in record.items() if name in known}
    for name in _MOMENTS:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    return SupplyAttempt(**values)


def listed(attempt: SupplyAttempt) -> bool:
    """Whether the sweeper still has something to do with it: open upstream, or delivered but not all applied."""
    return attempt.status in OPEN_ATTEMPTS or attempt.quantity_applied < attempt.quantity_delivered


def check_new(attempt: SupplyAttempt) -> None:
    if attempt.status != "placed":
        raise ValueError(f"a new attempt is placed, not {attempt.status}")
    fields_of(attempt)


def check_update(attempt: SupplyAttempt, seen: SupplyAttempt) -> None:
    for name in ("request_id", "order_id", "started_at"):
        if getattr(attempt, name) != getattr(seen, name):
            raise ValueError(f"an update keeps the attempt's {name}")
