"""A member account's verified identity in the store: kept once per (station, shopper), never replaced (every adapter)."""
from __future__ import annotations

from kameng.domain.real_name import RealNameRecord

from .store_world import START


def a_record(station: str = "game-zone", shopper_key: str = "shopper-a", sealed: bytes = b"\x00sealed-one") -> RealNameRecord:
    return RealNameRecord(station, shopper_key, "张*", "1101**********002X", sealed, START)


def test_a_kept_record_reads_back_as_it_was_kept(store):
    assert store.real_names.real_name("game-zone", "shopper-a") is None
    assert store.real_names.put_real_name(a_record()) is True
    assert store.real_names.real_name("game-zone", "shopper-a") == a_record()


def test_a_second_record_for_the_account_is_refused_and_the_first_stays(store):
    store.real_names.put_real_name(a_record())
    assert store.real_names.put_real_name(a_record(sealed=b"\x00sealed-two")) is False
    assert store.real_names.real_name("game-zone", "shopper-a").sealed == b"\x00sealed-one"


def test_records_are_per_station_and_per_shopper(store):
    store.real_names.put_real_name(a_record())
    assert store.real_names.put_real_name(a_record(station="main")) is True
    assert store.real_names.put_real_name(a_record(shopper_key="shopper-b")) is True
    assert store.real_names.real_name("av-club", "shopper-a") is None
