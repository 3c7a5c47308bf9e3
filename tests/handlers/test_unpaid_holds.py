"""Hoarders with fresh e-mails cannot reserve a SKU's whole stock and leave a paying shopper a sold-out answer."""
from __future__ import annotations

from kameng.domain.price_book import UnpaidLimits
from kameng import http
from kameng.handlers import checkout as checkout_handler

from .conftest import QUERY_PASSWORD, Placed, Response

HOARDER_1 = "93.184.216.34"
HOARDER_2 = "151.101.1.69"
SHOPPER = "104.16.132.229"


def limit_unpaid(deps, station: str, limits: UnpaidLimits) -> None:
    book = deps.store.price_books.price_book(station)
    deps.store.price_books.put_price_book(book.model_copy(update={"unpaid_holds": limits}))


def post(events, station: str, sku: str, quantity: int, email: str, source_ip: str,
         device: str | None = None) -> Response:
    fields = {"station": station, "sku": sku, "quantity": quantity, "email": email, "query_password": QUERY_PASSWORD}
    event = events.checkout(fields, source_ip=source_ip)
    if device is not None:
        event["cookies"] = [*(event.get("cookies") or []), f"device={device}"]
    return Response(checkout_handler.handler(event, None))


def device_of(response: Response) -> str:
    sent = [c for c in response.raw["cookies"] if c.startswith("device=")]
    assert len(sent) == 1 and "HttpOnly" in sent[0] and "Path=/api/checkout" in sent[0], sent
    return sent[0].split(";", 1)[0].removeprefix("device=")


def test_two_hoarders_with_fresh_emails_cannot_keep_a_shopper_from_buying(deps, stations, sku_with_keys, events, pay, order_view):
    stocked = sku_with_keys(19, max_quantity=10)
    limit_unpaid(deps, stations.main, UnpaidLimits(orders=3, keys=5))
    # One keeps its cookies, the other drops them: a fresh e-mail each time either way.
    first = post(events, stations.main, stocked.sku, 5, "h1-0@example.com", HOARDER_1)
    assert first.status == 201, first.raw
    device = device_of(first)
    refused = [post(events, stations.main, stocked.sku, 5, f"h1-{i}@example.com", HOARDER_1, device) for i in range(1, 4)]
    assert {r.status for r in refused} == {409} and {r.error["code"] for r in refused} == {"shopper_limit"}
    assert post(events, stations.main, stocked.sku, 5, "h2-0@example.com", HOARDER_2).status == 201
    refused = [post(events, stations.main, stocked.sku, 4, f"h2-{i}@example.com", HOARDER_2) for i in range(1, 4)]
    assert {r.error["code"] for r in refused} == {"shopper_limit"}
    # The shopper buys what the hoarders could not take.
    bought = post(events, stations.main, stocked.sku, 5, "shopper@example.com", SHOPPER)
    assert bought.status == 201, bought.raw
    placed = Placed(bought, stations.main, stocked.sku)
    pay(placed)
    assert order_view(placed)["status"] == "delivered"


def test_a_paid_order_frees_the_hold_for_the_next_one(deps, stations, sku_with_keys, events, pay):
    stocked = sku_with_keys(19, max_quantity=10)
    limit_unpaid(deps, stations.main, UnpaidLimits(orders=1, keys=5))
    first = post(events, stations.main, stocked.sku, 2, "buyer@example.com", SHOPPER)
    device = device_of(first)
    assert post(events, stations.main, stocked.sku, 1, "buyer@example.com", SHOPPER, device).error["code"] == "shopper_limit"
    pay(Placed(first, stations.main, stocked.sku))
    again = post(events, stations.main, stocked.sku, 1, "buyer@example.com", SHOPPER, device)
    assert again.status == 201, again.raw
    # The cookie the browser sent is the one it keeps.
    assert device_of(again) == device


def test_behind_cloudfront_shoppers_reaching_the_api_through_one_edge_do_not_share_a_hold(
        deps, stations, sku_with_keys, events, monkeypatch, request):
    # Without a viewer address the edge's own is all there is: it names every shopper behind that edge.
    monkeypatch.setenv("KAMENG_BEHIND_CLOUDFRONT", "true")
    http._edge.cache_clear()
    request.addfinalizer(http._edge.cache_clear)
    stocked = sku_with_keys(10)
    limit_unpaid(deps, stations.main, UnpaidLimits(orders=1, keys=5))
    answers = [post(events, stations.main, stocked.sku, 1, f"s{i}@example.com", "130.176.212.17") for i in range(4)]
    assert [a.status for a in answers] == [201] * 4
