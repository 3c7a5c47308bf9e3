"""A flash sale through the functions: 50 shoppers, 20 keys, real threads; nothing oversold, nothing sold twice."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

SHOPPERS = 50
KEYS = 20


@pytest.fixture
def flash_sale(stations, sku_with_keys, checkout, pay, get_order, deps):
    stocked = sku_with_keys(KEYS, max_quantity=1)
    gate = threading.Barrier(SHOPPERS)

    def shop(i: int):
        gate.wait()
        response = checkout(stations.substation, stocked.sku, 1, email=f"shopper{i}@example.com", source_ip=f"198.51.100.{i}")
        if response.status != 201:
            return response.status, response.json, None
        body = response.json
        deps.gateway.pay(deps.store.orders.order(body["order_id"]).payment_session, ("card", "alipay", "wechat_pay")[i % 3])
        seen = get_order(body["order_id"], body["order_url"].split("#t=", 1)[1])
        return response.status, body, seen.json["order"]

    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        outcomes = list(pool.map(shop, range(SHOPPERS)))
    return stocked, outcomes


def test_exactly_as_many_orders_are_delivered_as_there_were_keys(flash_sale):
    _, outcomes = flash_sale
    assert Counter(order["status"] for _, _, order in outcomes if order) == {"delivered": KEYS}


def test_every_other_shopper_is_told_it_is_sold_out(flash_sale):
    _, outcomes = flash_sale
    refused = [(status, body["error"]["code"]) for status, body, order in outcomes if order is None]
    assert refused == [(409, "sold_out")] * (SHOPPERS - KEYS)


def test_no_key_is_delivered_to_two_shoppers(flash_sale):
    stocked, outcomes = flash_sale
    codes = [k["code"] for _, _, order in outcomes if order for k in order["keys"]]
    assert len(codes) == len(set(codes)) == KEYS and set(codes) == set(stocked.codes)


def test_the_stock_equation_holds_after_the_flash_sale(flash_sale):
    stocked, _ = flash_sale
    counted = stocked.stock()
    assert (counted.available, counted.reserved, counted.sold, counted.imported) == (0, 0, KEYS, stocked.imported)
