"""Shoppers in a real Chromium pay the main station on its Chinese rails: Alipay's pay page, a WeChat Pay QR
code on the shop's own page, 易支付 on a phone, and a business buyer's bank transfer with an invoice, which
the owner confirms by hand. Each rail is its sandbox under /_sandbox/<rail>/, as under `make serve`."""
from __future__ import annotations

import re
import secrets
import sqlite3

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
STATION, PRODUCT, SKU = "main", "qq-coin", "qq-coin-10"
PRICE = "¥9.90"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
IPHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3,
          "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"}
ORDER_PAGE = re.compile(r"/order/\?id=")
VALID_TAX_ID = "91350100M000100Y43"


@pytest.fixture(scope="module")
def keys(shop, tmp_path_factory):
    made = [f"RAIL-{secrets.token_hex(5).upper()}" for _ in range(6)]
    shop.import_keys(SKU, made, tmp_path_factory.mktemp("keys"))
    return made


def watched(browser, **options):
    """A browser context whose pages' script errors are collected: none may happen."""
    made = browser.new_context(**options)
    made.errors = []
    made.on("weberror", lambda error: made.errors.append(str(error.error)))
    return made


@pytest.fixture
def desktop(browser):
    made = watched(browser, **DESKTOP)
    yield made
    made.close()
    assert not made.errors, made.errors


def buy(page, shop, rail: str, label: str, email: str) -> None:
    """The product page's buy form: one card, paid on `rail` (shown as `label`); submitted by the caller."""
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    page.locator(f"input[name=sku][value='{SKU}']").check()
    page.fill("input[name=email]", email)
    page.fill("input[name=query_password]", "5678")
    choice = page.locator("fieldset.rails label.rail", has=page.locator(f"input[name=rail][value={rail}]"))
    assert label in choice.inner_text()
    choice.locator("input").check()


def read_key(page, keys: list[str]) -> str:
    """The order page polls until the order is delivered, then shows its key."""
    page.wait_for_url(ORDER_PAGE)
    first_key = page.locator(".card-key code").first
    first_key.wait_for(timeout=10_000)
    key = first_key.inner_text().strip()
    assert key in keys
    return key


def orders_of(shop, email: str) -> list[tuple[str, str]]:
    """(rail, status) of each order the shop keeps for `email`."""
    with sqlite3.connect(shop.data_dir / "kameng.db") as db:
        return db.execute("SELECT json_extract(body, '$.rail'), status FROM orders"
                          " WHERE json_extract(body, '$.email') = ?", (email,)).fetchall()


def pay_on_the_rails_page(page, shop, keys, rail: str, label: str, pay_page: str, amount: str) -> None:
    """Choose the rail, land on its own pay page showing the amount, pay there, and read the key back home."""
    email = f"{rail}-buyer@example.com"
    buy(page, shop, rail, label, email)
    page.click("#buy-submit")
    page.wait_for_url(re.compile(pay_page))
    assert amount in page.content()
    page.get_by_role("button", name="支付成功").click()
    read_key(page, keys)
    assert orders_of(shop, email) == [(rail, "delivered")]


def test_a_shopper_pays_with_alipay_on_its_pay_page_and_reads_the_key(desktop, shop, keys):
    pay_on_the_rails_page(desktop.new_page(), shop, keys, "alipay", "支付宝", r"/_sandbox/alipay/", "应付 ¥9.90")


def test_a_shopper_scans_the_wechat_qr_code_on_the_shops_pay_page_and_reads_the_key(desktop, shop, keys):
    page = desktop.new_page()
    buy(page, shop, "wechat", "微信支付", "wechat-buyer@example.com")
    page.click("#buy-submit")

    expect(page.locator("img#pay-qr")).to_be_visible()
    assert page.locator("#amount").inner_text() == PRICE
    order_id = page.locator("#order-id").inner_text()
    assert "微信" in page.content()
    # What the QR code holds on the sandbox (its code_url): the payer's phone opens it and pays.
    phone = desktop.new_page()
    phone.goto(f"{shop.base}/_sandbox/wechat/pay/{order_id}")
    assert "¥9.90" in phone.content()
    phone.get_by_role("button", name="支付成功").click()
    expect(phone.locator("body")).to_contain_text("状态：支付成功")
    expect(phone.get_by_role("button")).to_have_count(0)  # a paid trade is paid once
    phone.close()

    page.click("#order-link")
    read_key(page, keys)


def test_a_phone_pays_with_epay_through_submit_php(browser, shop, keys):
    context = watched(browser, **IPHONE)
    pay_on_the_rails_page(context.new_page(), shop, keys, "epay", "聚合支付", r"/_sandbox/epay/submit\.php", "金额：¥9.90")
    context.close()
    assert not context.errors, context.errors


def test_a_business_buyer_pays_by_bank_transfer_with_an_invoice_and_the_owner_confirms_it(desktop, shop, keys):
    page = desktop.new_page()
    buy(page, shop, "bank", "对公转账", "company@example.com")
    page.locator("details.invoice summary").click()
    page.fill("input[name=invoice_title]", "福州某某科技有限公司")
    page.fill("input[name=invoice_tax_id]", VALID_TAX_ID)
    page.click("#buy-submit")

    transfer = page.locator("#transfer")
    expect(transfer).to_be_visible()
    assert "上海云卡盟网络科技有限公司" in transfer.inner_text()
    assert "1219 0987 6543 210" in transfer.inner_text()
    reference = re.search(r"KM[0-9A-Z]+", transfer.inner_text()).group(0)
    assert page.locator("#amount").inner_text() == PRICE
    order_id = page.locator("#order-id").inner_text()

    page.click("#order-link")  # before the money arrives the order only waits for it
    expect(page.locator("#order-status")).to_have_text("等待付款")
    assert page.locator(".card-key").count() == 0

    listed = shop.kameng("transfers", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert reference in listed.stdout and VALID_TAX_ID in listed.stdout
    done = shop.kameng("transfers", "confirm", order_id, "--amount", "9.90", "--bank-ref", "CMB2026120600001")
    assert done.returncode == 0, done.stderr

    page.reload()
    read_key(page, keys)
    expect(page.locator("#order-status")).to_have_text("已发货")


def test_a_mistyped_tax_id_is_named_and_no_order_is_placed(desktop, shop, keys):
    page = desktop.new_page()
    buy(page, shop, "bank", "对公转账", "typo@example.com")
    page.locator("details.invoice summary").click()
    page.fill("input[name=invoice_title]", "福州某某科技有限公司")
    page.fill("input[name=invoice_tax_id]", VALID_TAX_ID[:-1] + "4")  # one character off: the check fails
    page.click("#buy-submit")

    expect(page.locator("#buy-error")).to_contain_text("税号")
    assert page.url.endswith(f"/p/{PRODUCT}/")
    assert orders_of(shop, "typo@example.com") == []
