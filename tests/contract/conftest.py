"""The Store contract runs once per store adapter (see STORES in store_world.py)."""
from __future__ import annotations

from typing import Iterator

import pytest

from kameng.ports.store import Store

from .store_world import STORES, Inventory


@pytest.fixture(autouse=True)
def _store_tests_cannot_open_a_socket(no_network):
    yield


@pytest.fixture(params=list(STORES))
def store(request, tmp_path) -> Iterator[Store]:
    with STORES[request.param](tmp_path) as opened:
        yield opened


@pytest.fixture
def inventory(store) -> Inventory:
    return Inventory(store)
