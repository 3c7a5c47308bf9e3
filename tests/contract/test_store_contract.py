"""What every store adapter promises the services, written once and run against each adapter."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from kameng.domain.errors import SoldOut
from kameng.domain.order import (
    Applied, KeyMove, OrderChange, OrderStatus, deliver, lapse, ledger_for,
)
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.ports.store import UnknownRecord

from .store_world import START, an_order, sealed_keys_for

S = OrderStatus
LATER = START + timedelta(minutes=1)


def a_book(station: str = "game-zone", price: int = 10500) -> PriceBook:
    line = PricedSku(sku="steam-100", product="steam-wallet", title="Steam 钱包 100", price=price, wholesale=9500,
                     min_quantity=1, max_quantity=5, low_stock=3)
    return PriceBook(station=station, domain=f"{station}.example", currency="CNY", skus={"steam-100": line})


def paid(order, event_id: str | None = "evt_paid") -> OrderChange:
    return OrderChange(order.id, S.PENDING, S.PAID, event_id=event_id, payment_ref="pi_1", due_at=LATER)


def snapshot(store, inventory, order, sku):
    return store.orders.order(order.id), inventory.count(sku), store.orders.ledger(order.id), [k.key_id for k in store.inventory.sealed_keys(order)]


# ---------------------------------------------------------------- price books


def test_a_published_price_book_reads_back_equal(store):
    store.price_books.put_price_book(a_book())
    assert store.price_books.price_book("game-zone") == a_book()


def test_publishing_a_station_again_replaces_its_price_book(store):
    store.price_books.put_price_book(a_book(price=10500))
    store.price_books.put_price_book(a_book(price=9900))
    assert store.price_books.price_book("game-zone").skus["steam-100"].price == 9900


def test_each_station_keeps_its_own_price_book(store):
    store.price_books.put_price_book(a_book("main", price=10200))
    store.price_books.put_price_book(a_book("game-zone", price=10500))
    assert (store.price_books.price_book("main").skus["steam-100"].price, store.price_books.price_book("game-zone").skus["steam-100"].price) == (10200, 10500)


def test_the_stations_are_those_with_a_price_book_each_once(store):
    assert store.price_books.stations() == []
    for station, price in (("main", 10200), ("game-zone", 10500), ("main", 9900)):
        store.price_books.put_price_book(a_book(station, price=price))
    assert store.price_books.stations() == ["game-zone", "main"]


def test_an_unpublished_station_has_no_price_book(store):
    assert store.price_books.price_book("nowhere") is None


# ---------------------------------------------------------------- importing keys


def test_imported_keys_are_available(store, inventory):
    result = store.inventory.add_card_keys(sealed_keys_for("sku-a", 7))
    assert (result.added, result.duplicates, inventory.count("sku-a").available) == (7, 0, 7)


def test_importing_the_same_fingerprints_again_adds_nothing(store, inventory):
    first = sealed_keys_for("sku-a", 5)
    store.inventory.add_card_keys(first)
    again = [replace(k, key_id=fresh.key_id) for k, fresh in zip(first, sealed_keys_for("sku-a", 5))]
    assert store.inventory.add_card_keys(again).duplicates == 5 and inventory.count("sku-a").available == 5


def test_a_fingerprint_held_by_another_sku_is_a_duplicate(store, inventory):
    held = sealed_keys_for("sku-a", 1)
    store.inventory.add_card_keys(held)
    elsewhere = [replace(held[0], key_id=sealed_keys_for("sku-b", 1)[0].key_id, sku="sku-b")]
    assert store.inventory.add_card_keys(elsewhere).duplicates == 1 and inventory.count("sku-b").available == 0


def test_a_batch_with_a_repeated_fingerprint_adds_it_once(store, inventory):
    one, other = sealed_keys_for("sku-a", 2)
    result = store.inventory.add_card_keys([one, replace(other, fingerprint=one.fingerprint)])
    assert (result.added, result.duplicates) == (1, 1)


def test_a_sku_with_no_keys_counts_zero(store):
    assert store.inventory.stock(["never-stocked"])["never-stocked"].imported == 0


# ---------------------------------------------------------------- placing orders


def test_placing_an_order_reserves_exactly_its_quantity_of_keys(store, inventory):
    sku = inventory.new_sku(10)
    placed = store.orders.place_order(an_order(sku, quantity=3))
    assert len(set(placed.key_ids)) == 3 and (inventory.count(sku).available, inventory.count(sku).reserved) == (7, 3)


def test_an_orders_keys_come_from_its_own_sku(store, inventory):
    other_keys = {k.key_id for k in inventory.add("sku-other", 5)}
    sku = inventory.new_sku(5)
    placed = store.orders.place_order(an_order(sku, quantity=5))
    assert not set(placed.key_ids) & other_keys and {k.sku for k in store.inventory.sealed_keys(placed)} == {sku}


def test_the_store_returns_the_order_it_placed(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(2), quantity=2))
    assert store.orders.order(placed.id) == placed


def test_the_sealed_keys_of_an_order_are_the_ones_it_reserved(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(4), quantity=2))
    assert sorted(k.key_id for k in store.inventory.sealed_keys(placed)) == sorted(placed.key_ids)


def test_an_order_can_take_the_last_keys(store, inventory):
    sku = inventory.new_sku(3)
    store.orders.place_order(an_order(sku, quantity=3))
    assert inventory.count(sku).available == 0


def test_an_order_for_more_keys_than_are_available_is_sold_out(store, inventory):
    sku = inventory.new_sku(2)
    with pytest.raises(SoldOut):
        store.orders.place_order(an_order(sku, quantity=3))


def test_a_sold_out_order_changes_nothing(store, inventory):
    sku = inventory.new_sku(2)
    order = an_order(sku, quantity=3)
    before = inventory.count(sku)
    with pytest.raises(SoldOut):
        store.orders.place_order(order)
    assert (store.orders.order(order.id), inventory.count(sku)) == (None, before)


def test_keys_of_another_sku_do_not_prevent_sold_out(store, inventory):
    inventory.add("sku-other", 10)
    with pytest.raises(SoldOut):
        store.orders.place_order(an_order(inventory.new_sku(0), quantity=1))


def test_the_payment_session_and_its_pay_page_are_kept_with_the_order(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.set_payment_session(placed.id, "cs_test_abc", "https://checkout.stripe.com/c/pay/cs_test_abc")
    kept = store.orders.order(placed.id)
    assert (kept.payment_session, kept.payment_url) == ("cs_test_abc", "https://checkout.stripe.com/c/pay/cs_test_abc")


def test_a_split_is_kept_with_the_order_and_survives_its_later_changes(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)).model_copy(update={"rail": "alipay"}))
    store.orders.apply(paid(placed), LATER)
    store.orders.record_split(placed.id, 351, "alipay:split-1")
    # The delivery that follows was decided from an order read before the split was recorded.
    store.orders.apply(OrderChange(placed.id, S.PAID, S.DELIVERED), LATER)
    kept = store.orders.order(placed.id)
    assert (kept.status, kept.rail, kept.split_sent, kept.split_ref) == (S.DELIVERED, "alipay", 351, "alipay:split-1")
    with pytest.raises(UnknownRecord):
        store.orders.record_split("01NOSUCHORDER0000000000000", 1, "x")


# ---------------------------------------------------------------- applying changes


def test_a_change_applies_to_an_order_in_the_state_it_was_read_in(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    outcome, updated = store.orders.apply(paid(placed), START)
    assert (outcome, updated.status, store.orders.order(placed.id).status) == (Applied.DONE, S.PAID, S.PAID)


def test_an_applied_change_records_the_payment_reference_and_time(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.apply(paid(placed), LATER)
    stored = store.orders.order(placed.id)
    assert (stored.payment_ref, stored.updated_at) == ("pi_1", LATER)


def test_a_change_records_why_an_order_needs_attention(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.apply(OrderChange(placed.id, S.PENDING, S.NEEDS_ATTENTION, keys=KeyMove.RETURN, reason="amount_mismatch"), START)
    assert store.orders.order(placed.id).attention_reason == "amount_mismatch"


def test_a_change_to_an_order_that_moved_on_is_a_conflict(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.apply(lapse(placed), START)
    assert store.orders.apply(paid(placed), START) == (Applied.CONFLICT, None)


def test_a_conflicting_change_writes_nothing(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(an_order(sku))
    store.orders.apply(lapse(placed), START)
    before = snapshot(store, inventory, placed, sku)
    store.orders.apply(paid(placed, event_id="evt_late"), LATER)
    assert snapshot(store, inventory, placed, sku) == before and not store.orders.event_seen("evt_late")


def test_an_event_id_is_remembered_once_its_change_is_applied(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.apply(paid(placed, event_id="evt_1"), START)
    assert store.orders.event_seen("evt_1")


def test_a_second_change_with_an_applied_event_id_is_a_duplicate(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    updated = store.orders.apply(paid(placed, event_id="evt_1"), START)[1]
    again = OrderChange(updated.id, S.PAID, S.DELIVERED, keys=KeyMove.SELL, event_id="evt_1")
    assert store.orders.apply(again, START) == (Applied.DUPLICATE, None)


def test_a_duplicate_event_writes_nothing(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(an_order(sku))
    updated = store.orders.apply(paid(placed, event_id="evt_1"), START)[1]
    before = snapshot(store, inventory, updated, sku)
    store.orders.apply(OrderChange(updated.id, S.PAID, S.DELIVERED, keys=KeyMove.SELL, event_id="evt_1",
                            ledger=ledger_for(updated, "main")), LATER)
    assert snapshot(store, inventory, updated, sku) == before


def test_returned_keys_are_available_again(store, inventory):
    sku = inventory.new_sku(3)
    placed = store.orders.place_order(an_order(sku, quantity=2))
    store.orders.apply(lapse(placed), START)
    assert (inventory.count(sku).available, inventory.count(sku).reserved) == (3, 0)


def test_an_order_whose_keys_were_returned_holds_none(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(3), quantity=2))
    store.orders.apply(lapse(placed), START)
    assert (store.orders.order(placed.id).key_ids, store.inventory.sealed_keys(placed)) == ((), [])


def test_returned_keys_can_be_sold_to_the_next_shopper(store, inventory):
    sku = inventory.new_sku(1)
    first = store.orders.place_order(an_order(sku))
    store.orders.apply(lapse(first), START)
    assert store.orders.place_order(an_order(sku, at=LATER)).key_ids == first.key_ids


def test_sold_keys_stay_with_their_order(store, inventory):
    sku = inventory.new_sku(3)
    placed = store.orders.place_order(an_order(sku, quantity=2))
    updated = store.orders.apply(paid(placed), START)[1]
    store.orders.apply(deliver(updated, "main", START), START)
    assert sorted(k.key_id for k in store.inventory.sealed_keys(placed)) == sorted(placed.key_ids)


def test_sold_keys_are_counted_as_sold(store, inventory):
    sku = inventory.new_sku(3)
    placed = store.orders.place_order(an_order(sku, quantity=2))
    store.orders.apply(deliver(store.orders.apply(paid(placed), START)[1], "main", START), START)
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, counted.sold) == (1, 0, 2)


def test_a_delivery_writes_the_orders_ledger_entries(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(2), quantity=2, station="game-zone"))
    updated = store.orders.apply(paid(placed), START)[1]
    store.orders.apply(deliver(updated, "main", START), START)
    assert store.orders.ledger(placed.id) == list(ledger_for(updated, "main"))


def test_an_order_that_was_not_delivered_has_no_ledger_entries(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.apply(paid(placed), START)
    assert store.orders.ledger(placed.id) == []


def test_a_late_payment_reserves_fresh_keys(store, inventory):
    sku = inventory.new_sku(3)
    placed = store.orders.place_order(an_order(sku, quantity=2))
    expired = store.orders.apply(lapse(placed), START)[1]
    outcome, updated = store.orders.apply(OrderChange(expired.id, S.EXPIRED, S.PAID, keys=KeyMove.RESERVE, event_id="evt_late",
                                               reservation_expires_at=LATER), START)
    assert (outcome, len(updated.key_ids), inventory.count(sku).reserved, updated.expires_at) == (Applied.DONE, 2, 2, LATER)


def test_a_late_payment_that_finds_too_few_keys_is_sold_out(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(an_order(sku))
    expired = store.orders.apply(lapse(placed), START)[1]
    store.orders.place_order(an_order(sku, at=LATER))
    with pytest.raises(SoldOut):
        store.orders.apply(OrderChange(expired.id, S.EXPIRED, S.PAID, keys=KeyMove.RESERVE, event_id="evt_late"), LATER)


def test_a_sold_out_late_payment_writes_nothing(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(an_order(sku))
    expired = store.orders.apply(lapse(placed), START)[1]
    store.orders.place_order(an_order(sku, at=LATER))
    before = snapshot(store, inventory, expired, sku)
    with pytest.raises(SoldOut):
        store.orders.apply(OrderChange(expired.id, S.EXPIRED, S.PAID, keys=KeyMove.RESERVE, event_id="evt_late"), LATER)
    assert snapshot(store, inventory, expired, sku) == before and not store.orders.event_seen("evt_late")


# ---------------------------------------------------------------- what the sweeper and the shopper read


def test_an_order_is_due_once_its_reservation_lapses(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1), ttl=timedelta(minutes=15)))
    assert ([o.id for o in store.orders.due_orders(START + timedelta(minutes=14), 10)],
            [o.id for o in store.orders.due_orders(START + timedelta(minutes=15), 10)]) == ([], [placed.id])


def test_a_change_that_clears_the_due_time_takes_the_order_off_the_due_list(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.apply(lapse(placed), START)
    assert store.orders.due_orders(START + timedelta(days=1), 10) == []


def test_a_paid_order_is_due_at_its_release_retry_time(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    store.orders.apply(paid(placed), START)
    assert [o.status for o in store.orders.due_orders(LATER, 10)] == [S.PAID]


def test_due_orders_come_soonest_first_up_to_the_limit(store, inventory):
    sku = inventory.new_sku(3)
    ttls = [timedelta(minutes=m) for m in (30, 10, 20)]
    placed = [store.orders.place_order(an_order(sku, ttl=ttl)) for ttl in ttls]
    due = store.orders.due_orders(START + timedelta(hours=1), 2)
    assert [o.id for o in due] == [placed[1].id, placed[2].id]


def test_a_shoppers_orders_come_newest_first(store, inventory):
    sku = inventory.new_sku(3)
    placed = [store.orders.place_order(an_order(sku, at=START + timedelta(seconds=s))) for s in (0, 1, 2)]
    assert [o.id for o in store.orders.orders_of_shopper("shopper-a", 10)] == [p.id for p in reversed(placed)]


def test_a_shopper_sees_only_their_own_orders(store, inventory):
    sku = inventory.new_sku(2)
    mine = store.orders.place_order(an_order(sku, shopper_key="shopper-a"))
    store.orders.place_order(an_order(sku, shopper_key="shopper-b", at=LATER))
    assert [o.id for o in store.orders.orders_of_shopper("shopper-a", 10)] == [mine.id]


def test_a_shoppers_order_list_is_limited_to_the_newest(store, inventory):
    sku = inventory.new_sku(3)
    placed = [store.orders.place_order(an_order(sku, at=START + timedelta(seconds=s))) for s in (0, 1, 2)]
    assert [o.id for o in store.orders.orders_of_shopper("shopper-a", 2)] == [placed[2].id, placed[1].id]


def test_recent_orders_filter_by_station_and_status(store, inventory):
    sku = inventory.new_sku(3)
    wanted = store.orders.place_order(an_order(sku, station="game-zone"))
    store.orders.place_order(an_order(sku, station="main", at=LATER))
    lapsed = store.orders.place_order(an_order(sku, station="game-zone", at=LATER))
    store.orders.apply(lapse(lapsed), LATER)
    assert [o.id for o in store.orders.recent_orders(10, station="game-zone", status=S.PENDING)] == [wanted.id]


# ---------------------------------------------------------------- rate-limit counters


def test_hits_in_one_window_are_counted_together(store):
    assert [store.counters.count_hit("lookup:addr:1.2.3.4", 600, START + timedelta(seconds=s)) for s in (0, 1, 599)] == [1, 2, 3]


def test_a_new_window_starts_counting_again(store):
    store.counters.count_hit("lookup:addr:1.2.3.4", 600, START)
    store.counters.count_hit("lookup:addr:1.2.3.4", 600, START)
    assert store.counters.count_hit("lookup:addr:1.2.3.4", 600, START + timedelta(seconds=600)) == 1


def test_buckets_are_counted_apart(store):
    store.counters.count_hit("lookup:addr:1.2.3.4", 600, START)
    assert store.counters.count_hit("lookup:addr:5.6.7.8", 600, START) == 1


# ---------------------------------------------------------------- the stock equation


def test_the_stock_equation_holds_after_every_operation(store, inventory):
    sku = inventory.new_sku(6)
    checks = [inventory.balanced(sku)]
    kept = store.orders.place_order(an_order(sku, quantity=2))
    checks.append(inventory.balanced(sku))
    dropped = store.orders.place_order(an_order(sku, quantity=3, at=LATER))
    checks.append(inventory.balanced(sku))
    with pytest.raises(SoldOut):
        store.orders.place_order(an_order(sku, quantity=2, at=LATER))
    checks.append(inventory.balanced(sku))
    store.orders.apply(lapse(dropped), LATER)
    checks.append(inventory.balanced(sku))
    store.orders.apply(deliver(store.orders.apply(paid(kept), LATER)[1], "main", LATER), LATER)
    checks.append(inventory.balanced(sku))
    store.orders.apply(OrderChange(dropped.id, S.EXPIRED, S.PAID, keys=KeyMove.RESERVE, event_id="evt_late"), LATER)
    checks.append(inventory.balanced(sku))
    inventory.add(sku, 2)
    checks.append(inventory.balanced(sku))
    assert checks == [True] * len(checks)

