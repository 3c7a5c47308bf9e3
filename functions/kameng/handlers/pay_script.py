"""GET /api/pay/wechat.js: the script of the JSAPI pay page (handlers/pay_page.py).

That page is served by the API on the station's own address under script-src 'self', so its script is
served from there too. It opens WeChat's pay sheet (WeixinJSBridge's getBrandWCPayRequest, with the
params the page's button carries, signed by the merchant) when WeChat's bridge is ready and on the
button; once paid it goes to the order page, which shows what the shop knows (never delivering on it).
"""
from __future__ import annotations

from kameng.http import api

SCRIPT = r"""(function () {
  "use strict";
  var button = document.getElementById("wechat-pay");
  if (!button) { return; }
  var message = document.getElementById("wechat-pay-message");
  var english = document.documentElement.lang === "en";
  function say(zh, en) { if (message) { message.textContent = english ? en : zh; } }
  function pay() {
    if (typeof WeixinJSBridge === "undefined") {
      say("请在微信中打开本页付款。", "Open this page in WeChat to pay.");
      return;
    }
    var params;
    try { params = JSON.parse(button.getAttribute("data-pay")); } catch (e) { params = null; }
    if (!params || !params.package) {
      say("付款信息有误，请重新打开付款链接。", "The payment details are missing; open the pay link again.");
      return;
    }
    button.disabled = true;
    WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (res) {
      button.disabled = false;
      var result = res && res.err_msg;
      if (result === "get_brand_wcpay_request:ok") {
        var link = document.getElementById("order-link");
        if (link) { window.location.href = link.href; }
      } else if (result === "get_brand_wcpay_request:cancel") {
        say("已取消付款，可再次点击按钮付款。", "Payment cancelled; press the button to pay.");
      } else {
        say("微信支付未能完成，请重试。", "WeChat Pay could not complete the payment; please try again.");
      }
    });
  }
  button.addEventListener("click", pay);
  if (typeof WeixinJSBridge === "undefined") {
    document.addEventListener("WeixinJSBridgeReady", pay, false);
  } else {
    pay();
  }
})();
"""


@api
def wechat_pay_script(event, context=None):
    return {"statusCode": 200, "body": SCRIPT,
            "headers": {"content-type": "application/javascript; charset=utf-8",
                        "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff"}}
