"""The console's pages in a real Chromium: a station owner refunds an order, answers a ticket and publishes an
edited landing page; staff are refused a refund."""
from __future__ import annotations

import secrets
import shutil
import time
from urllib.parse import urlsplit

import pyotp
import pytest

from tests.browser.test_console import ask_for_link, console_link, opened
from tests.support.local_shop import REPO, served_shop

pytestmark = pytest.mark.browser
STATION = "game-zone"
SKU = "qq-coin-10"
OWNER = "pages-owner@example.com"
STAFF = "pages-staff@example.com"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A shop whose content the console publishes into a copy, never into the repository's content/."""
    tmp = tmp_path_factory.mktemp("console-pages")
    shutil.copytree(REPO / "content", tmp / "content", ignore=shutil.ignore_patterns(".*"))
    with served_shop(tmp, {"KAMENG_CONTENT_DIR": str(tmp / "content"), "KAMENG_SITE_DIR": str(tmp / "site")}) as running:
        for email, role in ((OWNER, "station_owner"), (STAFF, "staff")):
            added = running.kameng("owners", "add", email, "--role", role, "--station", STATION)
            assert added.returncode == 0, added.stderr
        running.import_keys(SKU, [f"PAGES-{secrets.token_hex(5).upper()}" for _ in range(4)], tmp)
        yield running


def delivered(shop, email: str) -> dict:
    placed = shop.post("/api/checkout", json={"station": STATION, "sku": SKU, "quantity": 1, "email": email,
                                              "query_password": "4321", "rail": "stripe"}).json()
    assert shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"}).status_code == 303
    return placed


def reported(browser, shop, placed: dict, details: str) -> None:
    """The shopper presses 报告问题 beside the key on the order page (its link carries the order's token)."""
    token = urlsplit(placed["order_url"]).fragment
    context, page, errors = opened(browser)
    page.goto(f"http://{shop.host(STATION)}/order/?id={placed['order_id']}#{token}")
    key = page.locator("#order-keys .card-key").first
    key.locator("button.report").click()
    assert page.locator("#ticket-key").input_value() == key.get_attribute("data-key-id")
    page.select_option("#ticket-form select[name=reason]", "key_invalid")
    page.fill("#ticket-form textarea[name=details]", details)
    page.click("#ticket-form button[type=submit]")
    page.wait_for_selector("#ticket-message:has-text('已提交')")
    # The reported key has its ticket now: no second report button beside it.
    assert page.locator("#ticket-list .ticket").count() == 1 and key.locator("button.report").count() == 0
    assert not errors, errors
    context.close()


# Each account's authenticator secret, from its first sign-in, and the codes it has used (each works once).
AUTHENTICATORS: dict[str, str] = {}
USED: set[tuple[str, str]] = set()


def fresh_code(email: str) -> str:
    """A code of the window now or the next one (both accepted), never one this account used already."""
    totp = pyotp.TOTP(AUTHENTICATORS[email])
    code = next((c for c in (totp.now(), totp.at(time.time() + 30)) if (email, c) not in USED), None)
    if code is None:
        time.sleep(30 - time.time() % 30 + 0.5)
        return fresh_code(email)
    USED.add((email, code))
    return code


def signed_in(browser, shop, email: str):
    context, page, errors = opened(browser)
    page.on("dialog", lambda dialog: dialog.accept())
    ask_for_link(page, shop, email)
    page.goto(console_link(shop, email))
    page.wait_for_selector("#totp:not([hidden])")
    if email not in AUTHENTICATORS:
        page.wait_for_function("() => document.getElementById('totp-secret').textContent.trim().length > 0")
        AUTHENTICATORS[email] = page.locator("#totp-secret").inner_text().strip()
    page.fill("#totp-code", fresh_code(email))
    page.click("#totp-submit")
    page.wait_for_selector("#app:not([hidden])")
    return context, page, errors


