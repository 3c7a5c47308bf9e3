"""Synced supplier figures on every store: one record per SKU, replaced whole, read back by a batch of keys."""
from __future__ import annotations

from datetime import timedelta, timezone

from kameng.domain.supply_sync import OfferFigures, SkuSync

from .store_world import START

CHINA = timezone(timedelta(hours=8))


def a_record(sku: str, cost: int | None = 4900, stock: int | None = None, halted: tuple[str, ...] = ()) -> SkuSync:
    offers = (OfferFigures("sim-a", "CMCC50", cost, stock, START.astimezone(CHINA)),
              OfferFigures("sim-b", "CM-50", 4950, 12, None))
    return SkuSync(sku, offers, halted, START)


def test_a_kept_record_reads_back_whole_with_its_time_zones(store):
    kept = a_record("cmcc-50", cost=None, stock=0, halted=("game-zone", "main"))
    store.supply_sync.put_sync(kept)

    read = store.supply_sync.syncs(["cmcc-50"])["cmcc-50"]
    assert read == kept
    assert read.offers[0].checked_at.utcoffset() == timedelta(hours=8)
    assert read.cheapest == 4950 and read.supplier_stock == 12


def test_a_sync_replaces_the_skus_record_and_leaves_the_others(store):
    store.supply_sync.put_sync(a_record("cmcc-50"))
    store.supply_sync.put_sync(a_record("steam-100", stock=3))
    store.supply_sync.put_sync(a_record("cmcc-50", cost=5200, halted=("main",)))

    found = store.supply_sync.syncs(["cmcc-50", "steam-100", "never-synced"])
    assert sorted(found) == ["cmcc-50", "steam-100"]
    assert found["cmcc-50"].halted == ("main",) and found["cmcc-50"].offers[0].cost == 5200
    assert found["steam-100"].supplier_stock == 15


def test_many_skus_are_read_in_one_call_and_none_asked_reads_nothing(store):
    for number in range(130):
        store.supply_sync.put_sync(a_record(f"sku-{number:03d}", cost=4000 + number))
    found = store.supply_sync.syncs(f"sku-{number:03d}" for number in range(0, 130, 1))
    assert len(found) == 130 and found["sku-129"].cheapest == 4129
    assert store.supply_sync.syncs([]) == {}
