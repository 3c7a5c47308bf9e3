"""A bank refund paid back, in a real Chromium: a transfer of the wrong amount is refunded by hand, the owner
records their transfer back with the keyboard alone, and the refund moves from 待退回 to 已退回; the page
passes axe with both lists filled."""
from __future__ import annotations

import secrets

import pytest

from kameng.domain.bank_transfer import transfer_reference
from tests.browser.test_accessibility import violations
from tests.browser.test_console_pages import signed_in
from tests.browser.test_console_transfers import SKU, STATION, bank_order

pytestmark = pytest.mark.browser
OWNER = "refund-paid-owner@example.com"


@pytest.fixture(scope="module")
def owner(shop, tmp_path_factory):
    added = shop.kameng("owners", "add", OWNER, "--role", "station_owner", "--station", STATION)
    assert added.returncode == 0, added.stderr
    shop.import_keys(SKU, [f"REFUND-{secrets.token_hex(5).upper()}" for _ in range(2)], tmp_path_factory.mktemp("keys"))
    return OWNER


def test_the_owner_records_a_bank_refund_paid_back_and_it_moves_to_the_paid_list(browser, shop, owner, tmp_path):
    placed = bank_order(shop, "company-refund@example.com")
    order_id = placed["order_id"]
    context, page, errors = signed_in(browser, shop, owner)
    page.click("#nav a[href='#/transfers']")
    page.wait_for_selector("#transfers-awaiting table")
    statement = tmp_path / "short.csv"
    statement.write_bytes(("交易日期,贷方金额,附言,交易流水号\n"
                           f"2026-12-06,5.00,{transfer_reference(order_id)},CMB2026120609001\n").encode("gbk"))
    page.set_input_files("#transfers-import input[type=file]", str(statement))
    page.click("#transfers-import button[type=submit]")
    owed = page.locator("#transfers-refunds tr", has=page.locator(f"a[href='#/orders/{order_id}']"))
    owed.wait_for()
    assert "¥5.00" in owed.inner_text()
    assert not violations(page)

    # The keyboard alone: the labelled reference field, then Enter submits the row's form.
    reference = owed.get_by_label(f"订单 {order_id} 退款转账的银行流水号")
    reference.focus()
    page.keyboard.press("Enter")  # nothing typed: refused before anything is sent
    page.wait_for_selector("#status[data-kind=error]:has-text('流水号')")
    page.keyboard.type("ICBC-OUT-<b>42</b>")
    page.keyboard.press("Tab")
    page.keyboard.type("已电话告知买家")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#status[data-kind=ok]:has-text('{order_id}')")

    paid = page.locator("#transfers-refunds-paid tr", has=page.locator(f"a[href='#/orders/{order_id}']"))
    shown = paid.inner_text()
    assert "ICBC-OUT-<b>42</b>" in shown and "已电话告知买家" in shown and OWNER in shown
    assert paid.locator("b").count() == 0  # the reference is text, never markup
    assert owed.count() == 0
    assert not violations(page)
    assert not errors, errors
    context.close()
