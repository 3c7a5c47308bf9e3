"""WeChat Pay's JSAPI inside WeChat: the pay step learns who pays by WeChat's 网页授权, then opens the session.

Checkout opens nothing for such an order (its payment_url is pay_rails.AWAITING_OPENID): JSAPI needs the
payer's openid, and WeChat Pay refuses a second prepay of one out_trade_no with other parameters. The pay
link sends WeChat's browser to WeChat's authorize page (snsapi_base: silent), which comes back to the same
pay link with a code and our state; the code, good once, is exchanged for the openid and the JSAPI session
is opened and kept, so the pay link opened again shows WeChat's pay button at once.
"""
from __future__ import annotations

import hmac

from kameng.deps import Deps
from kameng.domain.errors import GatewayUnavailable, InvalidRequest
from kameng.domain.order import Order
from kameng.domain.price_book import PriceBook
from kameng.services.order_link import order_page, pay_link
from kameng.services.pay_rails import kept_url, session_request

STATE_PURPOSE = "wechat-oauth-state"


def oauth_state(order: Order, deps: Deps) -> str:
    """The state WeChat hands back with the code: only this order's pay step made it."""
    return deps.cipher.keyed_hash(STATE_PURPOSE, order.id)


def authorize_url(order: Order, book: PriceBook, deps: Deps) -> str:
    """Where WeChat's browser goes to be named, coming back to this very pay link (its proof `t` with it)."""
    return deps.rail(order.rail).authorize_url(pay_link(order, book.domain, deps), oauth_state(order, deps))


def open_session(order: Order, book: PriceBook, code: str, state: str | None, deps: Deps) -> tuple[str, str]:
    """Open the order's JSAPI session for the payer WeChat named by `code` and keep it; returns what the pay
    step shows, ("jsapi", prepay id). A state not ours or a code WeChat refuses (used, wrong) changes nothing."""
    if not hmac.compare_digest((state or "").encode(), oauth_state(order, deps).encode()):
        raise InvalidRequest("微信授权的回跳不属于这个订单，请重新打开付款链接")
    gateway = deps.rail(order.rail)
    openid = gateway.openid_for(code)
    page = order_page(deps, order.station, book.domain, order.id)
    request = session_request(order, book, (page, deps.settings.station_url(book.station, book.domain)),
                              ("wechat", ""), deps, openid=openid)
    try:
        session = gateway.create_session(request)
    except Exception as error:
        # The order keeps waiting for its payer: opening the pay link again starts over.
        raise GatewayUnavailable("微信支付暂时不可用，请稍后重新打开付款链接") from error
    kept = kept_url(session)
    deps.store.orders.set_payment_session(order.id, session.id, kept)
    show, _, content = kept.partition(":")
    return show, content
