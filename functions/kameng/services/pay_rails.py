"""The rail's side of checkout: open the payment on the rail the shopper chose, for the order just placed."""
from __future__ import annotations

from datetime import timedelta

from kameng.deps import Deps
from kameng.domain.errors import GatewayUnavailable
from kameng.domain.order import KeyMove, Order, OrderChange, OrderStatus
from kameng.domain.price_book import PriceBook
from kameng.ports.outside import PaymentSession, SessionRequest, Show


def payment_window(rail: str, book: PriceBook | None, deps: Deps) -> timedelta:
    """How long an order on `rail` may wait for its money: a bank transfer the station's days, the rest the reservation."""
    if rail == "bank" and book is not None and book.bank is not None:
        return timedelta(days=book.bank.days)
    return deps.rail(rail).window or deps.settings.reservation_ttl


def notify_url(book: PriceBook, rail: str, deps: Deps) -> str:
    # On the station's own address, where /api/* reaches the functions as everywhere else.
    return f"{deps.settings.station_url(book.station, book.domain)}/api/webhooks/{rail}"


# Kept as the payment_url of an order paid by WeChat Pay's JSAPI before the payer's openid is known:
# the pay step learns it by WeChat's 网页授权 first, then opens the session (services/wechat_jsapi.py).
AWAITING_OPENID = "oauth:"


def session_request(order: Order, book: PriceBook, urls: tuple[str, str], paying: tuple[str, str], deps: Deps,
                    openid: str | None = None) -> SessionRequest:
    """What the rail is asked to open for the order. `urls`: (success, cancel); `paying`: (device, client address)."""
    success, cancel = urls
    device, client_ip = paying
    return SessionRequest(
        order_id=order.id, station=order.station, title=order.title, quantity=order.quantity,
        unit_price=order.unit_price, total=order.total, currency=order.currency, email=order.email,
        success_url=success, cancel_url=cancel, expires_at=order.created_at + payment_window(order.rail, book, deps),
        payout_account=order.payout_account, application_fee=order.application_fee,
        discount=order.level_discount + order.coupon_discount, notify_url=notify_url(book, order.rail, deps),
        device=device, client_ip=client_ip, invoice=order.invoice, openid=openid, language=book.language,
    )


def pays_by_jsapi(rail: str, device: str, deps: Deps) -> bool:
    """Inside WeChat, on WeChat Pay that can learn the payer's openid: JSAPI, opened by the pay step once it knows
    who pays (WeChat Pay refuses a second prepay of one out_trade_no with other parameters)."""
    return rail == "wechat" and device == "wechat" and bool(getattr(deps.rail(rail), "jsapi_ready", False))


def open_payment(order: Order, book: PriceBook, urls: tuple[str, str], paying: tuple[str, str], deps: Deps) -> PaymentSession:
    """Open the order's session on its rail and remember it; without one nobody can pay, so a rail that fails
    gives the keys back at once. `urls`: (success, cancel); `paying`: (device, client address)."""
    if pays_by_jsapi(order.rail, paying[0], deps):
        deps.store.orders.set_payment_session(order.id, "", AWAITING_OPENID)
        return PaymentSession(id="", url=AWAITING_OPENID, show=Show.REDIRECT)
    try:
        session = deps.rail(order.rail).create_session(session_request(order, book, urls, paying, deps))
    except Exception as error:
        deps.store.orders.apply(OrderChange(order.id, OrderStatus.PENDING, OrderStatus.FAILED, keys=KeyMove.RETURN), deps.clock())
        raise GatewayUnavailable("支付通道暂时不可用，请稍后再试") from error
    deps.store.orders.set_payment_session(order.id, session.id, kept_url(session))
    return session


def kept_url(session: PaymentSession) -> str:
    """What the pay step needs later, in the one field the store keeps: a plain URL to send the browser to,
    or "<show>:<what to show>" for a QR code, a transfer reference or a WeChat prepay id."""
    return session.url if session.show == "redirect" else f"{session.show}:{session.url}"