def test_a_station_owner_refunds_an_order_answers_a_ticket_and_publishes_the_landing_page(browser, shop):
    refunded = delivered(shop, "refund-me@example.com")
    troubled = delivered(shop, "troubled@example.com")
    reported(browser, shop, troubled, "提示卡密无效")
    context, page, errors = signed_in(browser, shop, OWNER)

    page.wait_for_selector("#view .period[data-period='30']")
    assert page.locator("#nav a").all_inner_texts() == ["数据概览", "订单", "售后", "库存", "资金", "对公转账", "内容", "审计日志"]

    page.click("#nav a[href='#/orders']")
    page.click(f"#order-results a[href='#/orders/{refunded['order_id']}']")
    page.click("button:has-text('全部退款')")
    page.wait_for_selector("#status[data-kind=ok]:has-text('已退款')")
    page.wait_for_selector("#view .facts dd:text-is('已退款')")

    page.click("#nav a[href='#/after_sales']")
    row = page.locator("#ticket-results tr", has_text=troubled["order_id"])
    assert "分钟" in row.inner_text() and "待处理" in row.inner_text()
    row.locator("a").click()
    page.wait_for_selector("#view h2:has-text('售后工单')")
    assert "提示卡密无效" in page.locator("#view").inner_text()
    assert "t***d@example.com" in page.locator("#view .facts").inner_text()
    page.fill("#ticket-message", "已核实，请稍候再试一次")
    page.click("#ticket-answer button[data-action=reply]")
    page.wait_for_selector("#status[data-kind=ok]:has-text('已回复买家')")
    page.wait_for_selector(".thread li.owner:has-text('已核实，请稍候再试一次')")
    assert page.locator("#view .facts").inner_text().count("已回复") == 1

    edited = f"控制台发布 {secrets.token_hex(3)}"
    page.click("#nav a[href='#/content']")
    page.click("#content-files [data-path='landing.md']")
    page.wait_for_function("() => document.getElementById('content-text').value.length > 0")
    page.locator("#content-text").press("Control+End")
    page.locator("#content-text").type(f"\n\n{edited}\n")
    page.click("#content-check")
    page.wait_for_selector("#content-preview")
    assert page.locator("#content-preview").get_attribute("sandbox") == ""
    assert edited in page.locator("#content-preview").get_attribute("srcdoc")
    assert page.frame_locator("#content-preview").locator("body").inner_text().count(edited) == 1
    page.click("#content-publish")
    page.wait_for_selector("#content-published:has-text('landing.md')")
    assert edited in shop.get(STATION, "/").text
    assert not errors, errors
    context.close()


def test_a_bad_station_file_shows_the_builds_messages_and_publishes_nothing(browser, shop):
    context, page, errors = signed_in(browser, shop, OWNER)
    page.click("#nav a[href='#/content']")
    page.click("#content-files [data-path='station.yaml']")
    page.wait_for_function("() => document.getElementById('content-text').value.length > 0")
    page.fill("#content-text", "name: [unclosed\n")
    page.click("#content-check")
    page.wait_for_selector("#content-messages li")
    assert "content/game-zone/station.yaml" in page.locator("#content-messages").inner_text()
    page.click("#content-publish")
    page.wait_for_selector("#status[data-kind=error]:has-text('未发布')")
    assert "name: [unclosed" not in (shop.data_dir.parent / "content" / STATION / "station.yaml").read_text("utf-8")
    assert not errors, errors
    context.close()


def test_staff_see_no_refund_and_a_forced_refund_is_refused_with_the_apis_answer(browser, shop):
    placed = delivered(shop, "staff-view@example.com")
    reported(browser, shop, placed, "staff 看到的工单")
    context, page, errors = signed_in(browser, shop, STAFF)
    assert page.locator("#nav a").all_inner_texts() == ["订单", "售后"]

    page.click("#nav a[href='#/after_sales']")
    page.locator("#ticket-results tr", has_text=placed["order_id"]).locator("a").click()
    page.wait_for_selector("#ticket-answer")
    assert page.locator("#ticket-answer button[data-action=refund]").count() == 0
    assert page.locator("#ticket-answer button[data-action=reply]").is_visible()

    page.goto(f"http://console.localhost:{shop.port}/#/orders/{placed['order_id']}")
    page.wait_for_selector("#view h2:has-text('订单 ')")
    assert page.locator("button:has-text('退款')").count() == 0
    refused = page.evaluate("""(id) => window.kamengConsole.api("POST", `/api/owner/orders/${id}/refund`, {})
        .then(() => 200, (error) => { window.kamengConsole.status(error.message, "error"); return error.status; })""",
                            placed["order_id"])
    assert refused == 403
    assert page.locator("#status[data-kind=error]").inner_text() == "此账号没有权限执行这个操作"
    page.reload()
    page.wait_for_selector("#view .facts")
    assert "已发货" in page.locator("#view .facts").inner_text()  # nothing was refunded
    assert not errors, errors
    context.close()


MAIN_OWNER = "pages-main@example.com"
PLATFORM_OWNER = "pages-platform@example.com"
SECOND_OWNER = "pages-second@example.com"


def test_the_main_stations_owner_imports_a_hundred_thousand_keys_by_upload_and_voids_one(browser, shop, tmp_path):
    added = shop.kameng("owners", "add", MAIN_OWNER, "--role", "station_owner", "--station", "main")
    assert added.returncode == 0, added.stderr
    keys = [f"BULK{secrets.token_hex(8).upper()}" for _ in range(100_000)]
    (tmp_path / "keys.txt").write_text("\n".join(keys) + "\nTWO WORDS\n")
    context, page, errors = signed_in(browser, shop, MAIN_OWNER)
    page.click("#nav a[href='#/stock']")
    row = page.locator(f"#stock-counts tr:has(td:first-child:text-is('{SKU}'))")
    before = int(row.locator("td").nth(2).inner_text().replace(",", ""))

    page.select_option("#import-sku", SKU)
    page.set_input_files("#stock-import input[type=file]", str(tmp_path / "keys.txt"))
    page.click("#stock-import button[type=submit]")
    page.wait_for_selector("#import-report", timeout=60_000)
    assert page.locator("#import-report [data-count='新增']").inner_text() == "100,000"
    assert page.locator("#import-report [data-count='无效行']").inner_text() == "1"
    assert page.locator("#import-report .problems li").inner_text().startswith("第 100001 行")
    assert int(row.locator("td").nth(2).inner_text().replace(",", "")) == before + 100_000

    page.select_option("#void-sku", SKU)
    page.fill("#stock-void textarea", f"{keys[0]}\nNOT-A-KEY-OF-THIS-SKU")
    page.click("#stock-void button[type=submit]")
    page.wait_for_selector("#status[data-kind=ok]:has-text('已作废 1 张卡密')")
    assert "此 SKU 没有这张卡密" in page.locator("#stock-void .problems").inner_text()
    assert int(row.locator("td").nth(5).inner_text().replace(",", "")) >= 1

    page.select_option("#threshold-sku", SKU)
    page.fill("#stock-threshold input[name=low_stock]", str(before + 200_000))
    page.click("#stock-threshold button[type=submit]")
    page.wait_for_selector("#status[data-kind=ok]:has-text('阈值已保存')")
    assert row.locator(".low").inner_text() == "库存不足"
    assert not errors, errors
    context.close()


