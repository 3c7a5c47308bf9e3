"""`kameng orders review | approve | reject`: the orders the risk rules hold, and the owner's decision on each."""
from kameng.domain.risk import RiskRules

from .conftest import SUBSTATION, json_of
from .test_orders import stocked


def held(shop, kameng, keys_file, quantity=2):
    stocked(kameng, keys_file)
    book = shop.deps.store.price_books.price_book(SUBSTATION)
    shop.deps.store.price_books.put_price_book(book.model_copy(update={"risk": RiskRules(review_quantity_above=1)}))
    order = shop.pay(shop.place(quantity=quantity))
    assert order.status.value == "needs_review"
    return order


def test_review_lists_held_orders_with_the_rule_that_holds_each(shop, kameng, keys_file):
    order = held(shop, kameng, keys_file)
    ran = kameng("orders", "review")
    assert ran.code == 0, ran.err
    assert order.id in ran.out and "large_order_quantity: quantity 2 > 1" in ran.out
    assert [o["id"] for o in json_of(kameng("orders", "review", "--json"))] == [order.id]
    by_station = kameng("orders", "review", "--station", SUBSTATION)
    assert order.id in by_station.out
    assert f"refused today at {SUBSTATION}: 0 by a blocklist, 0 over orders per hour" in by_station.out


def test_approve_delivers_a_held_order_once(shop, kameng, keys_file):
    order = held(shop, kameng, keys_file)
    first = kameng("orders", "approve", order.id)
    second = kameng("orders", "approve", order.id)
    assert first.code == second.code == 0
    assert first.out.startswith(f"order {order.id} is delivered (approved by ")
    assert (shop.stock().sold, shop.stock().reserved) == (2, 0)
    assert kameng("orders", "review").out.strip() == "no orders held for review"


def test_reject_refunds_a_held_order_and_returns_its_keys(shop, kameng, keys_file):
    order = held(shop, kameng, keys_file)
    ran = kameng("orders", "reject", order.id, "--reason", "stolen card", "--json")
    assert ran.code == 0, ran.err
    assert json_of(ran)["status"] == "refunded"
    assert (shop.stock().available, shop.stock().sold) == (3, 0)
    stored = shop.deps.store.orders.order(order.id)
    assert stored.attention_reason == "risk_rejected: stolen card" and stored.refund_id


def test_approve_without_an_id_or_with_an_unknown_one_says_what_is_missing(shop, kameng, keys_file):
    assert "needs the order's id" in kameng("orders", "approve").err
    assert kameng("orders", "reject", "01NOSUCHORDER0000000000000").code != 0
