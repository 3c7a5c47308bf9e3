"""A browser without JavaScript reads its order and its keys as a page; API clients keep their JSON."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from kameng.handlers import order_html, orders as orders_handler
from kameng.http import ORDER_COOKIE

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def delivered(stations, sku_with_keys, place, pay):
    placed = place(stations.substation, sku_with_keys(2).sku, email="nojs@example.com", query_password="nojs-pw")
    pay(placed)
    return placed


def browse(api_event, order_id, token=None, accept=BROWSER, query=None, referer=None):
    headers = {"accept": accept} if accept is not None else {}
    if referer is not None:
        headers["referer"] = referer
    event = api_event("GET", f"/api/orders/{order_id}", headers=headers, query=query,
                      path_params={"id": order_id}, route="/api/orders/{id}")
    if accept is None:
        event["headers"].pop("accept", None)
    if token is not None:
        event["cookies"] = [f"{ORDER_COOKIE}={token}"]
    return orders_handler.get_order(event, None)


def post_lookup(api_event, fields, accept=BROWSER):
    event = api_event("POST", "/api/orders/lookup", body=urlencode(fields),
                      headers={"content-type": "application/x-www-form-urlencoded", "accept": accept})
    return orders_handler.lookup_orders(event, None)


def html(response) -> str:
    assert response["headers"]["content-type"].startswith("text/html"), response
    assert "<script" not in response["body"] and "style=" not in response["body"]
    return response["body"]


def test_a_browser_with_the_order_cookie_reads_the_keys_as_a_page(delivered, api_event, order_view):
    response = browse(api_event, delivered.order_id, delivered.token)
    key = order_view(delivered)["keys"][0]["code"]
    assert response["statusCode"] == 200
    page = html(response)
    assert key in page and delivered.order_id in page and "已发货" in page
    # Placed by the station's clock (Asia/Shanghai unless it says otherwise), as the order page's script shows it.
    created = datetime.fromisoformat(order_view(delivered)["created_at"].replace("Z", "+00:00"))
    shown = created.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f'">{shown}</time>' in page


def test_the_english_page_names_the_status_in_english():
    page = order_html.orders_page([{"id": "O1", "title": "Steam Wallet Card ¥50", "quantity": 1, "status": "needs_review",
                                    "created_at": "2026-12-06T06:00:00Z"}], True, "Europe/London")["body"]
    assert "Under review" in page and "needs_review" not in page and ">2026-12-06 06:00</time>" in page


@pytest.mark.parametrize("accept", ["application/json", None, "*/*"])
def test_an_api_client_still_gets_json(delivered, api_event, accept):
    response = browse(api_event, delivered.order_id, delivered.token, accept=accept)
    assert response["headers"]["content-type"].startswith("application/json")
    assert response["statusCode"] == 200 and '"keys"' in response["body"]


def test_a_browser_without_the_cookie_gets_a_not_found_page_with_no_key(delivered, api_event, order_view):
    response = browse(api_event, delivered.order_id, "not-the-token")
    page = html(response)
    assert response["statusCode"] == 404 and "订单不存在" in page
    assert order_view(delivered)["keys"][0]["code"] not in page


def test_the_order_pages_form_sends_the_browser_on_to_its_order_by_the_referer(delivered, api_event):
    response = browse(api_event, "view", query={"id": ""},
                      referer=f"https://game-zone.shop.example/order/?id={delivered.order_id}")
    assert (response["statusCode"], response["headers"]["location"]) == (303, f"/api/orders/{delivered.order_id}")


def test_an_order_number_typed_in_the_form_wins_over_the_referer(delivered, api_event):
    response = browse(api_event, "view", query={"id": delivered.order_id},
                      referer="https://game-zone.shop.example/order/?id=01JNM8Z4Y6T3K2Q9W7E5R1V0XB")
    assert response["headers"]["location"] == f"/api/orders/{delivered.order_id}"


def test_the_form_with_no_order_number_anywhere_answers_a_not_found_page(api_event):
    response = browse(api_event, "view", query={"id": ""}, referer="https://game-zone.shop.example/order/")
    assert response["statusCode"] == 404 and "订单不存在" in html(response)


def test_the_form_sends_nowhere_but_an_order_of_this_api(api_event):
    response = browse(api_event, "view", query={"id": "../../account"})
    assert response["statusCode"] == 404 and "location" not in response["headers"]


def test_the_lookup_form_posted_without_javascript_answers_a_page_with_the_keys(delivered, api_event, order_view):
    response = post_lookup(api_event, {"email": "nojs@example.com", "query_password": "nojs-pw"})
    page = html(response)
    assert response["statusCode"] == 200
    assert delivered.order_id in page and order_view(delivered)["keys"][0]["code"] in page


def test_the_lookup_form_with_a_wrong_password_shows_no_order(delivered, api_event, order_view):
    response = post_lookup(api_event, {"email": "nojs@example.com", "query_password": "wrong-pw"})
    page = html(response)
    assert response["statusCode"] == 200 and "没有找到订单" in page
    assert delivered.order_id not in page and order_view(delivered)["keys"][0]["code"] not in page


def test_a_bad_lookup_form_answers_an_error_page_with_its_status(api_event):
    response = post_lookup(api_event, {"email": "not-an-email", "query_password": "x"})
    assert response["statusCode"] == 400 and 'id="error-message"' in html(response)


def test_the_lookup_in_json_is_unchanged(delivered, lookup):
    response = lookup("nojs@example.com", "nojs-pw")
    assert response.status == 200 and response.json["orders"][0]["id"] == delivered.order_id