def test_a_substations_owner_imports_only_its_own_goods_and_the_platform_owner_verifies_the_audit_chain(
    browser, shop
):
    added = shop.kameng("owners", "add", SECOND_OWNER, "--role", "station_owner", "--station", STATION)
    assert added.returncode == 0, added.stderr
    context, page, errors = signed_in(browser, shop, SECOND_OWNER)
    page.click("#nav a[href='#/stock']")
    page.wait_for_selector("#stock-counts table")
    # game-zone's own coach pass (content/game-zone/products/): its keys are the station's to import and void;
    # the main station's goods it resells are not.
    offered = page.locator("#stock-import select option").all_inner_texts()
    assert offered and all(text.startswith("gz-") for text in offered), offered
    page.click("#nav a[href='#/audit']")
    page.wait_for_selector("#audit-entries table")
    # Adding this owner from the CLI is the station's own entry, whichever tests ran before on this server.
    logged = page.locator("#audit-entries").inner_text()
    assert "owner.add" in logged and SECOND_OWNER in logged
    assert page.locator("#audit-verify").count() == 0
    context.close()

    added = shop.kameng("owners", "add", PLATFORM_OWNER, "--role", "platform_owner")
    assert added.returncode == 0, added.stderr
    context, page, errors = signed_in(browser, shop, PLATFORM_OWNER)
    page.click("#nav a[href='#/audit']")
    page.wait_for_selector("#audit-entries table")
    assert page.locator("#audit-entries a.csv").get_attribute("href") == "/api/owner/platform/audit?format=csv"
    page.click("#audit-verify")
    page.wait_for_selector("#audit-verified.notice:has-text('哈希链完整')")

    page.select_option("#station", STATION)
    page.click("#nav a[href='#/money']")
    page.wait_for_selector("#money-payouts .facts")
    page.wait_for_selector("#money-statement figure.table")
    page.fill("#coupon-give input[name=email]", "troubled@example.com")
    page.fill("#coupon-give input[name=amount]", "5.50")
    page.fill("#coupon-give input[name=reason]", "售后补偿")
    page.click("#coupon-give button[type=submit]")
    page.wait_for_selector("#status[data-kind=ok]:has-text('已向 t***d@example.com 发放优惠券')")
    assert "¥5.50" in page.locator("#money-coupons table").inner_text()
    assert not errors, errors
    context.close()


def test_a_station_owner_delivers_a_manual_order_by_hand_and_its_buyer_reads_the_message_as_text(browser, shop):
    placed = shop.post("/api/checkout", json={
        "station": STATION, "sku": "manual-topup-68", "quantity": 1, "email": "manual@example.com",
        "query_password": "4321", "rail": "stripe", "fields": {"account": "102938475", "server": "官服"}}).json()
    assert shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"}).status_code == 303

    context, page, errors = signed_in(browser, shop, OWNER)
    page.goto(f"http://console.localhost:{shop.port}/#/orders/{placed['order_id']}")
    page.wait_for_selector("#deliver-form textarea")
    assert "待发货" in page.locator("#view .facts").inner_text()
    # Owner-typed text is the goods: markup in it must reach the buyer as text, never as HTML.
    page.fill("#deliver-form textarea", "已代充 68 元档 <b>请查收</b>")
    page.click("#deliver-form button[type=submit]")
    page.wait_for_selector("#status[data-kind=ok]:has-text('已发货')")
    assert page.locator("#deliver-form").count() == 0
    assert not errors, errors
    context.close()

    buyer = browser.new_context()
    order_page = buyer.new_page()
    order_page.goto(placed["order_url"].replace(f"://{urlsplit(placed['order_url']).netloc}", f"://{shop.host(STATION)}"))
    order_page.wait_for_selector("#order-message-box:not([hidden])")
    assert order_page.locator("#order-message").inner_text() == "已代充 68 元档 <b>请查收</b>"
    assert order_page.locator("#order-message b").count() == 0
    assert order_page.locator("#order-status").inner_text() == "已发货"
    buyer.close()
