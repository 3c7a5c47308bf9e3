"""The demo shop in this process, for the supply benchmarks: content/ built and published into a temp data
folder, the services wired as the local server wires them (embedded SQLite store, sandbox gateway whose
webhook goes straight to the payments service), the suppliers of content/suppliers/ re-tuned per benchmark.

Orders are placed with checkout.place and paid with the sandbox gateway's pay(), the calls the local
server's /api/checkout and pay page make; supply runs inside the payment's webhook, as it does there.
"""
from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common as c

sys.path.insert(0, str(c.REPO / "functions"))

TOP_UPS = ("cmcc-direct-30", "cmcc-direct-50", "cmcc-direct-100")
STATIONS = ("main", "game-zone")
SETTLED = ("delivered", "refunded", "needs_attention")


@dataclass
class Bought:
    order_id: str
    placed_at: float  # perf_counter when checkout was called
    paid_at: float = 0.0
    settled_at: float | None = None
    status: str = ""
    error: str | None = None


@dataclass
class Shop:
    deps: Any
    work: Path
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- suppliers ----------------------------------------------------------------------

    def tune_suppliers(self, knobs: dict[str, dict[str, Any]], balance: str = "10000000.00") -> None:
        """Publish the main station's book again with these simulator settings (each a fresh simulator)."""
        from kameng.domain.money import parse_major
        from kameng.domain.price_book import PriceBook

        store, main = self.deps.store, self.deps.settings.main_station
        book = store.price_books.price_book(main)
        sources = {}
        for name, source in book.suppliers.items():
            settings = dict(source.settings)
            settings["settings"] = {**(settings.get("settings") or {}), **knobs.get(name, {})}
            settings["balance"] = parse_major(balance)
            sources[name] = source.model_copy(update={"settings": settings})
        store.price_books.put_price_book(PriceBook.model_validate(book.model_dump() | {"suppliers": sources}))

    def simulator(self, name: str):
        return self.deps.suppliers.supplier(name)

    # --- buying ----------------------------------------------------------------------------

    def buy(self, number: int, sku: str, station: str = "main") -> Bought:
        from kameng.services.checkout import CheckoutRequest, place

        started = time.perf_counter()
        request = CheckoutRequest(station=station, sku=sku, quantity=1, email=f"buyer-{number}@example.com",
                                  query_password="8642", fields={"phone": f"139{number:08d}"}, rail="stripe")
        order = place(request, self.deps).order
        bought = Bought(order.id, started)
        session = self.deps.store.orders.order(order.id).payment_session  # set once the gateway made it
        bought.paid_at = time.perf_counter()
        self.deps.gateway.pay(session, "alipay")
        self.check(bought)
        return bought

    def check(self, bought: Bought) -> bool:
        order = self.deps.store.orders.order(bought.order_id)
        bought.status = order.status.value
        if bought.status in SETTLED and bought.settled_at is None:
            bought.settled_at = time.perf_counter()
        return bought.settled_at is not None

    def wait_settled(self, bought: list[Bought], within: float) -> None:
        """Poll what the payment did not settle at once (a pending top-up finished by the sweeper)."""
        deadline = time.perf_counter() + within
        open_ = [b for b in bought if b.error is None and b.settled_at is None]
        while open_ and time.perf_counter() < deadline:
            time.sleep(0.2)
            open_ = [b for b in open_ if not self.check(b)]

    # --- what happened ------------------------------------------------------------------------

    def charges(self, bought: list[Bought]) -> dict[str, Any]:
        """Per order: the attempts it made and what each supplier actually charged for them, asked of the
        simulators themselves (made quick and reliable first, so asking cannot fail)."""
        from kameng.domain.errors import SupplierRefused

        for name in self.deps.store.price_books.price_book(self.deps.settings.main_station).suppliers:
            sim = self.simulator(name)
            sim.settings = dataclasses.replace(sim.settings, latency=0.0, failure_rate=0.0, timeout_rate=0.0)
        per_order, first_suppliers, tries = {}, Counter(), Counter()
        for item in bought:
            attempts = self.deps.store.supply_attempts.attempts_of(item.order_id)
            charged = 0
            for attempt in attempts:
                try:
                    result = self.simulator(attempt.supplier).query(attempt.request_id)
                except SupplierRefused:
                    continue  # never taken upstream
                charged += 1 if result.quantity_delivered else 0
            per_order[item.order_id] = charged
            tries[len(attempts)] += 1
            if attempts:
                first_suppliers[attempts[0].supplier] += 1
        return {"charged": per_order, "attempts_per_order": dict(sorted(tries.items())),
                "first_supplier": dict(first_suppliers)}


def sweeping(shop: Shop, every: float = 1.0) -> tuple[threading.Event, threading.Thread]:
    """The local server's sweeper loop (late answers, deadlines, refunds), every `every` seconds."""
    from kameng.services.sweeper import sweep

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                sweep(shop.deps)
            except Exception as error:  # reported, as the local server logs it, and tried again
                print(f"sweep failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return stop, thread


def open_shop(work: Path) -> Shop:
    """Build content/ into work/site, publishing into work/data, and wire the services over it."""
    data_dir = work / "data"
    c.build_demo(work, data_dir)
    # Errors only: a failover's warning per order would bury the results.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    from kameng import config, wiring
    from kameng.ports.outside import Notification
    from kameng.services import payments

    deps = wiring.build(config.load({"KAMENG_DATA_DIR": str(data_dir)}))
    gateway = deps.gateway

    def send(payload: bytes, headers: dict[str, str]) -> None:
        # What the webhook handler does with a signed event, without the HTTP hop.
        payments.handle_event(gateway.verify_event(Notification(payload, headers)), deps)

    gateway.send = send
    wiring.use(deps)
    return Shop(deps, work)
