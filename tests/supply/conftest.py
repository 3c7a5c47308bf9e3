"""A supplier simulator whose time a test turns by hand: sleeping moves its clock, nobody waits."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kameng.adapters.supplier_simulator import SimulatedProduct, SimulatorSettings, SupplierSimulator
from kameng.domain.supply import SupplyRequest

SECRET = b"simulator-callback-secret"
START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
STEAM = SimulatedProduct("steam-100", "Steam 100 元卡", unit_cost=9200, stock=50)
PHONE = SimulatedProduct("cmcc-50", "移动话费 50 元", unit_cost=4950, kind="direct", fields=("phone",))


class HandClock:
    def __init__(self) -> None:
        self.now = START
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def simulator_with(clock):
    def build(balance: int = 1_000_000, products=(STEAM, PHONE), **settings) -> SupplierSimulator:
        return SupplierSimulator(list(products), balance, SECRET, SimulatorSettings(**settings),
                                 clock=clock, sleep=clock.sleep)
    return build


def card_keys(request_id: str, quantity: int = 1, max_unit_cost: int = 9500) -> SupplyRequest:
    return SupplyRequest(request_id, "steam-100", quantity, max_unit_cost, "CNY")


def top_up(request_id: str, phone: str = "13800138000") -> SupplyRequest:
    return SupplyRequest(request_id, "cmcc-50", 1, 5000, "CNY", {"phone": phone})
