"""An upstream supplier: where a SKU's card keys or top-ups are bought when the shop does not hold them."""
from __future__ import annotations

from typing import Mapping, Protocol

from kameng.domain.breaker import CircuitBreaker
from kameng.domain.supply import SupplierOffer, SupplyRequest, SupplyResult


class Supplier(Protocol):
    @property
    def name(self) -> str: ...

    def place(self, request: SupplyRequest) -> SupplyResult:
        """Buy what the request asks for; idempotent on request_id.

        Placing the same id again returns that order's result as it stands now, never a second
        purchase; the same id with another product, quantity or account is refused. A result may
        be `pending` (a top-up in progress, or a partial fill whose rest comes later). Raises
        SupplierUnavailable (the order may have been taken: query it) or SupplierRefused (it was not).
        """

    def query(self, request_id: str) -> SupplyResult:
        """The order's result as the supplier sees it now; SupplierRefused for an id it never took."""

    def cancel(self, request_id: str) -> bool:
        """Ask the supplier to drop an order it may have taken but not finished (撤单): True when it will never
        deliver it (cancelled, or never taken), False when it cannot say so (done already, or no way to
        cancel). Raises SupplierUnavailable when it does not answer."""

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> SupplyResult:
        """Check the signature over the raw body, then read it; raise InvalidCallback and apply nothing.

        The same callback may come twice: the caller applies a request id's result once."""

    def balance(self) -> int:
        """The prepaid balance left at the supplier, in minor units."""

    def catalogue(self) -> list[SupplierOffer]: ...


class SupplierDirectory(Protocol):
    """The suppliers content names, built from the main station's published book and their secrets."""

    def supplier(self, name: str) -> Supplier:
        """Raises SupplierUnavailable for a supplier that is not configured here (no secret, unknown kind)."""

    def breaker(self, name: str) -> CircuitBreaker: ...
