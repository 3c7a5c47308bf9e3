"""The links of an order: its page, with the order's token in the fragment, and its pay step.

Checkout seals the token onto the order and the delivery mail opens it again to
send the link; the store never holds the token in plain.
"""
from __future__ import annotations

import base64
import hmac
from urllib.parse import quote

from kameng.deps import Deps
from kameng.domain.order import Order

TOKEN_PURPOSE = "order-token-seal"
PAY_PROOF_PURPOSE = "order-pay-link"


def order_page(deps: Deps, station: str, domain: str, order_id: str) -> str:
    return f"{deps.settings.station_url(station, domain)}/order/?id={order_id}"


def pay_proof(order: Order, deps: Deps) -> str:
    # Not the order token: a pay link sits in query strings and access logs, and may only
    # open the pay page, never the keys. Keyed on the token's hash, so only this order's holder gets it.
    return deps.cipher.keyed_hash(PAY_PROOF_PURPOSE, f"{order.id}/{order.token_hash}")


def pay_proof_matches(order: Order, proof: str | None, deps: Deps) -> bool:
    return bool(proof) and hmac.compare_digest(proof.encode(), pay_proof(order, deps).encode())


def pay_link(order: Order, domain: str, deps: Deps) -> str:
    """Our own pay step, which holds the keys for the whole reservation and sends the shopper on to the gateway."""
    base = deps.settings.station_url(order.station, domain)
    return f"{base}/api/orders/{quote(order.id, safe='')}/pay?t={pay_proof(order, deps)}"


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
