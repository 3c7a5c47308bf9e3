"""The console's bank transfers (对公转账) in a real Chromium: the main station's owner sees a business buyer's
order waiting with its payment reference, confirms it with the bank's 流水号 and the order is delivered; a GBK
statement imported pays a second order; staff do not see the page."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pytest

from kameng.domain.bank_transfer import transfer_reference
from tests.browser.test_console_pages import signed_in

pytestmark = pytest.mark.browser
STATION, SKU = "main", "qq-coin-10"
OWNER = "transfers-owner@example.com"
STAFF = "transfers-staff@example.com"
INVOICE_TITLE = "福州某某科技有限公司"
TAX_ID = "91350100M000100Y43"


@pytest.fixture(scope="module")
def accounts(shop, tmp_path_factory):
    for email, role in ((OWNER, "station_owner"), (STAFF, "staff")):
        added = shop.kameng("owners", "add", email, "--role", role, "--station", STATION)
        assert added.returncode == 0, added.stderr
    shop.import_keys(SKU, [f"BANK-{secrets.token_hex(5).upper()}" for _ in range(3)], tmp_path_factory.mktemp("keys"))


def bank_order(shop, email: str) -> dict:
    """A business buyer's order on the bank rail, with its pay step opened (the keys held for the whole wait)."""
    answer = shop.post("/api/checkout", json={"station": STATION, "sku": SKU, "quantity": 1, "email": email,
                                              "query_password": "4321", "rail": "bank",
                                              "invoice_title": INVOICE_TITLE, "invoice_tax_id": TAX_ID})
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    link = urlsplit(placed["pay_url"])
    step = shop.get(None, f"{link.path}?{link.query}", headers={"Host": link.netloc})
    assert step.status_code < 400, step.text
    return placed


def awaiting_row(page, order_id: str):
    return page.locator("#transfers-awaiting tr", has=page.locator(f"a[href='#/orders/{order_id}']"))


def test_the_owner_confirms_one_transfer_by_hand_and_imports_a_gbk_statement_for_another(browser, shop, accounts,
                                                                                         tmp_path):
    first, second = bank_order(shop, "company-a@example.com"), bank_order(shop, "company-b@example.com")
    context, page, errors = signed_in(browser, shop, OWNER)
    page.click("#nav a[href='#/transfers']")
    page.wait_for_selector("#transfers-awaiting table")
    assert page.locator("#view h2").inner_text() == f"对公转账 · {STATION}"

    row = awaiting_row(page, first["order_id"])
    shown = row.inner_text()
    assert transfer_reference(first["order_id"]) in shown
    assert INVOICE_TITLE in shown and TAX_ID in shown and "¥9.90" in shown
    assert row.locator("input[name=amount]").input_value() == "9.90"
    row.locator("button[type=submit]").click()  # no 流水号: refused before anything is sent
    page.wait_for_selector("#status[data-kind=error]:has-text('流水号')")
    assert row.count() == 1

    row.locator("input[name=bank_ref]").fill("CMB2026120600777")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(f"#status[data-kind=ok]:has-text('{first['order_id']}')")
    assert "已发货" in page.locator("#status").inner_text()
    assert awaiting_row(page, first["order_id"]).count() == 0  # the table was refreshed

    reference = transfer_reference(second["order_id"])
    statement = tmp_path / "流水.csv"
    statement.write_bytes(("交易日期,贷方金额,对方户名,附言,交易流水号\n"
                           f"2026-12-06,9.90,{INVOICE_TITLE},货款 {reference.lower()},CMB2026120600888\n"
                           "2026-12-06,50.00,某某个人,货款,CMB2026120600889\n").encode("gbk"))
    page.set_input_files("#transfers-import input[type=file]", str(statement))
    page.click("#transfers-import button[type=submit]")
    page.wait_for_selector("#transfers-report")
    assert page.locator("#transfers-report [data-count='已入账']").inner_text() == "1"
    applied = page.locator("#transfers-report .applied li").inner_text()
    assert second["order_id"] in applied and "CMB2026120600888" in applied and "已发货" in applied
    for_person = page.locator("#transfers-report .for-person li").inner_text()
    assert for_person.startswith("第 3 行") and "附言里没有付款码" in for_person
    assert awaiting_row(page, second["order_id"]).count() == 0

    # The same statement again applies nothing twice.
    page.set_input_files("#transfers-import input[type=file]", str(statement))
    page.click("#transfers-import button[type=submit]")
    page.wait_for_selector("#transfers-report [data-count='此前已入账']:text-is('1')")
    assert page.locator("#transfers-report [data-count='已入账']").inner_text() == "0"

    page.click(f"#transfers-report .already a[href='#/orders/{second['order_id']}']")
    page.wait_for_selector("#view .facts")
    assert "已发货" in page.locator("#view .facts").inner_text()
    assert not errors, errors
    context.close()


def test_staff_do_not_see_the_bank_transfers_page(browser, shop, accounts):
    context, page, errors = signed_in(browser, shop, STAFF)
    assert page.locator("#nav a").all_inner_texts() == ["订单", "售后"]
    page.goto(f"http://console.localhost:{shop.port}/#/transfers")
    page.wait_for_selector("#nav a[aria-current=page]")
    assert page.locator("#transfers-awaiting").count() == 0
    assert page.locator("#nav a[aria-current=page]").inner_text() == "订单"
    assert not errors, errors
    context.close()
