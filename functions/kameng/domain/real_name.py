"""Real-name verification (实名认证): what a provider may answer, when a station requires it, and how it is shown.

A verified identity belongs to one member account at one station and is checked once; the name and number
themselves are kept sealed, and only their masked forms are ever shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.errors import DomainError, Forbidden, InvalidRequest


class Verdict(StrEnum):
    MATCHED = "matched"
    MISMATCHED = "mismatched"
    INVALID = "invalid"  # the provider refuses the name or number as written, or knows no such card
    UNAVAILABLE = "unavailable"  # no answer either way: nothing is kept, the shopper tries later


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    reason: str = ""  # the provider's own words or code, for the shopper and the operator; never the identity


class RealNameRule(BaseModel):
    """A station's requirement (station.yaml `real_name`): orders above `above` minor units, or of these products."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    above: int | None = Field(default=None, ge=0)
    products: tuple[str, ...] = ()

    def applies(self, total: int, product: str) -> bool:
        return (self.above is not None and total > self.above) or product in self.products


@dataclass(frozen=True)
class RealNameRecord:
    station: str
    shopper_key: str
    name_masked: str
    id_masked: str
    sealed: bytes  # the name and number, sealed as a record of (station, shopper_key)
    verified_at: datetime


class RealNameRequired(Forbidden):
    code = "real_name_required"


class RealNameMismatch(DomainError):
    code = "real_name_mismatch"


class RealNameRefused(InvalidRequest):
    """The provider refused the name or the number as written, or knows no such card."""

    code = "real_name_refused"


class RealNameUnavailable(DomainError):
    code = "real_name_unavailable"


class RealNameVerified(DomainError):
    """The account is verified already: once per account, so a second identity cannot replace the first."""

    code = "real_name_verified"


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)
