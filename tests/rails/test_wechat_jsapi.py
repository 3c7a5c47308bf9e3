"""WeChat Pay's JSAPI inside WeChat's own browser, end to end: checkout opens nothing, the pay link learns the
payer by WeChat's silent 网页授权 (the sandbox standing in, over HTTP), opens the JSAPI session and shows WeChat's
pay button; paying on the sandbox delivers through the webhook."""
from __future__ import annotations

import base64
import json
import re
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests

from kameng.domain.errors import InvalidRequest
from kameng.domain.order import OrderStatus
from kameng.handlers import orders as orders_handler
from kameng.ports.outside import PaymentSession
from kameng.services import checkout
from tests.conftest import build_api_event
from tests.rails.conftest import post_notification
from tests.rails.harness_wechat import make_world

WECHAT_BROWSER = "Mozilla/5.0 (iPhone) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI"


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    yield world
    world.close()


@pytest.fixture
def shop(world, rail_shop):
    return rail_shop(SimpleNamespace(rail="wechat", gateway=world.gateway))


def place_in_wechat(shop, stations, device: str = "wechat") -> checkout.Placed:
    deps, stocked = shop
    return checkout.place(checkout.CheckoutRequest(
        station=stations.substation, sku=stocked.sku, quantity=1, email="buyer@example.com",
        query_password="8866-qp", rail="wechat"), deps, client=checkout.Client(paying_from=device))


def open_link(url: str) -> dict:
    """GET the pay link (or WeChat's return to it) as WeChat's browser does, through the pay step's handler."""
    parts = urlsplit(url)
    order_id = parts.path.split("/")[3]
    event = build_api_event("GET", parts.path, query=dict(parse_qsl(parts.query)), path_params={"id": order_id},
                            headers={"user-agent": WECHAT_BROWSER}, route="/api/orders/{id}/pay")
    return orders_handler.open_pay_page(event, None)


def back_from_wechat(world, pay_url: str) -> str:
    """Follow the pay link to the sandbox's 网页授权 over HTTP; the URL WeChat sends the browser back to."""
    answer = open_link(pay_url)
    assert answer["statusCode"] == 303
    location = answer["headers"]["location"]
    authorized = requests.get(location.split("#", 1)[0], allow_redirects=False, timeout=10)
    assert authorized.status_code == 302
    return authorized.headers["location"]


def trades(world) -> list[tuple]:
    return world.sandbox.db.conn().execute("SELECT out_trade_no, trade_type, request FROM wechat_trades").fetchall()


def pay_params(page: str) -> dict:
    return json.loads(unescape(re.search(r'data-pay="([^"]*)"', page).group(1)))


def test_inside_wechat_checkout_opens_no_session_and_the_pay_link_goes_to_wechats_silent_authorization(
        world, shop, stations):
    deps, _ = shop
    placed = place_in_wechat(shop, stations)
    order = deps.store.orders.order(placed.order.id)
    assert not order.payment_session and order.payment_url == "oauth:"
    assert trades(world) == []
    answer = open_link(placed.pay_url)
    assert answer["statusCode"] == 303
    location = answer["headers"]["location"]
    assert location.startswith(f"{world.base_url}/connect/oauth2/authorize?") and location.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(location.split("#", 1)[0]).query)
    assert query["appid"] == [world.sandbox.keys.appid] and query["scope"] == ["snsapi_base"]
    assert query["response_type"] == ["code"] and query["redirect_uri"] == [placed.pay_url]
    assert query["state"][0] and order.id not in query["state"][0]
    assert answer["headers"]["referrer-policy"] == "no-referrer"


def test_back_from_wechat_the_jsapi_session_opens_and_the_button_carries_params_signed_by_the_merchant(
        world, shop, stations):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    deps, _ = shop
    placed = place_in_wechat(shop, stations)
    back = back_from_wechat(world, placed.pay_url)
    assert back.startswith(placed.pay_url + "&code=")
    answer = open_link(back)
    assert answer["statusCode"] == 200 and answer["headers"]["content-type"].startswith("text/html")
    order = deps.store.orders.order(placed.order.id)
    assert order.payment_session == order.id and order.payment_url.startswith("jsapi:wx")
    ((out_trade_no, trade_type, opened),) = trades(world)
    assert (out_trade_no, trade_type) == (order.id, "JSAPI")
    assert json.loads(opened)["payer"]["openid"] == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    page = answer["body"]
    params = pay_params(page)
    assert params["package"] == f"prepay_id={order.payment_url[len('jsapi:'):]}"
    assert params["appId"] == world.sandbox.keys.appid and params["signType"] == "RSA"
    merchant = serialization.load_pem_public_key(world.sandbox.keys.merchant_public_pem.encode())
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    merchant.verify(base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())
    assert '<script src="/api/pay/wechat.js"' in page and 'id="wechat-pay-message"' in page and 'id="order-link"' in page
    assert f'href="{world.base_url}/pay/{order.id}"' in page and "在沙箱中支付" in page


