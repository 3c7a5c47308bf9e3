"""The suppliers content names, as adapters: built from the main station's published book on first use, with
each one's secret from the environment (KAMENG_SUPPLIER_<NAME>_SECRET, which a deployment fills from its
secret store), and a circuit breaker each for the life of the process."""
from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import Callable, Mapping

from typing import TYPE_CHECKING

from kameng.domain.breaker import CircuitBreaker
from kameng.domain.errors import SupplierUnavailable

if TYPE_CHECKING:
    from kameng.domain.supply import SupplierSource
    from kameng.ports.supply import Supplier


def secret_name(supplier: str) -> str:
    return f"KAMENG_SUPPLIER_{supplier.upper().replace('-', '_')}_SECRET"


# A simulator signs its callbacks with this unless the environment names another: it guards nothing real.
SIMULATOR_SECRET = b"kameng-local-supplier-simulator"


class SupplierDirectory:
    def __init__(self, sources: Callable[[], Mapping[str, SupplierSource]], environ: Mapping[str, str] = os.environ,
                 clock: Callable[[], datetime] | None = None, sleep: Callable[[float], None] | None = None,
                 callbacks: Callable[[str], str | None] = lambda name: None):
        self._sources = sources
        # Where a supplier posts its callbacks: the shop's address for them, by supplier name.
        self._callbacks = callbacks
        self._environ = environ
        # A simulator's time: tests turn it by hand.
        self._time = {name: hook for name, hook in (("clock", clock), ("sleep", sleep)) if hook is not None}
        self._lock = threading.Lock()
        self._built: dict[str, tuple[SupplierSource, Supplier]] = {}
        self._breakers: dict[str, CircuitBreaker] = {}

    def supplier(self, name: str) -> Supplier:
        source = self._sources().get(name)
        if source is None:
            raise SupplierUnavailable(f"供货商 {name} 不在已发布的目录中")
        with self._lock:
            built = self._built.get(name)
            # The same description keeps its adapter (a simulator keeps its orders); a new one replaces it.
            if built is None or built[0] != source:
                built = (source, self._build(source))
                self._built[name] = built
            return built[1]

    def breaker(self, name: str) -> CircuitBreaker:
        with self._lock:
            return self._breakers.setdefault(name, CircuitBreaker())

    def _secret(self, name: str) -> bytes | None:
        value = self._environ.get(secret_name(name))
        return value.encode() if value else None

    def _build(self, source: SupplierSource) -> Supplier:
        # Each kind's adapter is imported when a supplier of it is first used: most calls of most functions
        # (a stock read, a checkout from stock) never reach a supplier, and their cold starts stay short.
        settings, secret = source.settings, self._secret(source.name)
        if source.kind == "simulator":
            from kameng.adapters.supplier_simulator import SimulatedProduct, SimulatorSettings, SupplierSimulator

            products = [SimulatedProduct(p["code"], p["title"], p["cost"], stock=p.get("stock"), kind=p.get("kind", "card_key"),
                                         fields=tuple(p.get("fields") or ())) for p in settings.get("products", [])]
            knobs = SimulatorSettings(**{k: v for k, v in (settings.get("settings") or {}).items()})
            return SupplierSimulator(products, settings.get("balance") or 10**9, secret or SIMULATOR_SECRET, knobs,
                                     name=source.name, **self._time)  # type: ignore[arg-type]
        if secret is None:
            raise SupplierUnavailable(f"供货商 {source.name} 未配置密钥（{secret_name(source.name)}）")
        if source.kind == "kameng":
            from kameng.adapters.supplier_kameng import KamengSupplier

            return KamengSupplier(source.name, settings["url"], settings["reseller"], secret,
                                  timeout=source.timeout_seconds)
        from kameng.adapters.supplier_http import HttpSupplier
        from kameng.domain.http_supplier import HttpSupplierSpec

        spec = HttpSupplierSpec.model_validate({"kind": "http", **settings})
        return HttpSupplier(source.name, spec, secret, timeout=source.timeout_seconds,
                            callback_url=self._callbacks(source.name))
