"""GET /api/pay/wechat.js: the JSAPI pay page's script, served by the API on the station's own address."""
from __future__ import annotations

from kameng.handlers import pay_page
from kameng.handlers.pay_script import wechat_pay_script
from kameng.routes import ROUTES


def test_the_script_route_answers_javascript_that_opens_wechats_pay_sheet(api_event):
    answer = wechat_pay_script(api_event("GET", "/api/pay/wechat.js", route="/api/pay/wechat.js"), None)
    assert answer["statusCode"] == 200
    assert answer["headers"]["content-type"].startswith("application/javascript")
    assert "max-age=" in answer["headers"]["cache-control"] and answer["headers"]["x-content-type-options"] == "nosniff"
    script = answer["body"]
    assert 'WeixinJSBridge.invoke("getBrandWCPayRequest"' in script and "WeixinJSBridgeReady" in script
    # Paid: on to the order page the pay page links; otherwise a message on the page.
    assert '"get_brand_wcpay_request:ok"' in script and 'getElementById("order-link")' in script
    assert 'getElementById("wechat-pay-message")' in script


def test_the_jsapi_pay_page_refers_to_the_script_the_api_serves():
    served = {route.path: route.target for route in ROUTES if route.method == "GET"}
    assert served[pay_page.WECHAT_PAY_SCRIPT] == "kameng.handlers.pay_script:wechat_pay_script"
