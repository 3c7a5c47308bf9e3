"""Checkout charges what the product page shows: tier prices, a flash sale inside its window, and their limits."""
from __future__ import annotations

import html
import re
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kameng.domain.pricing import FlashSale, Tier
from kameng.services import import_keys
from kameng.sitegen import build
from tests.build.conftest import REPO, TEMPLATES
from tests.conftest import START

SUB = "game-zone"


def republish(deps, station: str, sku: str | None = None, flash_sales: tuple[FlashSale, ...] | None = None, **line):
    book = deps.store.price_books.price_book(station)
    updates: dict = {}
    if sku is not None:
        updates["skus"] = {**book.skus, sku: book.skus[sku].model_copy(update=line)}
    if flash_sales is not None:
        updates["flash_sales"] = flash_sales
    deps.store.price_books.put_price_book(book.model_copy(update=updates))


@pytest.fixture
def tiered(deps, sku_with_keys):
    stocked = sku_with_keys(120, substation_price=10500, max_quantity=50)
    republish(deps, SUB, stocked.sku, tiers=(Tier(min_quantity=10, price=10000), Tier(min_quantity=30, price=9800)))
    return stocked


@pytest.mark.parametrize("quantity, unit", [(1, 10500), (9, 10500), (10, 10000), (29, 10000), (30, 9800), (50, 9800)])
def test_the_tier_price_for_the_quantity_is_charged(tiered, place, order_view, deps, monkeypatch, quantity, unit):
    sessions = []
    create_session = deps.gateway.create_session
    monkeypatch.setattr(deps.gateway, "create_session", lambda request: sessions.append(request) or create_session(request))
    placed = place(SUB, tiered.sku, quantity)
    assert placed.total == unit * quantity
    assert order_view(placed)["total"] == unit * quantity
    assert deps.store.orders.order(placed.order_id).unit_price == unit
    # Stripe charges unit_amount × quantity: the line item the gateway gets is the order's total.
    [session] = sessions
    assert (session.unit_price, session.quantity, session.total) == (unit, quantity, unit * quantity)


def test_a_tier_priced_order_is_delivered_and_its_ledger_balances_with_the_main_stations_wholesale(tiered, place, pay, order_view, deps):
    placed = place(SUB, tiered.sku, 10)
    pay(placed)
    assert order_view(placed)["status"] == "delivered"
    ledger = {entry.memo: entry.amount for entry in deps.store.orders.ledger(placed.order_id)}
    assert ledger == {"paid": -100000, "wholesale": 95000, "margin": 5000}


SALE_STARTS = START + timedelta(hours=1)
SALE_ENDS = START + timedelta(hours=3)


@pytest.fixture
def on_sale(deps, sku_with_keys):
    stocked = sku_with_keys(30, substation_price=10500, max_quantity=5)
    sale = FlashSale(sku=stocked.sku, price=9600, starts=SALE_STARTS, ends=SALE_ENDS, quantity=4, per_shopper=2)
    republish(deps, SUB, flash_sales=(sale,))
    return stocked


def test_before_the_window_the_usual_price_is_charged(on_sale, place, clock):
    clock.now = SALE_STARTS - timedelta(seconds=1)
    assert place(SUB, on_sale.sku, 2).total == 21000


def test_inside_the_window_the_flash_price_is_charged_and_delivered(on_sale, place, pay, order_view, deps, clock):
    clock.now = SALE_STARTS
    placed = place(SUB, on_sale.sku, 2)
    assert placed.total == 19200
    pay(placed)
    assert order_view(placed)["status"] == "delivered"
    assert sum(entry.amount for entry in deps.store.orders.ledger(placed.order_id)) == 0


def test_from_the_end_of_the_window_the_usual_price_is_charged_again(on_sale, place, clock):
    clock.now = SALE_ENDS
    assert place(SUB, on_sale.sku, 2).total == 21000


def test_the_browser_cannot_choose_the_flash_price(on_sale, place, clock):
    clock.now = SALE_STARTS - timedelta(minutes=1)
    assert place(SUB, on_sale.sku, 1, unit_price=9600, total=9600, flash_sale=True).total == 10500


