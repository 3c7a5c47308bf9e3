"""A shopper's whole path over HTTP: checkout → sandbox pay page → signed webhook → keys on the order page."""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import pytest

STATION, PRODUCT, SKU = "game-zone", "qq-coin", "qq-coin-10"


def fresh_keys(n: int) -> list[str]:
    return [f"E2E-{secrets.token_hex(6).upper()}" for _ in range(n)]


def stock(shop, sku: str = SKU) -> dict:
    response = shop.get(STATION, f"/api/stock?station={STATION}")
    assert response.status_code == 200
    return response.json()["skus"][sku]


def checkout(shop, quantity: int = 1, **extra) -> dict:
    body = {"station": STATION, "sku": SKU, "quantity": quantity, "email": "player@example.com",
            "query_password": "8888", "rail": "stripe", **extra}
    response = shop.post("/api/checkout", json=body, headers={"Host": shop.host(STATION)})
    assert response.status_code == 201, response.text
    return response.json()


def pay_page(shop, placed: dict) -> str:
    """The sandbox pay page the shopper's browser reached through the pay link, and stays on."""
    if "pay_page" not in placed:
        placed["pay_page"] = shop.pay_page(placed)
    return placed["pay_page"]


def pay(shop, placed: dict, action: str = "pay", method: str = "card"):
    return shop.post(pay_page(shop, placed), data={"action": action, "method": method},
                     headers={"Host": f"localhost:{shop.port}"})


def order(shop, placed: dict) -> dict:
    order_id = placed["order_id"]
    token = placed["order_url"].split("#t=", 1)[1]
    response = shop.get(STATION, f"/api/orders/{order_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["order"]


@pytest.fixture(scope="module")
def stocked(shop, tmp_path_factory):
    keys = fresh_keys(12)
    shop.import_keys(SKU, keys, tmp_path_factory.mktemp("keys"))
    return set(keys)


@pytest.mark.parametrize("method", ["card", "alipay", "wechat_pay"])
def test_paying_on_the_sandbox_shows_the_keys_on_the_order_page(shop, stocked, method):
    placed = checkout(shop, quantity=2)
    page = shop.get(None, pay_page(shop, placed), headers={"Host": f"localhost:{shop.port}"})
    assert page.status_code == 200 and "支付成功" in page.text

    paid = pay(shop, placed, method=method)

    assert paid.status_code == 303
    assert paid.headers["Location"] == placed["order_url"].split("#")[0]
    delivered = order(shop, placed)
    assert delivered["status"] == "delivered"
    assert len(delivered["keys"]) == 2
    assert {k["code"] for k in delivered["keys"]} <= stocked


def test_the_order_page_link_points_at_the_station_that_sold(shop, stocked):
    placed = checkout(shop)
    link = urlsplit(placed["order_url"])
    assert link.netloc == shop.host(STATION) and link.path == "/order/"
    assert shop.get(STATION, "/order/").status_code == 200


def test_the_price_charged_is_the_price_on_the_stations_product_page(shop, stocked):
    placed = checkout(shop, price=1, total=1, unit_price=1)
    page = shop.get(STATION, f"/p/{PRODUCT}/").text
    yuan = f"{placed['total'] // 100}.{placed['total'] % 100:02d}"
    assert placed["total"] > 100 and yuan in page


def test_a_failed_payment_returns_the_keys_to_stock(shop, stocked):
    before = stock(shop)["available"]
    placed = checkout(shop)
    assert stock(shop)["available"] == before - 1
    pay(shop, placed, action="fail", method="alipay")
    assert order(shop, placed)["status"] == "failed"
    assert stock(shop)["available"] == before


def test_letting_the_session_expire_returns_the_keys_to_stock(shop, stocked):
    before = stock(shop)["available"]
    placed = checkout(shop)
    pay(shop, placed, action="expire")
    assert order(shop, placed)["status"] == "expired"
    assert stock(shop)["available"] == before
    assert pay(shop, placed).status_code == 200  # the closed session takes no money


def test_paying_twice_delivers_once(shop, stocked):
    placed = checkout(shop)
    assert pay(shop, placed).status_code == 303
    again = pay(shop, placed)
    # The shopper who clicks twice is sent to their order again, not told the session has ended.
    assert (again.status_code, again.headers["Location"]) == (303, placed["order_url"].split("#")[0])
    assert len(order(shop, placed)["keys"]) == 1


def test_paying_a_session_that_failed_says_it_has_ended(shop, stocked):
    placed = checkout(shop)
    assert pay(shop, placed, action="fail").status_code == 200
    again = pay(shop, placed)
    assert again.status_code == 200 and "已结束" in again.text


def test_a_form_post_without_javascript_goes_to_the_pay_page(shop, stocked):
    response = shop.post("/api/checkout", headers={"Host": shop.host(STATION)}, data={
        "station": STATION, "sku": SKU, "quantity": "1", "email": "nojs@example.com", "query_password": "abcd", "rail": "stripe"})
    assert response.status_code == 303
    step = urlsplit(response.headers["Location"])
    assert step.netloc == shop.host(STATION) and re.fullmatch(r"/api/orders/\w+/pay", step.path)
    assert shop.pay_page({"pay_url": response.headers["Location"]}).startswith("/_sandbox/pay/cs_test_")


def test_a_bad_form_post_gets_a_readable_page_not_a_crash(shop):
    response = shop.post("/api/checkout", headers={"Host": shop.host(STATION)}, data={
        "station": STATION, "sku": SKU, "quantity": "1", "email": "not-an-email", "query_password": "abcd", "rail": "stripe"})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html") and "邮箱" in response.text


def test_the_lookup_finds_the_shoppers_orders_with_their_keys(shop, stocked):
    placed = checkout(shop, email="Lookup@Example.com", query_password="lookup-pw")
    pay(shop, placed)
    found = shop.post("/api/orders/lookup", json={"email": "lookup@example.com", "query_password": "lookup-pw"})
    assert found.status_code == 200
    assert [o["id"] for o in found.json()["orders"]] == [placed["order_id"]]
    assert found.json()["orders"][0]["keys"]
    wrong = shop.post("/api/orders/lookup", json={"email": "lookup@example.com", "query_password": "guess-pw"})
    assert wrong.json()["orders"] == []


def test_selling_out_is_a_clear_answer(shop, tmp_path):
    sku = "qq-coin-30"
    shop.import_keys(sku, fresh_keys(1), tmp_path)
    available = stock(shop, sku)["available"]
    body = {"station": STATION, "sku": sku, "quantity": 1, "email": "a@example.com", "query_password": "1234", "rail": "stripe"}
    for _ in range(available):
        assert shop.post("/api/checkout", json=body).status_code == 201
    sold_out = shop.post("/api/checkout", json=body)
    assert sold_out.status_code == 409
    assert sold_out.json()["error"]["code"] == "sold_out"
    assert stock(shop, sku)["level"] == "sold_out"


def test_the_gateway_never_sees_the_order_token_and_the_browser_cookie_opens_the_order(shop, stocked):
    response = shop.post("/api/checkout", headers={"Host": shop.host(STATION)}, json={
        "station": STATION, "sku": SKU, "quantity": 1, "email": "cookie@example.com", "query_password": "8888", "rail": "stripe"})
    placed = response.json()
    token = placed["order_url"].split("#t=", 1)[1]
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"order_token={token};")
    assert f"Path=/api/orders/{placed['order_id']}" in cookie and "HttpOnly" in cookie

    paid = pay(shop, placed)
    assert token not in paid.headers["Location"]
    assert token not in placed["pay_url"]
    assert token not in shop.get(None, pay_page(shop, placed), headers={"Host": f"localhost:{shop.port}"}).text

    by_cookie = shop.get(STATION, f"/api/orders/{placed['order_id']}", headers={"Cookie": f"order_token={token}"})
    assert by_cookie.status_code == 200 and by_cookie.json()["order"]["status"] == "delivered"
    wrong = shop.get(STATION, f"/api/orders/{placed['order_id']}", headers={"Cookie": "order_token=guess"})
    assert wrong.status_code == 404


