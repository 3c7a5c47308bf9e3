"""content/suppliers/<name>.yaml: the suppliers a SKU's `supply` offers are bought from (docs/supply.md)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from kameng.domain.http_supplier import HttpSupplierSpec
from kameng.sitegen.content_types import Money, OneLine, Spec


class SimulatedProductSpec(Spec):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    title: OneLine
    cost: Money
    stock: int | None = Field(None, ge=0)
    kind: Literal["card_key", "direct"] = "card_key"
    fields: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]] = []


class SimulatorKnobsSpec(Spec):
    latency: float = Field(0.0, ge=0, le=60)
    timeout: float = Field(10.0, gt=0, le=60)
    failure_rate: float = Field(0.0, ge=0, le=1)
    timeout_rate: float = Field(0.0, ge=0, le=1)
    hang_rate: float = Field(0.0, ge=0, le=1)
    partial_rate: float = Field(0.0, ge=0, le=1)
    completion_delay: float = Field(0.0, ge=0, le=3600)
    duplicate_callbacks: int = Field(1, ge=1, le=10)
    seed: int = 0


class SupplierSpec(Spec):
    """content/suppliers/<name>.yaml: where a SKU's `supply` offers are bought. Secrets never go here: the
    shared secret comes from the environment (KAMENG_SUPPLIER_<NAME>_SECRET) or the secret store. A platform described by a file is of kind http
    (HttpSupplierSpec)."""

    kind: Literal["simulator", "kameng"]
    title: OneLine | None = None
    # How long one call may take before the next supplier is tried.
    timeout_seconds: float = Field(10.0, gt=0, le=60)
    # kind: kameng — the upstream Kameng's address and this shop's reseller id there.
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=300)] | None = None
    reseller: OneLine | None = None
    # kind: simulator — a supplier in the process, for one machine and tests (docs/supply.md).
    balance: Money | None = None
    products: list[SimulatedProductSpec] = []
    settings: SimulatorKnobsSpec = SimulatorKnobsSpec()

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in data:
                if isinstance(name, str) and any(word in name.lower() for word in ("secret", "password", "key")):
                    raise ValueError(f"expected no {name}: secrets never go in content; set "
                                     "KAMENG_SUPPLIER_<NAME>_SECRET in the environment instead")
        return data

    @model_validator(mode="after")
    def _what_the_kind_needs(self) -> "SupplierSpec":
        needs = {"kameng": ("url", "reseller"), "simulator": ("products",)}[self.kind]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"expected {' and '.join(missing)} for a supplier of kind {self.kind}")
        return self


def supplier_model(data: Any) -> type[SupplierSpec] | type[HttpSupplierSpec]:
    """A file of kind http describes a platform's whole protocol (domain/http_supplier.py)."""
    return HttpSupplierSpec if isinstance(data, dict) and data.get("kind") == "http" else SupplierSpec


AnySupplierSpec = SupplierSpec | HttpSupplierSpec
