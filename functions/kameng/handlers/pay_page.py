"""The shop's own pay page, for rails that are not paid in the browser: a QR code to scan with the payer's
phone, a bank transfer to make, or WeChat Pay inside WeChat. Plain HTML that works without JavaScript (but
WeChat's own pay sheet, which only WeChat's JavaScript bridge opens)."""
from __future__ import annotations

import json
from html import escape
from zoneinfo import ZoneInfo

from kameng import http
from kameng.domain.errors import DomainError
from kameng.domain.money import format_minor
from kameng.domain.rails import RAIL_NAMES
from kameng.deps import Deps
from kameng.services.order_link import pay_proof_matches
from kameng.services.pay_step import PayStep

# Served by the API on the station's own address (handlers/pay_script.py): the page's CSP is script-src 'self'.
WECHAT_PAY_SCRIPT = "/api/pay/wechat.js"
SCAN = {"alipay": "打开支付宝扫一扫", "wechat": "打开微信扫一扫", "epay": "用手机扫码"}
SCAN_EN = {"alipay": "Scan with Alipay", "wechat": "Scan with WeChat", "epay": "Scan with your phone"}
RAIL_NAMES_EN = {"alipay": "Alipay", "wechat": "WeChat Pay", "stripe": "Card", "epay": "Online payment",
                 "bank": "Bank transfer"}


def qr_image(content: str) -> str:
    import segno  # only this page draws one

    return segno.make(content, error="m").svg_data_uri(scale=6, border=2)


def render(step: PayStep) -> str:
    order, english = step.order, step.language == "en"
    total = format_minor(order.total, order.currency)
    until = order.expires_at.astimezone(ZoneInfo(step.time_zone)).strftime("%Y-%m-%d %H:%M")
    rail = (RAIL_NAMES_EN if english else RAIL_NAMES).get(order.rail, order.rail)
    lines = [f'<p>{"Order" if english else "订单号"} <strong id="order-id">{escape(order.id)}</strong> · '
             f'{escape(order.title)} × {order.quantity}</p>',
             f'<p>{"Amount due" if english else "应付金额"} <strong id="amount">{escape(total)}</strong></p>']
    if step.show == "qr":
        scan = (SCAN_EN if english else SCAN).get(order.rail, "")
        lines += [f'<p>{escape(scan)}</p>',
                  f'<img id="pay-qr" src="{qr_image(step.content)}" width="240" height="240" alt="{escape(rail)} QR">',
                  f'<p>{"Pay before" if english else "请在此时间前付款"} {until}</p>']
    elif step.show == "transfer":
        lines += _transfer(step, until, english)
    else:
        lines += [f'<button id="wechat-pay" type="button" data-pay="{escape(json.dumps(step.jsapi or {}))}">'
                  f'{"Pay with WeChat" if english else "微信支付"}</button>',
                  '<p id="wechat-pay-message" role="status"></p>',
                  f'<script src="{WECHAT_PAY_SCRIPT}" defer></script>']
        if step.sandbox_url:
            # WeixinJSBridge exists only inside WeChat: the sandbox's pay page stands in for its pay sheet.
            lines.append(f'<p><a id="sandbox-pay" href="{escape(step.sandbox_url)}">'
                         f'{"Pay in the sandbox" if english else "在沙箱中支付"}</a></p>')
    lines.append(f'<p><a id="order-link" href="{escape(step.order_url)}">'
                 f'{"I have paid: view my order" if english else "已付款，查看订单"}</a></p>')
    title = f'{"Pay" if english else "付款"} · {rail}'
    return (f'<!doctype html><html lang="{escape(step.language)}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{escape(title)}</title><main><h1>{escape(title)}</h1>{"".join(lines)}</main></html>')


def _transfer(step: PayStep, until: str, english: bool) -> list[str]:
    bank = step.bank
    rows = [] if bank is None else [
        ("Bank" if english else "开户行", f"{bank.bank} {bank.branch or ''}".strip()),
        ("Account name" if english else "户名", bank.account_name),
        ("Account number" if english else "账号", bank.account_no),
    ]
    rows.append(("Reference (put it in the memo)" if english else "付款参考号（请填在附言里）", step.content))
    table = "".join(f"<tr><th scope=row>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    note = ("Transfer exactly the amount due, with the reference in the memo; the order is delivered once "
            "the transfer is matched.") if english else "请转账与应付金额完全一致的款项，并在附言中填写参考号；到账核对后自动发货。"
    return [f'<table id="transfer">{table}</table>', f"<p>{escape(note)}</p>",
            f'<p>{"Transfer before" if english else "请在此时间前转账"} {until}</p>']


def speaks_english(order_id: str, proof: str | None, event: dict, deps: Deps) -> bool:
    """The station's language for the holder of the pay link; the browser's for anyone else, so that the page
    tells nothing of an order to someone without its link."""
    order = deps.store.orders.order(order_id) if order_id else None
    if order is not None and pay_proof_matches(order, proof, deps):
        book = deps.store.price_books.price_book(order.station)
        if book is not None:
            return book.language == "en"
    return http.prefers_english(event)


def error_response(error: DomainError, english: bool = False) -> dict:
    """Why paying could not start, as a page with the error's own status (WeChat's browser shows no JSON)."""
    answer = http.error_response(error, english)
    message = json.loads(answer["body"])["error"]["message"]
    title = "Payment could not start" if english else "无法开始付款"
    body = (f'<!doctype html><html lang="{"en" if english else "zh-CN"}"><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>'
            f'<main><h1>{title}</h1><p id="error-message">{escape(message)}</p></main></html>')
    status = answer["statusCode"]
    return {"statusCode": status, "body": body,
            "headers": {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"}}
