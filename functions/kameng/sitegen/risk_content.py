"""`risk:` in a station.yaml: the station's risk rules (风控), carried in its price book to checkout.

    risk:
      velocity:                  # orders one client may place per clock hour, by each name it goes by
        per_email: 5
        per_address: 10
        per_device: 5
      block:
        email_domains: [mailinator.com]   # a domain blocks its subdomains too
        emails: [known-fraud@example.com]
        addresses: [203.0.113.0/24, 198.51.100.7]
      review:                    # held after payment until an owner approves (delivered) or rejects (refunded)
        above: 2000.00           # orders whose total is above this amount (the station's currency)
        quantity_above: 50       # or of more keys than this

A field set that content.py's station spec takes in as a base class, with real_name's (real_name_content.py):
both say who may buy what at a station.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from kameng.domain.money import parse_major
from kameng.domain.risk import RiskRules, Velocity
from kameng.domain.shopper import is_email
from kameng.sitegen.real_name_content import RealNameField

_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _domain(value: str) -> str:
    value = value.lower()
    if len(value) > 253 or not _DOMAIN.fullmatch(value):
        raise ValueError(f"expected a mail domain like mailinator.com (got {value!r})")
    return value


def _email(value: str) -> str:
    if not is_email(value):
        raise ValueError(f"expected an e-mail address like someone@example.com (got {value!r})")
    return value


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"expected an IP address or a CIDR range like 203.0.113.0/24 (got {value!r})") from None


EmailDomain = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_domain)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True), AfterValidator(_email)]
Network = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_network)]
PerHour = Annotated[int, Field(ge=1, le=100_000)]


class VelocitySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    per_email: PerHour | None = None
    per_address: PerHour | None = None
    per_device: PerHour | None = None


class BlockSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email_domains: list[EmailDomain] = []
    emails: list[Email] = []
    addresses: list[Network] = []


class ReviewSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    above: Annotated[int, BeforeValidator(parse_major)] | None = None
    quantity_above: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> "ReviewSpec":
        if self.above is None and self.quantity_above is None:
            raise ValueError("expected above: (an amount) or quantity_above: (a number of keys), or leave review out")
        if self.above is not None and self.above < 0:
            raise ValueError("above: expected an amount ≥ 0")
        return self


class RiskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    velocity: VelocitySpec = VelocitySpec()
    block: BlockSpec = BlockSpec()
    review: ReviewSpec | None = None

    def to_domain(self) -> RiskRules:
        return RiskRules(
            velocity=Velocity(**self.velocity.model_dump()),
            blocked_email_domains=tuple(sorted(set(self.block.email_domains))),
            blocked_emails=tuple(sorted(set(self.block.emails))),
            blocked_networks=tuple(sorted(set(self.block.addresses))),
            review_above=self.review.above if self.review else None,
            review_quantity_above=self.review.quantity_above if self.review else None,
        )


class RiskField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    risk: RiskSpec | None = None


class StationRulesFields(RealNameField, RiskField):
    """Who may buy what at a station: `real_name` and `risk`, validated with the station's other fields."""
