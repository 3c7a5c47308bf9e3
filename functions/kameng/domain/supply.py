"""Buying from an upstream supplier: what is asked, what comes back, what the supplier offers, how it fails."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict


SupplyStatus = Literal["pending", "delivered", "failed"]
SupplyKind = Literal["card_key", "direct"]
STATUSES: tuple[SupplyStatus, ...] = ("pending", "delivered", "failed")
KINDS: tuple[SupplyKind, ...] = ("card_key", "direct")


@dataclass(frozen=True)
class SupplyRequest:
    # Unique per attempt: the supplier's idempotency key, so a retry never buys twice.
    request_id: str
    product_code: str
    quantity: int
    max_unit_cost: int
    currency: str
    # A direct top-up's account fields (phone number, game account id, server); empty for card keys.
    buyer_fields: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.request_id or not self.product_code:
            raise ValueError("a supply request needs a request id and a product code")
        if self.quantity < 1:
            raise ValueError(f"quantity must be ≥ 1 (got {self.quantity})")
        if self.max_unit_cost < 0:
            raise ValueError(f"max_unit_cost must be ≥ 0 (got {self.max_unit_cost})")


@dataclass(frozen=True)
class SuppliedKey:
    code: str
    password: str | None = None


@dataclass(frozen=True)
class SupplyResult:
    request_id: str
    status: SupplyStatus
    # Card keys delivered so far; a direct top-up has a receipt instead.
    keys: tuple[SuppliedKey, ...] = ()
    receipt: str | None = None
    quantity_delivered: int = 0
    unit_cost: int = 0
    supplier_ref: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)} (got {self.status!r})")
        if self.keys and len(self.keys) != self.quantity_delivered:
            raise ValueError("quantity_delivered must count the keys delivered")

    @property
    def charged(self) -> int:
        """What the supplier took for what it delivered so far, in minor units."""
        return self.unit_cost * self.quantity_delivered


@dataclass(frozen=True)
class SupplierOffer:
    product_code: str
    title: str
    unit_cost: int
    currency: str
    # None: the supplier never runs out (a top-up).
    stock: int | None
    kind: SupplyKind = "card_key"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {self.kind!r})")
        if self.unit_cost < 0 or (self.stock is not None and self.stock < 0):
            raise ValueError("unit_cost and stock must be ≥ 0")


AttemptStatus = Literal["placed", "pending", "delivered", "failed", "unavailable", "abandoned"]
# An attempt younger than this may still be on its way to its supplier: asking about it now would find nothing
# and move on while it is being taken. Longer than any supplier's timeout (at most 60 s).
IN_FLIGHT = timedelta(seconds=90)
# An attempt in these may still change upstream: the sweeper asks the supplier about it again.
OPEN_ATTEMPTS: tuple[AttemptStatus, ...] = ("placed", "pending", "unavailable")


@dataclass(frozen=True)
class SupplyAttempt:
    """One try at one supplier for one order, under its own request id.

    `placed`: sent, no answer yet (the process may die here); `pending`: the supplier took it and will
    finish later; `unavailable`: a timeout or outage, so it may have been taken; `abandoned`: the order
    moved on to another supplier (or was refunded) while this one was open, so a late success is
    reconciled, never delivered. `quantity_applied` counts what of its delivery reached the order or the
    stock, so a callback that comes twice is applied once.
    """

    request_id: str
    order_id: str
    supplier: str
    product_code: str
    quantity: int
    max_unit_cost: int
    currency: str
    started_at: datetime
    status: AttemptStatus = "placed"
    quantity_delivered: int = 0
    quantity_applied: int = 0
    unit_cost: int = 0
    supplier_ref: str = ""
    receipt: str | None = None
    note: str = ""
    updated_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN_ATTEMPTS


class SupplierSource(BaseModel):
    """A supplier as content describes it (content/suppliers/<name>.yaml), published with the main station's
    price book so the functions know where to buy; its secret is never here."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Literal["simulator", "kameng", "http"]
    title: str = ""
    timeout_seconds: float = 10.0
    # The rest of the file, as validated: the kind's own settings.
    settings: dict[str, Any] = {}
