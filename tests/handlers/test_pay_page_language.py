"""The shop's own pay page and its error page speak the station's language."""
from __future__ import annotations

import dataclasses
import re

import pytest

from kameng import wiring
from kameng.adapters.gateway_bank import BankTransferGateway
from kameng.adapters.rail_directory import RailDirectory
from kameng.domain.errors import NotFound
from kameng.handlers import pay_page
from kameng.ports.outside import PaymentSession, Show
from tests.conftest import build_api_event
from tests.handlers.conftest import Placed

CJK = re.compile(r"[\u4e00-\u9fff]")


class QrRail:
    rail, window = "wechat", None

    def create_session(self, request):
        return PaymentSession(request.order_id, f"weixin://wxpay/bizpayurl?pr={request.order_id[-8:]}", Show.QR)


@pytest.fixture
def english_station(deps, stations, sku_with_keys):
    """The substation in English, its SKU named in English as the build writes it in an English price book."""
    stocked = sku_with_keys(3, price=4800, wholesale=4500, substation_price=4950)
    book = deps.store.price_books.price_book(stations.substation)
    line = book.skus[stocked.sku].model_copy(update={"title": "Steam Wallet Card ¥50"})
    deps.store.price_books.put_price_book(book.model_copy(update={
        "language": "en", "rails": ("wechat",), "skus": {**book.skus, stocked.sku: line}}))
    wiring.use(dataclasses.replace(deps, rails=RailDirectory({"wechat": QrRail, "bank": BankTransferGateway})))
    return stocked


def test_an_english_stations_qr_pay_page_is_english_throughout(english_station, checkout, open_pay_page, stations):
    placed = Placed(checkout(stations.substation, english_station.sku), stations.substation, english_station.sku)
    page = open_pay_page(placed)
    html = page.raw["body"]
    assert page.status == 200 and '<html lang="en">' in html
    for text in ("Pay · WeChat Pay", "Amount due", "Scan with WeChat", "Steam Wallet Card ¥50", "Pay before",
                 "I have paid: view my order"):
        assert text in html
    assert not CJK.search(html), CJK.findall(html)


def test_the_error_page_speaks_english_when_asked():
    page = pay_page.error_response(NotFound("订单不存在"), english=True)
    assert page["statusCode"] == 404 and '<html lang="en">' in page["body"]
    assert "Payment could not start" in page["body"] and not CJK.search(page["body"])
    chinese = pay_page.error_response(NotFound("订单不存在"))["body"]
    assert "无法开始付款" in chinese and "订单不存在" in chinese


def test_the_error_page_follows_the_station_for_the_link_holder_and_the_browser_for_anyone_else(
        english_station, checkout, stations, deps):
    placed = Placed(checkout(stations.substation, english_station.sku), stations.substation, english_station.sku)
    proof = dict(part.split("=", 1) for part in placed.body["pay_url"].split("?", 1)[1].split("&"))["t"]
    chinese_browser = build_api_event("GET", "/api/pay/x", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert pay_page.speaks_english(placed.order_id, proof, chinese_browser, deps) is True
    # A wrong link tells nothing of the order, not even its station's language.
    assert pay_page.speaks_english(placed.order_id, "0" * 64, chinese_browser, deps) is False
    english_browser = build_api_event("GET", "/api/pay/x", headers={"accept-language": "en-GB,en;q=0.8"})
    assert pay_page.speaks_english(placed.order_id, "0" * 64, english_browser, deps) is True
