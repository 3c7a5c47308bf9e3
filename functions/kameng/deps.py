"""What every service is handed: the adapters and the few settings they share."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from kameng.domain.errors import RailNotOffered
from kameng.ports.outside import Cipher, Mail, PaymentGateway, PaymentRails, Uploads
from kameng.ports.real_name import RealNameCheck
from kameng.ports.store import Store
from kameng.ports.supply import SupplierDirectory


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Settings:
    main_station: str = "main"
    reservation_ttl: timedelta = timedelta(minutes=15)
    # How long checkout holds keys before the shopper opens the pay page; opening it holds them for
    # the rest of `reservation_ttl`. Short, so that orders nobody means to pay tie up little stock.
    unopened_hold: timedelta = timedelta(minutes=3)
    # Where shoppers reach a station; {station} and {domain} are filled in.
    public_url: str = "https://{domain}"
    # Where owners reach the console.
    console_url: str = "http://console.localhost:8000"
    # Where low-stock alerts go; None: they are only logged.
    owner_email: str | None = None
    # How often one process may look at a SKU's stock for the low-stock alert (0: after every sale).
    low_stock_check_seconds: float = 0.0
    # The mail templates' folder (templates/mail, found by the configuration); None: no mail can be rendered.
    mail_templates: Path | None = None
    # How long a wholesale order waits for suppliers before it answers "pending" (202): the HTTP API gives
    # up at 30 s, and a reseller that is answered retries with the same request id.
    wholesale_wait: timedelta = timedelta(seconds=25)

    def station_url(self, station: str, domain: str) -> str:
        return self.public_url.format(station=station, domain=domain).rstrip("/")


@dataclass(frozen=True)
class Deps:
    store: Store
    gateway: PaymentGateway
    cipher: Cipher
    mail: Mail
    settings: Settings
    clock: Callable[[], datetime] = utc_now
    # Files too big for a request (key files); None where nothing takes uploads.
    uploads: Uploads | None = None
    # Where SKUs that are not (or not only) held in stock are bought; None: no supplier is configured.
    suppliers: SupplierDirectory | None = None
    # The rails besides `gateway` (Stripe, or its sandbox) this deployment takes; None: Stripe's alone.
    rails: PaymentRails | None = None
    # Who is asked whether a name and an ID number belong together; None: real-name verification is unavailable.
    real_name_check: RealNameCheck | None = None

    def rail(self, name: str) -> PaymentGateway:
        """The gateway of a rail this deployment takes; RailNotOffered for any other."""
        if name == self.gateway.rail and getattr(self.gateway, "offered", True):
            return self.gateway
        if self.rails is None or name not in self.rails.names():
            raise RailNotOffered(f"本站暂不支持这种付款方式：{name}")
        return self.rails.get(name)

    def rail_names(self) -> tuple[str, ...]:
        stripe = (self.gateway.rail,) if getattr(self.gateway, "offered", True) else ()
        return stripe + (() if self.rails is None else self.rails.names())