def test_a_burst_of_payments_larger_than_the_servers_thread_pool_all_deliver(shop, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    sku, shoppers = "qq-coin-50", 48  # more than the server's 32 worker threads
    shop.import_keys(sku, fresh_keys(shoppers), tmp_path)
    body = {"station": STATION, "sku": sku, "quantity": 1, "query_password": "1234", "rail": "stripe"}
    placed = [shop.post("/api/checkout", json={**body, "email": f"burst-{n}@example.com"}).json() for n in range(shoppers)]

    with ThreadPoolExecutor(shoppers) as pool:
        answers = list(pool.map(lambda p: pay(shop, p).status_code, placed))

    assert answers == [303] * shoppers
    assert all(order(shop, p)["status"] == "delivered" for p in placed)


def test_the_data_folder_and_everything_in_it_is_readable_by_the_owner_alone(shop, tmp_path):
    shop.import_keys(SKU, fresh_keys(1), tmp_path)
    placed = checkout(shop)
    assert pay(shop, placed).status_code == 303 and order(shop, placed)["status"] == "delivered"
    found = {path.relative_to(shop.data_dir).as_posix(): path.stat().st_mode & 0o777
             for path in [shop.data_dir, *shop.data_dir.rglob("*")]}
    # The store and its WAL, the sandbox's payments, the delivery mail with its order link, the keys.
    assert {"kameng.db", "kameng.db-wal", "sandbox.db", "outbox"} <= found.keys()
    assert any(name.endswith(".eml") for name in found)
    loose = {name: oct(mode) for name, mode in found.items()
             if mode != (0o700 if (shop.data_dir / name).is_dir() else 0o600)}
    assert loose == {}
