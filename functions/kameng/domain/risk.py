"""Risk rules (风控): who may not buy at a station, how many orders one client may place an hour, and which
orders wait for an owner's approval before they are delivered.

A shopper who is refused hears what to do, never which rule refused them: a rule that names itself
teaches a fraudster which name to change next. The rule goes to the log and the owner.
"""
from __future__ import annotations

import ipaddress
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field



class Rule(StrEnum):
    """The rule a decision was taken by, as logs, audit entries and the owner's views name it."""

    EMAIL_DOMAIN = "blocked_email_domain"
    EMAIL = "blocked_email"
    ADDRESS = "blocked_address"
    VELOCITY_EMAIL = "velocity_email"
    VELOCITY_ADDRESS = "velocity_address"
    VELOCITY_DEVICE = "velocity_device"
    LARGE_AMOUNT = "large_order_amount"
    LARGE_QUANTITY = "large_order_quantity"


class Velocity(BaseModel):
    """Orders one client may place at a station in one clock hour (UTC), by each name it goes by; None: no limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_email: int | None = Field(default=None, ge=1)
    per_address: int | None = Field(default=None, ge=1)
    per_device: int | None = Field(default=None, ge=1)


class RiskRules(BaseModel):
    """A station's rules (station.yaml `risk`), as its price book carries them to checkout."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    velocity: Velocity = Velocity()
    blocked_email_domains: tuple[str, ...] = ()  # lower case; a domain blocks its subdomains too
    blocked_emails: tuple[str, ...] = ()  # lower case
    blocked_networks: tuple[str, ...] = ()  # CIDR ranges; a single address is a /32 or /128
    review_above: int | None = Field(default=None, ge=0)  # minor units: orders whose total is above it
    review_quantity_above: int | None = Field(default=None, ge=1)

    def blocked_by(self, email: str, address: str | None) -> Rule | None:
        email = email.strip().lower()
        domain = email.rpartition("@")[2]
        if email in self.blocked_emails:
            return Rule.EMAIL
        if any(domain == blocked or domain.endswith("." + blocked) for blocked in self.blocked_email_domains):
            return Rule.EMAIL_DOMAIN
        if address and self.blocked_networks and _in_networks(address, self.blocked_networks):
            return Rule.ADDRESS
        return None

    def review_rule(self, total: int, quantity: int) -> str | None:
        """Why an order so large waits for an owner (the rule and its figures), or None."""
        if self.review_above is not None and total > self.review_above:
            return f"{Rule.LARGE_AMOUNT}: total {total} > {self.review_above}"
        if self.review_quantity_above is not None and quantity > self.review_quantity_above:
            return f"{Rule.LARGE_QUANTITY}: quantity {quantity} > {self.review_quantity_above}"
        return None


def _in_networks(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)
