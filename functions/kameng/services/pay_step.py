"""The pay step: the link checkout hands out, between the shop and the rail's pay page.

No rail says when a shopper opens its pay page, so the shop's own link is where
it learns that someone means to pay: checkout holds the keys only for
`unopened_hold`, and opening this link holds them for the whole payment window.
A rail that pays in the browser gets a redirect; a QR code to scan or a bank
transfer to make is shown on a page of the shop's own (PayStep).
"""
from __future__ import annotations

from dataclasses import dataclass
from kameng.deps import Deps
from kameng.domain.errors import NotFound
from kameng.domain.order import Applied, Order, OrderStatus, hold_for_payment
from kameng.domain.price_book import BankAccount, PriceBook
from kameng.services import wechat_jsapi
from kameng.services.order_link import order_page, pay_proof_matches
from kameng.services.pay_rails import payment_window
from kameng.services.stations import published_book


@dataclass(frozen=True)
class PayStep:
    """What the shop shows itself: a QR code (`show` "qr"), a transfer ("transfer") or WeChat's own pay ("jsapi")."""

    show: str
    content: str  # what the QR code holds, the transfer's reference, or the prepay id
    order: Order
    order_url: str
    language: str
    time_zone: str
    bank: BankAccount | None = None
    jsapi: dict | None = None
    sandbox_url: str | None = None  # the rail's sandbox pay page, standing in for WeChat's own pay sheet


def open_pay_page(order_id: str, proof: str | None, deps: Deps, oauth: tuple[str, str | None] | None = None) -> str | PayStep:
    """Where the holder of the pay link goes: the rail's pay page while the order waits for payment, with its
    keys held for the rest of the payment window; else the order page, which says what became of it.
    `oauth`: the (code, state) WeChat's 网页授权 came back with, for an order paid by JSAPI (wechat_jsapi)."""
    order = deps.store.orders.order(order_id) if order_id else None
    # One answer for "no such order" and "wrong link": ids must not be probeable.
    if order is None or not pay_proof_matches(order, proof, deps):
        raise NotFound("订单不存在")
    # The station's book matters to a bank transfer's days and to the pages shown; a redirect needs none.
    book = deps.store.price_books.price_book(order.station)
    if not (_held(order, book, deps) and order.payment_url):
        book = published_book(order.station, deps)
        return order_page(deps, order.station, book.domain, order.id)
    show, _, content = order.payment_url.partition(":")
    if show not in ("qr", "transfer", "jsapi", "oauth"):
        return order.payment_url
    book = published_book(order.station, deps)
    if show == "oauth":
        if not oauth or not oauth[0]:
            return wechat_jsapi.authorize_url(order, book, deps)
        show, content = wechat_jsapi.open_session(order, book, oauth[0], oauth[1], deps)
    page = order_page(deps, order.station, book.domain, order.id)
    jsapi, sandbox_url = None, None
    if show == "jsapi":
        gateway = deps.rail(order.rail)
        jsapi = gateway.jsapi_params(content)
        sandbox_url = gateway.sandbox_pay_url(order.id) if hasattr(gateway, "sandbox_pay_url") else None
    return PayStep(show=show, content=content, order=order, order_url=page, language=book.language,
                   time_zone=book.time_zone, bank=book.bank, jsapi=jsapi, sandbox_url=sandbox_url)


def _held(order: Order, book: PriceBook | None, deps: Deps) -> bool:
    """Whether the order still holds its keys for the shopper, its reservation moved forward if it can be."""
    now = deps.clock()
    if order.status is not OrderStatus.PENDING or order.expires_at <= now:
        return False
    change = hold_for_payment(order, payment_window(order.rail, book, deps), now)
    if change is None:
        return True
    outcome, _ = deps.store.orders.apply(change, now)
    # A conflict is a payment, a lapse or a failure that came first: the order page tells which.
    return outcome is not Applied.CONFLICT
