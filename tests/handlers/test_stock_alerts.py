"""The owner hears once when a SKU falls below its low-stock threshold, and again only after a restock lifted it."""
from __future__ import annotations

import dataclasses
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from kameng import wiring
from kameng.services import import_keys

OWNER = "owner@example.com"


@pytest.fixture
def owner(deps):
    """The shop configured with KAMENG_OWNER_EMAIL; its outbox."""
    chosen = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, owner_email=OWNER))
    wiring.use(chosen)
    return chosen


def alerts(deps, sku=None):
    return [m for m in deps.mail.sent() if m["To"] == OWNER and (sku is None or sku in m["Subject"])]


def restock(deps, sku, n):
    lines = [f"RESTOCK{secrets.token_hex(8).upper()}\n" for _ in range(n)]
    assert import_keys.import_lines(sku, lines, False, deps).imported == n


def buy(place, stations, sku, n=1):
    for i in range(n):
        place(stations.substation, sku, email=f"s{secrets.token_hex(3)}@example.com")


def test_falling_below_the_threshold_alerts_the_owner(owner, stations, sku_with_keys, place):
    stocked = sku_with_keys(5, low_stock=3)
    buy(place, stations, stocked.sku, 2)
    assert alerts(owner) == []
    buy(place, stations, stocked.sku)
    (mail,) = alerts(owner)
    assert stocked.sku in mail["Subject"] and "2" in mail["Subject"] and "kameng import-keys" in mail.get_content()


def test_sales_below_the_threshold_do_not_alert_again(owner, stations, sku_with_keys, place):
    stocked = sku_with_keys(5, low_stock=3)
    buy(place, stations, stocked.sku, 5)
    assert len(alerts(owner)) == 1


def test_a_restock_above_the_threshold_rearms_the_alert(owner, stations, sku_with_keys, place):
    stocked = sku_with_keys(4, low_stock=3)
    buy(place, stations, stocked.sku, 2)
    restock(owner, stocked.sku, 3)
    assert owner.store.inventory.stock([stocked.sku])[stocked.sku].low_alerted is False
    buy(place, stations, stocked.sku, 3)
    assert len(alerts(owner)) == 2


def test_a_restock_that_stays_below_the_threshold_does_not_rearm(owner, stations, sku_with_keys, place):
    stocked = sku_with_keys(4, low_stock=3)
    buy(place, stations, stocked.sku, 3)
    restock(owner, stocked.sku, 1)
    buy(place, stations, stocked.sku)
    assert len(alerts(owner)) == 1


def test_keys_coming_back_from_a_lapse_do_not_rearm(owner, stations, sku_with_keys, place, sweep, clock):
    stocked = sku_with_keys(4, low_stock=3)
    buy(place, stations, stocked.sku, 2)
    clock.advance(seconds=owner.settings.reservation_ttl.total_seconds() + 1)
    sweep()
    buy(place, stations, stocked.sku, 2)
    assert len(alerts(owner)) == 1


def test_each_sku_is_alerted_on_its_own(owner, stations, sku_with_keys, place):
    first, second = sku_with_keys(2, low_stock=2), sku_with_keys(2, low_stock=2)
    buy(place, stations, first.sku)
    buy(place, stations, second.sku)
    assert (len(alerts(owner, first.sku)), len(alerts(owner, second.sku))) == (1, 1)


def test_without_an_owner_address_the_alert_is_only_logged(deps, stations, sku_with_keys, place, caplog):
    caplog.set_level(logging.INFO)
    stocked = sku_with_keys(2, low_stock=2)
    buy(place, stations, stocked.sku)
    assert deps.mail.sent() == [] and [r.sku for r in caplog.records if r.getMessage().startswith("stock is low")] == [stocked.sku]
    assert deps.store.inventory.stock([stocked.sku])[stocked.sku].low_alerted is True


def test_the_alert_is_in_the_main_stations_language(owner, stations, sku_with_keys, place):
    stocked = sku_with_keys(2, low_stock=2)
    book = owner.store.price_books.price_book(stations.main)
    owner.store.price_books.put_price_book(book.model_copy(update={"language": "en"}))
    buy(place, stations, stocked.sku)
    (mail,) = alerts(owner)
    assert mail["Subject"].startswith("Low stock:")


def test_a_failing_mail_does_not_fail_the_checkout(owner, stations, sku_with_keys, checkout, monkeypatch):
    def broken(to, subject, body):
        raise OSError("outbox full")

    monkeypatch.setattr(owner.mail, "send", broken)
    stocked = sku_with_keys(2, low_stock=2)
    assert checkout(stations.substation, stocked.sku).status == 201


def test_shoppers_crossing_the_threshold_together_alert_once(owner, stations, sku_with_keys, checkout):
    stocked = sku_with_keys(12, low_stock=6)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: checkout(stations.substation, stocked.sku, email=f"r{i}@example.com").status,
                                 range(10)))
    assert statuses == [201] * 10 and len(alerts(owner)) == 1


def test_a_late_payment_taking_fresh_keys_below_the_threshold_alerts(owner, stations, sku_with_keys, place, sweep, clock,
                                                                    payment_event, deliver_webhook):
    stocked = sku_with_keys(3, low_stock=3)
    late = place(stations.substation, stocked.sku)
    clock.advance(seconds=owner.settings.reservation_ttl.total_seconds() + 1)
    sweep()
    owner.store.inventory.set_low_stock_alert(stocked.sku, False)  # as if a restock had re-armed it since the checkout
    before = len(alerts(owner, stocked.sku))
    deliver_webhook(payment_event(late, "stripe_checkout_session_completed_paid"))
    assert len(alerts(owner, stocked.sku)) == before + 1


def test_a_process_may_look_at_a_skus_stock_at_most_once_per_interval(owner, stations, sku_with_keys, monkeypatch):
    from kameng.services import notify

    stocked = sku_with_keys(3, low_stock=2)
    spaced = dataclasses.replace(owner, settings=dataclasses.replace(owner.settings, low_stock_check_seconds=60.0))
    reads = []
    stock = owner.store.inventory.stock
    monkeypatch.setattr(owner.store.inventory, "stock", lambda skus: reads.append(list(skus)) or stock(skus))
    results = [notify.check_low_stock(stocked.sku, 2, spaced) for _ in range(3)]
    assert (results, reads) == ([False, False, False], [[stocked.sku]])


def test_the_dynamodb_wiring_spaces_the_checks_and_sqlite_does_not(tmp_path):
    from kameng import config

    assert wiring.build(config.load({"KAMENG_DATA_DIR": str(tmp_path)})).settings.low_stock_check_seconds == 0
