"""Checkout on the rail the shopper chose, and the shop's own pay page for QR codes and bank transfers."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from kameng import wiring
from kameng.adapters.gateway_bank import BankTransferGateway
from kameng.adapters.rail_directory import RailDirectory
from kameng.domain.price_book import BankAccount
from kameng.ports.outside import PaymentSession, Show
from tests.conftest import build_api_event
from tests.handlers.conftest import Placed

BANK = BankAccount(bank="招商银行", branch="上海分行", account_name="上海云卡盟网络科技有限公司",
                   account_no="1219 0987 6543 210", days=3)


@pytest.fixture
def bank_shop(deps, clock, sku_with_keys, stations):
    stocked = sku_with_keys(3, price=4800, wholesale=4500, substation_price=4950)
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={"rails": ("bank", "stripe"), "bank": BANK}))
    chosen = dataclasses.replace(deps, rails=RailDirectory({"bank": BankTransferGateway}))
    wiring.use(chosen)
    return chosen, stocked


def buy(checkout, stations, stocked, **fields) -> Placed:
    return Placed(checkout(stations.substation, stocked.sku, **fields), stations.substation, stocked.sku)


def test_checkout_refuses_a_rail_the_station_does_not_offer_and_holds_nothing(bank_shop, checkout, stations):
    deps, stocked = bank_shop
    answer = checkout(stations.substation, stocked.sku, rail="alipay")
    assert (answer.status, answer.error["code"]) == (400, "rail_not_offered")
    assert "对公转账" in answer.error["message"]  # it names what the station does take
    assert stocked.stock().available == 3


def test_a_mistyped_tax_number_is_refused_naming_the_field(bank_shop, checkout, stations):
    deps, stocked = bank_shop
    answer = checkout(stations.substation, stocked.sku, rail="bank", invoice_title="厦门某某科技有限公司",
                      invoice_tax_id="91350100M000100Y44")
    assert answer.status == 400 and "invoice.tax_id" in json.dumps(answer.error, ensure_ascii=False)
    assert stocked.stock().available == 3


def test_a_bank_transfer_waits_the_stations_days_with_its_reference_and_invoice(bank_shop, checkout, open_pay_page,
                                                                                  stations, clock):
    deps, stocked = bank_shop
    placed = buy(checkout, stations, stocked, rail="bank", invoice_title="厦门某某科技有限公司",
                 invoice_tax_id="91350100M000100Y43")
    assert placed.response.status == 201
    order = deps.store.orders.order(placed.order_id)
    assert (order.rail, dict(order.invoice)) == ("bank", {"title": "厦门某某科技有限公司", "tax_id": "91350100M000100Y43"})
    page = open_pay_page(placed)
    assert page.status == 200
    html = page.raw["body"]
    for shown in (BANK.account_name, BANK.account_no, order.payment_session, "¥49.50"):
        assert shown in html
    # Opening the transfer page holds the key for the station's days, not the usual minutes.
    held = deps.store.orders.order(order.id)
    assert held.expires_at == order.created_at + timedelta(days=3)
    assert stocked.stock().reserved == 1


class QrRail:
    """A rail whose pay step is a code to scan (WeChat Pay's Native, Alipay's 当面付)."""

    rail, window = "wechat", None

    def create_session(self, request):
        return PaymentSession(request.order_id, f"weixin://wxpay/bizpayurl?pr={request.order_id[-8:]}", Show.QR)


def test_the_pay_page_of_a_qr_rail_shows_the_code_to_scan_and_the_order(deps, checkout, open_pay_page, stations,
                                                                          sku_with_keys):
    stocked = sku_with_keys(3, price=4800, wholesale=4500, substation_price=4950)
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={"rails": ("wechat",)}))
    wiring.use(dataclasses.replace(deps, rails=RailDirectory({"wechat": QrRail})))
    placed = buy(checkout, stations, stocked)
    page = open_pay_page(placed)
    html = page.raw["body"]
    assert page.status == 200 and page.raw["headers"]["referrer-policy"] == "no-referrer"
    assert 'id="pay-qr" src="data:image/svg+xml' in html and "打开微信扫一扫" in html
    assert placed.order_id in html and "¥49.50" in html


def test_a_wrong_pay_link_shows_nothing_of_the_order(bank_shop, checkout, open_pay_page, stations):
    deps, stocked = bank_shop
    placed = buy(checkout, stations, stocked, rail="bank")
    page = open_pay_page(placed, proof="0" * 64)
    assert page.status == 404 and BANK.account_no not in page.raw.get("body", "")


def test_a_notification_for_a_rail_this_deployment_does_not_take_is_refused(deps):
    from kameng.handlers import webhook

    event = build_api_event("POST", "/api/webhooks/paypal", body="{}", path_params={"rail": "paypal"},
                            route="/api/webhooks/{rail}")
    answer = webhook.handler(event, None)
    assert answer["statusCode"] == 400 and "rail_not_offered" in answer["body"]



def test_an_empty_coupon_box_beside_an_empty_invoice_is_no_coupon_at_all(bank_shop, checkout, stations):
    # The no-JavaScript form posts every box, the empty ones too.
    deps, stocked = bank_shop
    placed = buy(checkout, stations, stocked, coupon="", rail="", invoice_title="", invoice_tax_id="")
    assert placed.response.status == 201
    order = deps.store.orders.order(placed.order_id)
    assert (order.coupon, order.rail, order.invoice) == (None, "bank", ())
