"""Orders as a page a browser without JavaScript reads: the order page's noscript path and the lookup form's
answer. Plain escaped HTML, no script or style (the keys are text to select and copy)."""
from __future__ import annotations

import json
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from kameng import http
from kameng.domain.errors import DomainError

STATUS = {
    "zh": {"pending": "待付款", "paid": "已付款", "delivered": "已发货", "expired": "已过期", "failed": "支付失败",
           "needs_attention": "处理中", "refunded": "已退款", "awaiting_delivery": "等待发货", "needs_review": "订单审核中"},
    "en": {"pending": "Awaiting payment", "paid": "Paid", "delivered": "Delivered", "expired": "Expired",
           "failed": "Payment failed", "needs_attention": "Being handled", "refunded": "Refunded",
           "awaiting_delivery": "Awaiting delivery", "needs_review": "Under review"},
}
WORDS = {
    "zh": {"order": "订单号", "time": "下单时间", "status": "状态", "keys": "卡密", "password": "密码",
           "none": "没有找到订单", "title": "订单与卡密", "error": "无法查看订单", "back": "返回首页",
           "message": "发货留言"},
    "en": {"order": "Order", "time": "Ordered at", "status": "Status", "keys": "Card keys", "password": "password",
           "none": "No orders found", "title": "Your orders and keys", "error": "The order cannot be shown",
           "back": "Back to the shop", "message": "Delivery message"},
}


def prefers_html(event: dict) -> bool:
    """A browser's navigation (Accept: text/html first); an API client sending JSON or no Accept keeps JSON."""
    accept = (http.header(event, "accept") or "").lower()
    first = accept.split(",", 1)[0].split(";", 1)[0].strip()
    return first in ("text/html", "application/xhtml+xml")


def _page(title: str, body: str, english: bool, status: int = 200) -> dict:
    html = (f'<!doctype html><html lang="{"en" if english else "zh-CN"}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{escape(title)}</title><main><h1>{escape(title)}</h1>{body}'
            f'<p><a href="/">{escape(WORDS["en" if english else "zh"]["back"])}</a></p></main></html>')
    return {"statusCode": status, "body": html,
            "headers": {"content-type": "text/html; charset=utf-8", "cache-control": "no-store",
                        "referrer-policy": "no-referrer"}}


def _clock(iso: str, time_zone: str) -> str:
    """The order's time as the station's clock reads it, as the order page's script shows it."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")
    except (ValueError, KeyError):
        return iso


def _order(view: dict, english: bool, time_zone: str) -> str:
    words = WORDS["en" if english else "zh"]
    status = STATUS["en" if english else "zh"].get(view["status"], view["status"])
    parts = [f'<section class="order" id="order-{escape(view["id"])}">',
             f'<p>{words["order"]} <strong class="order-id">{escape(view["id"])}</strong> · '
             f'{escape(view["title"])} × {int(view["quantity"])}</p>',
             f'<p>{words["time"]} <time datetime="{escape(view["created_at"])}">'
             f'{escape(_clock(view["created_at"], time_zone))}</time></p>',
             f'<p>{words["status"]} <strong class="order-status">{escape(status)}</strong></p>']
    if view.get("message"):
        parts.append(f'<h3>{words["message"]}</h3><pre>{escape(view["message"])}</pre>')
    if view.get("keys"):
        items = "".join(
            f'<li><code class="card-key">{escape(key["code"])}</code>'
            + (f' {words["password"]} <code>{escape(key["password"])}</code>' if key.get("password") else "")
            + "</li>" for key in view["keys"])
        parts.append(f'<h3>{words["keys"]}</h3><ul class="card-keys">{items}</ul>')
    parts.append("</section>")
    return "".join(parts)


def orders_page(views: list[dict], english: bool, time_zone: str) -> dict:
    words = WORDS["en" if english else "zh"]
    body = "".join(_order(view, english, time_zone) for view in views) or f'<p id="no-orders">{words["none"]}</p>'
    return _page(words["title"], body, english)


def error_page(error: DomainError, english: bool) -> dict:
    answer = http.error_response(error, english)
    message = json.loads(answer["body"])["error"]["message"]
    body = f'<p id="error-message">{escape(message)}</p>'
    page = _page(WORDS["en" if english else "zh"]["error"], body, english, answer["statusCode"])
    page["headers"].update({k: v for k, v in answer["headers"].items() if k == "retry-after"})
    return page