def test_once_the_sales_quantity_is_gone_the_shopper_hears_it_and_is_never_charged_more(on_sale, place, checkout, clock):
    clock.now = SALE_STARTS
    place(SUB, on_sale.sku, 2, email="a@example.com")
    place(SUB, on_sale.sku, 2, email="b@example.com")
    refused = checkout(SUB, on_sale.sku, 1, email="c@example.com")
    assert (refused.status, refused.error["code"]) == (409, "flash_sale_sold_out")
    assert "秒杀名额已抢完" in refused.error["message"]
    assert on_sale.stock().reserved == 4


def test_a_shopper_gets_at_most_their_share_of_the_sale(on_sale, place, checkout, clock):
    clock.now = SALE_STARTS
    place(SUB, on_sale.sku, 1)
    refused = checkout(SUB, on_sale.sku, 2)
    assert (refused.status, refused.error["code"]) == (409, "shopper_limit")
    assert "每人限购 2 件" in refused.error["message"]
    assert place(SUB, on_sale.sku, 1).total == 9600
    # More than the share in one order is not a sale order: it pays the usual price.
    usual = place(SUB, on_sale.sku, 3, email="b@example.com")
    assert usual.total == 3 * 10500


def test_a_lapsed_reservation_gives_its_flash_quantity_back(on_sale, place, checkout, sweep, clock):
    clock.now = SALE_STARTS
    place(SUB, on_sale.sku, 2, email="a@example.com")
    place(SUB, on_sale.sku, 2, email="b@example.com")
    assert checkout(SUB, on_sale.sku, 2, email="a@example.com").status == 409
    clock.advance(minutes=16)
    sweep()
    assert place(SUB, on_sale.sku, 2, email="a@example.com").total == 19200
    assert place(SUB, on_sale.sku, 2, email="c@example.com").total == 19200
    assert on_sale.stock().reserved == 4


def test_a_late_payment_after_the_sales_quantity_is_gone_is_refunded_in_full(
        on_sale, place, sweep, clock, deps, payment_event, deliver_webhook):
    clock.now = SALE_STARTS
    late = place(SUB, on_sale.sku, 2, email="a@example.com")
    clock.advance(minutes=16)
    sweep()
    place(SUB, on_sale.sku, 2, email="b@example.com")
    place(SUB, on_sale.sku, 2, email="c@example.com")
    assert deliver_webhook(payment_event(late, "stripe_checkout_session_completed_paid")).status == 200
    order = deps.store.orders.order(late.order_id)
    assert (order.status.value, order.paid_amount, order.key_ids) == ("refunded", 19200, ())
    assert sum(entry.amount for entry in deps.store.orders.ledger(late.order_id)) == 0
    assert on_sale.stock().reserved == 4 and on_sale.stock().available == 26


def test_the_daily_limit_counts_the_shoppers_orders_of_the_day(deps, sku_with_keys, place, checkout, clock):
    stocked = sku_with_keys(20, max_quantity=5)
    republish(deps, SUB, stocked.sku, max_per_shopper_per_day=3)
    place(SUB, stocked.sku, 2)
    refused = checkout(SUB, stocked.sku, 2)
    assert (refused.status, refused.error["code"]) == (409, "shopper_limit")
    assert "每天限购 3 件" in refused.error["message"]
    place(SUB, stocked.sku, 1)
    place(SUB, stocked.sku, 3, email="other@example.com")
    clock.advance(days=1)
    place(SUB, stocked.sku, 3)


def test_both_refusals_are_409_with_an_english_message():
    from kameng.domain.errors import FlashSaleSoldOut, ShopperLimit
    from kameng.http import error_response

    for error in (FlashSaleSoldOut("秒杀名额已抢完"), ShopperLimit("每人限购")):
        response = error_response(error, english=True)
        assert response["statusCode"] == 409 and error.code in response["body"]
        assert "limit" in response["body"] or "sale is over" in response["body"]


