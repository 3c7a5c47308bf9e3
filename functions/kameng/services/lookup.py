"""What a shopper may see of their orders (by the order's token, or by e-mail + query password), and what the owner may.

The owner reads the same orders and the same sealed keys, but sees every key
masked: a key in full is for the order's holder only.
"""
from __future__ import annotations

import base64
import hmac
from datetime import datetime, timezone

from kameng.deps import Deps
from kameng.domain.card_key import CardKey
from kameng.domain.errors import NotFound, RateLimited
from kameng.domain.order import Order, OrderStatus
from kameng.domain.shopper import ShopperCredentials, normalize_email, password_digest, token_matches
from kameng.domain.supply import SupplyAttempt
from kameng.ports.store import SealedKey
from kameng.services.stations import published_book

LOOKUP_WINDOW_SECONDS = 600
LOOKUPS_PER_ADDRESS = 20
LOOKUPS_PER_SHOPPER = 10
LOOKUP_LIMIT = 50


def key_context(sku: str, key_id: str) -> bytes:
    # Binds a ciphertext to its key: a sealed key copied onto another row will not open.
    return f"{sku}/{key_id}".encode()


def shopper_key(email: str, deps: Deps) -> str:
    # Orders and members are filed under a keyed hash of the e-mail: the store never holds the address as a key.
    return deps.cipher.keyed_hash("shopper", normalize_email(email))


def open_key(sealed: SealedKey, deps: Deps) -> CardKey:
    return CardKey.from_bytes(deps.cipher.open(sealed.ciphertext, key_context(sealed.sku, sealed.key_id)))


def message_context(order_id: str) -> bytes:
    return f"order-message/{order_id}".encode()


def _delivered_keys(order: Order, deps: Deps) -> list[SealedKey]:
    if order.shared_key_id is not None:
        credential = deps.store.inventory.shared_key(order.sku, order.shared_key_id)
        return [] if credential is None else [credential]
    return deps.store.inventory.sealed_keys(order)


def view(order: Order, deps: Deps) -> dict:
    keys, message = [], None
    if order.status is OrderStatus.DELIVERED:
        for sealed in _delivered_keys(order, deps):
            card_key = open_key(sealed, deps)
            keys.append({"key_id": sealed.key_id, "code": card_key.code, "password": card_key.password})
        if order.message_sealed is not None:
            message = deps.cipher.open(base64.b64decode(order.message_sealed), message_context(order.id)).decode()
    return {
        "id": order.id, "station": order.station, "status": order.status.value, "sku": order.sku,
        "title": order.title, "quantity": order.quantity, **order.charges(),
        "currency": order.currency, "created_at": order.created_at.isoformat(),
        "keys": keys,
        # How it is delivered, and what besides keys: the account a top-up went to (masked), its receipt, the
        # owner's message, and by when an order awaiting its goods will have them (or its money back).
        "delivery": order.delivery.value,
        "account": {name: mask_account(value) for name, value in order.buyer_fields},
        "receipt": order.receipt if order.status is OrderStatus.DELIVERED else None,
        "message": message,
        "deliver_by": _utc_iso(order.deliver_by) if order.status is OrderStatus.AWAITING_DELIVERY else None,
    }


def mask_account(value: str) -> str:
    """A phone number or account id as the order page shows it: enough to recognise, not to copy."""
    if len(value) <= 4:
        return value[0] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def order_by_token(order_id: str, token: str | None, deps: Deps) -> Order:
    order = deps.store.orders.order(order_id) if order_id else None
    # One answer for "no such order" and "wrong token": ids must not be probeable.
    if order is None or not token_matches(token, order.token_hash):
        raise NotFound("订单不存在")
    return order


def by_token(order_id: str, token: str | None, deps: Deps) -> dict:
    return view(order_by_token(order_id, token, deps), deps)


def by_shopper(credentials: ShopperCredentials, client: str, deps: Deps) -> list[dict]:
    now = deps.clock()
    shopper = shopper_key(credentials.email, deps)
    for bucket, limit in ((f"lookup:addr:{client}", LOOKUPS_PER_ADDRESS), (f"lookup:shopper:{shopper}", LOOKUPS_PER_SHOPPER)):
        if deps.store.counters.count_hit(bucket, LOOKUP_WINDOW_SECONDS, now) > limit:
            raise RateLimited("查询过于频繁，请 10 分钟后再试", retry_after=LOOKUP_WINDOW_SECONDS)
    orders = deps.store.orders.orders_of_shopper(shopper, LOOKUP_LIMIT)
    if not orders:
        return []
    derived = password_digest(deps.cipher.keyed_hash, credentials.query_password, shopper)
    return [view(o, deps) for o in orders if hmac.compare_digest(derived, o.password_hash)]


