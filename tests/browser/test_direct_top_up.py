"""A shopper in a real Chromium tops up a phone: a wrong number is shown by its field, then the right one is
paid on the sandbox and the order page shows the masked number and the supplier's receipt."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time

import pytest
import requests

from tests.support.local_shop import REPO, Shop, free_port

pytestmark = pytest.mark.browser

CONTENT = {
    "main/station.yaml": """
        kind: main
        name: 话费小铺
        domain: topup.example.com
        language: zh-CN
        currency: CNY
        categories:
          - {id: top-up, name: 话费充值}
        """,
    "main/products/topup.md": """
        ---
        title: 移动话费直充
        category: top-up
        fulfilment: direct
        fields:
          - name: phone
            label: {zh-CN: 手机号码, en: Phone number}
            pattern: '1[3-9]\\d{9}'
            example: "13800138000"
        skus:
          - id: cmcc-direct-50
            name: 50 元
            face_value: 50
            wholesale: 49.50
            retail: 50.00
            supply:
              - {supplier: sim-a, product: CMCC50, cost: 49.00}
        ---
        充值到你填写的手机号。
        """,
    "suppliers/sim-a.yaml": """
        kind: simulator
        title: 模拟货源 A
        balance: 100000.00
        products:
          - {code: CMCC50, title: 移动话费 50 元, cost: 49.00, kind: direct, fields: [phone]}
        """,
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A shop of its own content: one direct top-up bought from an in-process simulated supplier."""
    tmp = tmp_path_factory.mktemp("top-up-shop")
    for relative, text in CONTENT.items():
        path = tmp / "content" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith("KAMENG_")}
    env["KAMENG_DATA_DIR"] = str(tmp / "var")
    built = subprocess.run([sys.executable, str(REPO / "build.py"), "--content", str(tmp / "content"),
                            "--out", str(tmp / "site")], env=env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kameng.local", "--port", str(port), "--site", str(tmp / "site"),
         "--sweep-seconds", "1"],
        env={**env, "PYTHONPATH": str(REPO / "functions")}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "the local server did not start"
                time.sleep(0.1)
        yield Shop(port, env, tmp / "var", tmp / "site", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_shopper_tops_up_a_phone_after_correcting_the_number_and_reads_the_receipt(browser, shop):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    refused = []
    page.on("response", lambda response: refused.append(response.url) if response.status >= 400 else None)

    page.goto(f"http://{shop.host('main')}/p/topup/")
    page.fill("input[name=email]", "phone@example.com")
    page.fill("input[name=query_password]", "5678")
    phone = page.locator("input[name='fields.phone']")
    assert phone.get_attribute("placeholder") == "13800138000"

    # Not a mobile number: the browser holds the form and the page says so by the field.
    phone.fill("12345")
    page.click("#buy-submit")
    field_error = page.locator("#field-phone-error")
    assert field_error.inner_text() == "手机号码格式不正确，例如 13800138000"
    assert "/p/topup/" in page.url
    # Typing again clears it.
    phone.fill("1234")
    assert field_error.inner_text() == ""

    # A browser that cannot check the pattern leaves it to checkout, whose answer lands by the field too.
    page.evaluate("document.querySelector(\"input[name='fields.phone']\").removeAttribute('pattern')")
    phone.fill("12345678901")
    page.click("#buy-submit")
    page.locator("#buy-error").filter(has_text="请检查充值信息").wait_for(timeout=5000)
    assert field_error.inner_text() == "手机号码格式不正确，例如 13800138000"

    phone.fill("13912345678")
    page.click("#buy-submit")
    page.wait_for_url(re.compile(r"/_sandbox/pay/cs_test_"))
    page.locator("input[name=method][value=alipay]").check()
    page.click("#pay-succeed")

    page.wait_for_url(re.compile(r"/order/\?id="))
    receipt = page.locator("#order-topup dd.receipt")
    receipt.wait_for(timeout=20000)
    assert receipt.inner_text().strip()
    assert page.locator("#order-topup dd.account").inner_text() == "139******78"
    assert page.locator("#order-status").inner_text() == "已发货"
    assert page.locator("#order-keys-box").is_hidden()
    assert "13912345678" not in page.content()
    # The one refusal is checkout's answer to the wrong number (the browser logs it as a failed load).
    assert [url.split("/", 3)[3] for url in refused] == ["api/checkout"]
    assert [e for e in errors if "status of 400" not in e] == [] and len(errors) <= 1, errors
    context.close()