# ------------------------------------------------------------ the demo's pages against checkout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    site: Path = tmp_path_factory.mktemp("demo") / "site"
    return site, build(REPO / "content", site, TEMPLATES).price_books


def page_offers(page: str) -> dict[str, dict]:
    """What a product page tells the shopper, per SKU: price, tiers and flash sales (in minor units)."""
    offers = {}
    for label in re.findall(r'<label class="sku">(.*?)</label>', page, re.S):
        attributes = dict(re.findall(r'(data-[a-z]+|value)="([^"]*)"', re.search(r"<input[^>]*>", label).group(0)))
        tiers = [tuple(map(int, pair.split(":"))) for pair in html.unescape(attributes.get("data-tiers", "")).split(",") if pair]
        sales = [
            (round(float(price) * 100), datetime.fromisoformat(starts), datetime.fromisoformat(ends), int(limit))
            for price, limit, starts, ends in re.findall(
                r'<span class="flash-sale">[^<]*<strong>¥([\d.]+)</strong>\D*(\d+)[^<]*<span class="countdown" '
                r'data-starts="([^"]+)" data-ends="([^"]+)"', label)
        ]
        offers[attributes["value"]] = {
            "price": int(attributes["data-price"]), "min": int(attributes["data-min"]), "max": int(attributes["data-max"]),
            "tiers": tiers, "sales": sales,
        }
    return offers


def page_unit_price(offer: dict, quantity: int, now: datetime) -> int:
    unit = offer["price"]
    for minimum, price in offer["tiers"]:
        if quantity >= minimum:
            unit = price
    for price, starts, ends, _ in offer["sales"]:
        if starts <= now < ends:
            unit = min(unit, price)
    return unit


@pytest.fixture
def demo_shop(demo, deps):
    site, books = demo
    for book in books:
        deps.store.price_books.put_price_book(book)
    offers = page_offers((site / SUB / "p" / "qq-coin" / "index.html").read_text(encoding="utf-8"))
    for sku, offer in offers.items():
        lines = [f"QQ{secrets.token_hex(8).upper()}\n" for _ in range(4 * offer["max"])]
        assert import_keys.import_lines(sku, lines, False, deps).imported == len(lines)
    return offers


def test_the_demo_page_shows_tiers_and_a_flash_sale(demo_shop):
    assert demo_shop["qq-coin-10"]["tiers"] and demo_shop["qq-coin-10"]["sales"]


def test_outside_the_flash_sale_checkout_charges_the_pages_tier_prices(demo_shop, checkout, clock):
    clock.now = datetime(2026, 12, 12, 11, 59, 59, tzinfo=timezone.utc)
    for n, (sku, offer) in enumerate(demo_shop.items()):
        wanted = {offer["min"], offer["max"], *(m for m, _ in offer["tiers"]), *(m - 1 for m, _ in offer["tiers"])}
        for i, quantity in enumerate(sorted(wanted)):
            response = checkout(SUB, sku, quantity, email=f"s{n}-{i}@example.com", source_ip=f"198.51.100.{n * 10 + i}")
            assert response.status == 201, response.raw
            assert response.json["total"] == page_unit_price(offer, quantity, clock.now) * quantity, (sku, quantity)


def test_inside_the_flash_sale_checkout_charges_the_pages_flash_price(demo_shop, checkout, clock):
    offer = demo_shop["qq-coin-10"]
    price, starts, ends, per_shopper = offer["sales"][0]
    for moment in (starts, ends - timedelta(seconds=1), ends):
        clock.now = moment
        for quantity in range(1, per_shopper + 1):
            response = checkout(SUB, "qq-coin-10", quantity, email=f"{quantity}-{moment:%H%M%S}@example.com",
                                source_ip=f"198.51.100.{quantity}")
            assert response.status == 201, response.raw
            page = page_unit_price(offer, quantity, moment)
            assert page == (price if moment < ends else offer["price"])
            assert response.json["total"] == page * quantity, (moment, quantity)