# ---------------------------------------------------------------- the owner's views


def order_named(order_id: str, deps: Deps) -> Order | None:
    """The order an owner names: an id as pasted, with stray spaces or in lower case; None for none."""
    wanted = order_id.strip()
    return (deps.store.orders.order(wanted) or deps.store.orders.order(wanted.upper())) if wanted else None


def find_order(order_id: str, deps: Deps) -> Order:
    order = order_named(order_id, deps)
    if order is None:
        raise NotFound(f"no order {order_id.strip()!r}")
    return order


def _utc_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def order_summary(order: Order) -> dict:
    return {
        "id": order.id, "created_at": _utc_iso(order.created_at), "station": order.station, "sku": order.sku,
        "quantity": order.quantity, "total": order.total, "currency": order.currency,
        "status": order.status.value, "email": order.email,
    }


def owner_orders(limit: int, station: str | None, status: OrderStatus | None, deps: Deps) -> list[dict]:
    """Recent orders, newest first, of every station or of one."""
    if station:
        published_book(station, deps)  # a mistyped station would otherwise look like a quiet shop
    return [order_summary(order) for order in deps.store.orders.recent_orders(limit, station=station, status=status)]


def masked_key(sealed: SealedKey, deps: Deps) -> dict:
    entry: dict = {"key_id": sealed.key_id}
    try:
        card_key = open_key(sealed, deps)
    except Exception as error:
        # One key this master key cannot open must not hide the rest of the order.
        entry.update(masked=None, has_password=None, problem=f"cannot be opened ({type(error).__name__})")
    else:
        entry.update(masked=card_key.masked, has_password=card_key.password is not None)
    entry["refunded"] = sealed.refunded
    entry["batch_id"] = sealed.batch_id  # None: imported before batches were kept
    return entry


def owner_view(order_id: str, deps: Deps) -> dict:
    """One order as the owner sees it: every detail, its ledger, and the keys it holds, masked (never a password)."""
    order = find_order(order_id, deps)
    detail = order_summary(order) | {
        "title": order.title, "unit_price": order.unit_price, "unit_wholesale": order.unit_wholesale,
        "updated_at": _utc_iso(order.updated_at), "reservation_expires_at": _utc_iso(order.expires_at),
        "payment_session": order.payment_session, "payment_ref": order.payment_ref,
        "attention_reason": order.attention_reason, "refund_id": order.refund_id,
        "refund_reason": order.refund_reason,
        # How it is delivered: the buyer's top-up fields (masked), the hand delivery's promise.
        "delivery": order.delivery.value, "buyer_fields": {name: mask_account(v) for name, v in order.buyer_fields},
        "delivery_hours": order.delivery_hours, "deliver_by": _utc_iso(order.deliver_by),
        "receipt": order.receipt,
        # The risk rule that held it for review (风控), and the owner's decision.
        "review": order.review, "reviewed": order.reviewed,
    }
    return {
        "order": detail,
        "ledger": [{"account": e.account, "amount": e.amount, "currency": e.currency, "memo": e.memo}
                   for e in deps.store.orders.ledger(order.id)],
        "keys": [masked_key(sealed, deps) for sealed in deps.store.inventory.sealed_keys(order)],
        "supply_attempts": [supply_attempt(a) for a in deps.store.supply_attempts.attempts_of(order.id)],
    }


def supply_attempt(attempt: SupplyAttempt) -> dict:
    """One try at a supplier as the owner reads it (its receipt is the order's once applied)."""
    return {"supplier": attempt.supplier, "request_id": attempt.request_id, "status": attempt.status,
            "quantity": attempt.quantity, "quantity_delivered": attempt.quantity_delivered,
            "unit_cost": attempt.unit_cost, "currency": attempt.currency, "note": attempt.note,
            "started_at": _utc_iso(attempt.started_at)}
