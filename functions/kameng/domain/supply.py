"""Buying from an upstream supplier: what is asked, what comes back, what the supplier offers, how it fails."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping


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
