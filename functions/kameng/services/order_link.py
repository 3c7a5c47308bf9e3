"""The link that opens an order: its page, with the order's token in the fragment.

Checkout seals the token onto the order and the delivery mail opens it again to
send the link; the store never holds the token in plain.
"""
from __future__ import annotations

import base64

from kameng.deps import Deps
from kameng.domain.order import Order

TOKEN_PURPOSE = "order-token-seal"


def order_page(deps: Deps, station: str, domain: str, order_id: str) -> str:
    return f"{deps.settings.station_url(station, domain)}/order/?id={order_id}"


def token_context(order_id: str) -> bytes:
    return f"order-token/{order_id}".encode()


def seal_token(token: str, order_id: str, deps: Deps) -> str:
    sealed = deps.cipher.seal_record(TOKEN_PURPOSE, order_id, token.encode(), token_context(order_id))
    return base64.b64encode(sealed).decode("ascii")


def open_token(order: Order, deps: Deps) -> str | None:
    if not order.token_sealed:
        return None
    sealed = base64.b64decode(order.token_sealed)
    return deps.cipher.open_record(TOKEN_PURPOSE, order.id, sealed, token_context(order.id)).decode()