def test_opening_the_pay_link_again_shows_the_button_at_once_on_the_same_session(world, shop, stations):
    deps, _ = shop
    placed = place_in_wechat(shop, stations)
    back = back_from_wechat(world, placed.pay_url)
    assert open_link(back)["statusCode"] == 200
    opened = deps.store.orders.order(placed.order.id).payment_url
    again = open_link(placed.pay_url)
    assert again["statusCode"] == 200 and pay_params(again["body"])["package"] == f"prepay_id={opened[len('jsapi:'):]}"
    # WeChat sometimes comes back twice with one code: the second is shown the same page.
    assert open_link(back)["statusCode"] == 200
    assert deps.store.orders.order(placed.order.id).payment_url == opened and len(trades(world)) == 1


def test_a_state_not_made_for_the_order_is_refused_and_changes_nothing(world, shop, stations):
    deps, _ = shop
    placed = place_in_wechat(shop, stations)
    other = place_in_wechat(shop, stations)
    back = back_from_wechat(world, placed.pay_url)
    theirs = parse_qs(urlsplit(back_from_wechat(world, other.pay_url)).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    refused = open_link(f"{placed.pay_url}&code={code}&state={theirs}")
    assert refused["statusCode"] == 400 and refused["headers"]["content-type"].startswith("text/html")
    assert "微信授权" in refused["body"]
    assert deps.store.orders.order(placed.order.id).payment_url == "oauth:" and trades(world) == []
    # The code was not spent on it: the real return still opens the payment.
    assert open_link(back)["statusCode"] == 200


def test_a_code_used_already_is_refused_and_changes_nothing(world, shop, stations):
    deps, _ = shop
    placed = place_in_wechat(shop, stations)
    back = back_from_wechat(world, placed.pay_url)
    world.gateway.openid_for(parse_qs(urlsplit(back).query)["code"][0])  # spent elsewhere first
    refused = open_link(back)
    assert refused["statusCode"] == 400 and "已用过" in refused["body"]
    order = deps.store.orders.order(placed.order.id)
    assert order.payment_url == "oauth:" and not order.payment_session and trades(world) == []
    with pytest.raises(InvalidRequest):
        world.gateway.openid_for("no-such-code")
    assert world.sandbox.keys.app_secret not in repr(world.gateway)


def test_wechat_unreachable_for_the_code_says_so_and_changes_nothing(tmp_path, rail_shop, stations):
    unreachable = make_world(tmp_path, oauth_urls=("http://127.0.0.1:9", "http://127.0.0.1:9"))
    try:
        shop = rail_shop(SimpleNamespace(rail="wechat", gateway=unreachable.gateway))
        placed = place_in_wechat(shop, stations)
        answer = open_link(f"{placed.pay_url}&code=abc&state=whatever")
        assert answer["statusCode"] == 400  # the state is checked before WeChat is asked
        from kameng.services.wechat_jsapi import oauth_state
        order = shop[0].store.orders.order(placed.order.id)
        answer = open_link(f"{placed.pay_url}&code=abc&state={oauth_state(order, shop[0])}")
        assert answer["statusCode"] == 503 and "稍后" in answer["body"]
        assert shop[0].store.orders.order(placed.order.id).payment_url == "oauth:"
    finally:
        unreachable.close()


def test_without_the_app_secret_a_shopper_inside_wechat_gets_the_native_code(tmp_path, rail_shop, stations):
    no_secret = make_world(tmp_path, app_secret="")
    try:
        shop = rail_shop(SimpleNamespace(rail="wechat", gateway=no_secret.gateway))
        placed = place_in_wechat(shop, stations)
        order = shop[0].store.orders.order(placed.order.id)
        assert order.payment_session == order.id and order.payment_url.startswith("qr:")
    finally:
        no_secret.close()


def test_paying_on_the_sandbox_delivers_once_through_the_webhook(world, shop, stations):
    deps, stocked = shop
    placed = place_in_wechat(shop, stations)
    assert open_link(back_from_wechat(world, placed.pay_url))["statusCode"] == 200
    before = len(world.webhook.sent)
    assert world.pay_page(PaymentSession(placed.order.id, "")).status_code == 200
    notification = world.webhook.wait_for(before + 1)[before]
    assert world.webhook.urls[-1].endswith("/api/webhooks/wechat")
    answer = post_notification("wechat", notification)
    assert answer["statusCode"] == 204, answer
    delivered = deps.store.orders.order(placed.order.id)
    assert delivered.status is OrderStatus.DELIVERED and len(delivered.key_ids) == 1
    assert post_notification("wechat", notification)["statusCode"] == 204
    assert stocked.stock().sold == 1
    # Paid: the pay link now opens the order page.
    assert open_link(placed.pay_url)["statusCode"] == 303
