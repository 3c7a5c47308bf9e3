"""After-sales tickets and key replacement, as every store adapter keeps them."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from kameng.domain.errors import SoldOut
from kameng.domain.ids import new_id
from kameng.domain.order import Applied
from kameng.domain.refund import refund_delivered
from kameng.domain.tickets import Resolution, TicketStatus, new_ticket
from kameng.ports.store import Conflict, Duplicate

from .store_world import START
from .test_store_concurrency import race
from .test_store_contract import LATER
from .test_store_refunds import delivered_order


def a_ticket(order, key_id=None, at=START, reason="key_invalid"):
    return new_ticket(new_id(at), order.id, order.station, order.sku, key_id or order.key_ids[0], reason,
                      "卡密提示无效", at)


def test_an_opened_ticket_is_read_back_by_id_and_with_its_order(store, inventory):
    _, order = delivered_order(store, inventory)
    ticket = a_ticket(order)
    store.tickets.open_ticket(ticket)
    assert store.tickets.ticket(ticket.id) == ticket
    assert store.tickets.tickets_of_order(order.id) == [ticket]
    assert store.tickets.tickets_of_order("no-such-order") == [] and store.tickets.ticket("nope") is None


def test_a_key_has_one_unresolved_ticket_at_a_time(store, inventory):
    _, order = delivered_order(store, inventory)
    first = a_ticket(order)
    store.tickets.open_ticket(first)
    with pytest.raises(Duplicate):
        store.tickets.open_ticket(a_ticket(order, at=LATER))
    store.tickets.open_ticket(a_ticket(order, key_id=order.key_ids[1], at=LATER))
    store.tickets.update_ticket(first.resolved(Resolution.ANSWERED, LATER, "owner@example.com", "已核实，卡密可用"))
    again = a_ticket(order, at=LATER + timedelta(hours=1))
    store.tickets.open_ticket(again)
    assert [t.id for t in store.tickets.tickets_of_order(order.id)][-1] == again.id


def test_a_stale_update_is_refused(store, inventory):
    _, order = delivered_order(store, inventory)
    ticket = a_ticket(order)
    store.tickets.open_ticket(ticket)
    store.tickets.update_ticket(ticket.replied("请稍等", LATER, "a@example.com"))
    with pytest.raises(Conflict):
        store.tickets.update_ticket(ticket.replied("另一个回复", LATER, "b@example.com"))
    assert [m.text for m in store.tickets.ticket(ticket.id).messages] == ["卡密提示无效", "请稍等"]


def test_the_queue_lists_a_stations_waiting_tickets_oldest_first(store, inventory):
    _, order = delivered_order(store, inventory, quantity=3)
    newer = a_ticket(order, key_id=order.key_ids[0], at=START + timedelta(minutes=5))
    older = a_ticket(order, key_id=order.key_ids[1], at=START)
    answered = a_ticket(order, key_id=order.key_ids[2], at=START + timedelta(minutes=1))
    elsewhere = new_ticket(new_id(START), "order-of-main", "main", order.sku, "key-of-main", "other", "", START)
    for ticket in (newer, older, answered, elsewhere):
        store.tickets.open_ticket(ticket)
    store.tickets.update_ticket(answered.replied("处理中", LATER, "owner@example.com"))
    assert [t.id for t in store.tickets.queue("game-zone", None, 10)] == [older.id, answered.id, newer.id]
    assert [t.id for t in store.tickets.queue("game-zone", TicketStatus.OPEN, 10)] == [older.id, newer.id]
    assert [t.id for t in store.tickets.queue("game-zone", TicketStatus.OPEN, 1)] == [older.id]
    assert store.tickets.queue("game-zone", TicketStatus.RESOLVED, 10) == []


def test_a_replacement_voids_the_reported_key_and_sells_the_order_a_fresh_one(store, inventory):
    sku, order = delivered_order(store, inventory)
    before = inventory.count(sku)
    ticket = a_ticket(order)
    store.tickets.open_ticket(ticket)
    done = store.tickets.replace_key(ticket.resolved(Resolution.REPLACED, LATER, "owner@example.com"), order)
    held = [k.key_id for k in store.inventory.sealed_keys(store.orders.order(order.id))]
    assert done.replacement_key_id in held and ticket.key_id not in held and len(held) == 2
    assert [k.key_id for k in store.tickets.replaced_keys(order.id)] == [ticket.key_id]
    after = inventory.count(sku)
    assert (after.available, after.sold, after.void) == (before.available - 1, before.sold, before.void + 1)
    assert inventory.balanced(sku)
    stored = store.tickets.ticket(ticket.id)
    assert (stored.status, stored.resolution, stored.replacement_key_id) == (
        TicketStatus.RESOLVED, Resolution.REPLACED, done.replacement_key_id)


def test_a_replacement_out_of_stock_changes_nothing(store, inventory):
    sku, order = delivered_order(store, inventory)
    taken = [store.orders.place_order(a_order) for a_order in _orders_for(sku, inventory.count(sku).available)]
    assert taken
    ticket = a_ticket(order)
    store.tickets.open_ticket(ticket)
    before = inventory.count(sku)
    with pytest.raises(SoldOut):
        store.tickets.replace_key(ticket.resolved(Resolution.REPLACED, LATER, "owner@example.com"), order)
    assert inventory.count(sku) == before
    assert store.tickets.ticket(ticket.id) == ticket
    assert [k.key_id for k in store.inventory.sealed_keys(store.orders.order(order.id))] == list(order.key_ids)


def test_a_refunded_key_is_not_replaced(store, inventory):
    sku, order = delivered_order(store, inventory)
    ticket = a_ticket(order)
    store.tickets.open_ticket(ticket)
    outcome, _ = store.orders.apply(refund_delivered(order, store.orders.ledger(order.id), "re_1", "owner"), LATER)
    assert outcome is Applied.DONE
    with pytest.raises(Conflict):
        store.tickets.replace_key(ticket.resolved(Resolution.REPLACED, LATER, "owner@example.com"), order)
    assert inventory.count(sku).void == 0


def test_two_owners_replacing_one_ticket_at_once_give_one_replacement(store, inventory):
    sku, order = delivered_order(store, inventory)
    ticket = a_ticket(order)
    store.tickets.open_ticket(ticket)
    resolved = ticket.resolved(Resolution.REPLACED, LATER, "owner@example.com")
    outcomes = race(4, lambda i: store.tickets.replace_key(resolved, order))
    assert Counter(type(o).__name__ for o in outcomes) == {"Ticket": 1, "Conflict": 3}
    assert inventory.count(sku).void == 1 and inventory.balanced(sku)
    assert len(store.inventory.sealed_keys(store.orders.order(order.id))) == 2


def _orders_for(sku, n):
    from .store_world import an_order
    return [an_order(sku, at=START + timedelta(seconds=i)) for i in range(n)]
