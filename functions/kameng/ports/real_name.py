"""Real-name verification: the provider asked whether a name and an ID number belong together, and the
store's record of each member account's verified identity."""
from __future__ import annotations

from typing import Protocol

from kameng.domain.real_name import RealNameRecord, Verification


class RealNameCheck(Protocol):
    def verify(self, name: str, id_number: str) -> Verification:
        """Ask once; an outage, a timeout or an answer it cannot read is UNAVAILABLE, never raised.
        Called only with a number that passed domain/id_number.check_id_number: each call costs money."""


class RealNames(Protocol):
    """One record per (station, shopper_key), read by key; kept once and never replaced."""

    def real_name(self, station: str, shopper_key: str) -> RealNameRecord | None: ...

    def put_real_name(self, record: RealNameRecord) -> bool:
        """Keep the record; False (and nothing written) when the account has one already."""
