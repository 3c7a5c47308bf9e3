"""What a shopper may see of their orders: by the order's token, or by e-mail + query password."""
from __future__ import annotations

import hmac

from kameng.deps import Deps
from kameng.domain.card_key import CardKey
from kameng.domain.errors import NotFound, RateLimited
from kameng.domain.order import Order, OrderStatus
from kameng.domain.shopper import ShopperCredentials, password_digest, token_matches

LOOKUP_WINDOW_SECONDS = 600
LOOKUPS_PER_ADDRESS = 20
LOOKUPS_PER_SHOPPER = 10
LOOKUP_LIMIT = 50


def key_context(sku: str, key_id: str) -> bytes:
    # Binds a ciphertext to its key: a sealed key copied onto another row will not open.
    return f"{sku}/{key_id}".encode()


def view(order: Order, deps: Deps) -> dict:
    keys = []
    if order.status is OrderStatus.DELIVERED:
        for sealed in deps.store.inventory.sealed_keys(order):
            card_key = CardKey.from_bytes(deps.cipher.open(sealed.ciphertext, key_context(sealed.sku, sealed.key_id)))
            keys.append({"code": card_key.code, "password": card_key.password})
    return {
        "id": order.id, "station": order.station, "status": order.status.value, "sku": order.sku,
        "title": order.title, "quantity": order.quantity, **order.charges(),
        "currency": order.currency, "created_at": order.created_at.isoformat(),
        "keys": keys,
    }


def by_token(order_id: str, token: str | None, deps: Deps) -> dict:
    order = deps.store.orders.order(order_id) if order_id else None
    # One answer for "no such order" and "wrong token": ids must not be probeable.
    if order is None or not token_matches(token, order.token_hash):
        raise NotFound("订单不存在")
    return view(order, deps)


def by_shopper(credentials: ShopperCredentials, client: str, deps: Deps) -> list[dict]:
    now = deps.clock()
    shopper_key = deps.cipher.keyed_hash("shopper", credentials.email)
    for bucket, limit in ((f"lookup:addr:{client}", LOOKUPS_PER_ADDRESS), (f"lookup:shopper:{shopper_key}", LOOKUPS_PER_SHOPPER)):
        if deps.store.counters.count_hit(bucket, LOOKUP_WINDOW_SECONDS, now) > limit:
            raise RateLimited("查询过于频繁，请 10 分钟后再试", retry_after=LOOKUP_WINDOW_SECONDS)
    orders = deps.store.orders.orders_of_shopper(shopper_key, LOOKUP_LIMIT)
    if not orders:
        return []
    derived = password_digest(deps.cipher.keyed_hash, credentials.query_password, shopper_key)
    return [view(o, deps) for o in orders if hmac.compare_digest(derived, o.password_hash)]
