"""The wholesale API (货源对接): another platform buys the main station's card keys at wholesale prices.

Every request is signed by the reseller (domain/wholesale.py) and answered signed. An order charges the
reseller's balance first (once per request id; the charge names the upstream order), then places that
order through the shop's own machinery and marks it paid the way a payment event does, so the shop's own
delivery fulfils it. A retry of the request id, racing or after a crash between any two steps, finds the
charge, and through it the same order, and finishes what was left undone: never a second order or debit.
"""
from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, NotFound, ResellerUnauthorized, SoldOut, WholesaleRefused
from kameng.domain.fulfilment import Delivery, Kind, check_buyer_fields, delivery_for
from kameng.domain.ids import new_id, new_token
from kameng.domain.order import Order, OrderStatus, PaymentEvent, PaymentKind, decide_payment
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.domain.quota import EVERYONE, Quota, QuotaKind
from kameng.domain.shopper import hash_token, password_digest
from kameng.domain.wholesale import (
    NONCE_KEPT, REQUEST_ID, SECRET_PURPOSE, Reseller, ResellerCharge, SignedRequest, payment_ref, secret_context,
    wholesale_event_id,
)
from kameng.ports.store import MAX_KEYS_PER_ORDER, Duplicate
from kameng.services.lookup import shopper_key, view
from kameng.services.notify import check_low_stock
from kameng.services.supply_routing import deliver_paid

log = logging.getLogger(__name__)
MAX_BUYER_FIELDS = 8
# What a reseller can buy: card keys (held or bought) and top-ups. A loop credential would reach the reseller
# as the same key every time, and a manual delivery takes hours, past any reseller's wait.
RESOLD = (Kind.CARD_KEY, Kind.DIRECT)
PENDING = (OrderStatus.PENDING, OrderStatus.PAID)
NEVER_PAID = (OrderStatus.FAILED, OrderStatus.EXPIRED)


class WholesaleOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request_id: str = Field(pattern=REQUEST_ID)
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1)
    max_unit_cost: int = Field(ge=0)
    # A direct top-up's account fields; card keys need none, so they are only checked for size here.
    buyer_fields: dict[str, str] | None = Field(default=None, max_length=MAX_BUYER_FIELDS)

    @field_validator("quantity", "max_unit_cost", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("须为整数")
        return value


@dataclass(frozen=True)
class Caller:
    """A reseller whose request passed every check: what its answer is signed with."""

    reseller: Reseller
    secret: bytes
    nonce: str


def reseller_secret(reseller: Reseller, deps: Deps) -> bytes:
    return deps.cipher.open_record(SECRET_PURPOSE, reseller.id, reseller.sealed_secret, secret_context(reseller.id))


def authenticate(method: str, path: str, headers: Mapping[str, str], body: bytes, deps: Deps) -> Caller:
    """The reseller that signed this request; ResellerUnauthorized for anything else, the nonce used last."""
    signed = SignedRequest.read(headers)
    reseller = deps.store.resellers.reseller(signed.reseller_id)
    if reseller is None or not reseller.active:
        raise ResellerUnauthorized("unknown_reseller", "分销商不存在或已停用")
    secret = reseller_secret(reseller, deps)
    now = deps.clock()
    signed.check(secret, method, path, body, now)
    # Only a genuine request uses up its nonce: a forger cannot burn the reseller's nonces.
    if not deps.store.resellers.use_nonce(reseller.id, signed.nonce, now, now + NONCE_KEPT):
        log.warning("wholesale request replayed", extra={"reseller": reseller.id})
        raise ResellerUnauthorized("replayed_nonce", "此 nonce 已用过：每个请求须用新的 nonce")
    return Caller(reseller, secret, signed.nonce)


def _book(reseller: Reseller, deps: Deps) -> PriceBook:
    book = deps.store.price_books.price_book(reseller.station)
    if book is None:
        raise WholesaleRefused("unknown_sku", "上游尚未发布商品")
    return book


def catalogue(caller: Caller, deps: Deps) -> dict:
    """The price and stock feed: every SKU of the main station at the reseller's unit cost."""
    book = deps.store.price_books.price_book(caller.reseller.station)
    lines = [] if book is None else sorted((line for line in book.skus.values() if line.kind in RESOLD),
                                           key=lambda line: line.sku)
    stock = deps.store.inventory.stock([line.sku for line in lines])
    return {"currency": None if book is None else book.currency, "offers": [
        {"sku": line.sku, "title": line.title, "unit_cost": line.wholesale, "currency": book.currency,
         # What the upstream buys on demand from its own suppliers has no stock of its own to count.
         "stock": None if line.supply else stock[line.sku].available, "min_quantity": line.min_quantity,
         "max_quantity": min(line.max_quantity, MAX_KEYS_PER_ORDER), "kind": _offer_kind(line),
         "fields": [field.name for field in line.fields]} for line in lines]}


def _offer_kind(line: PricedSku) -> str:
    return "direct" if line.kind is Kind.DIRECT else "card_key"


def balance(caller: Caller, deps: Deps) -> dict:
    kept, credit_limit = deps.store.resellers.balance(caller.reseller.id)
    return {"balance": kept, "credit_limit": credit_limit, "available": kept + credit_limit,
            "currency": caller.reseller.currency}


def _line(book: PriceBook, request: WholesaleOrder) -> PricedSku:
    line = book.skus.get(request.sku)
    if line is None or line.kind not in RESOLD:
        raise WholesaleRefused("unknown_sku", f"上游没有此商品：{request.sku}")
    top = min(line.max_quantity, MAX_KEYS_PER_ORDER)
    if not line.min_quantity <= request.quantity <= top:
        raise WholesaleRefused("quantity_out_of_range", f"数量须在 {line.min_quantity}–{top} 之间")
    if line.wholesale > request.max_unit_cost:
        raise WholesaleRefused("price_above_max", f"单价 {line.wholesale} 高于 max_unit_cost {request.max_unit_cost}")
    return line


def place(caller: Caller, request: WholesaleOrder, deps: Deps) -> dict:
    reseller = caller.reseller
    kept = deps.store.resellers.charge_of(reseller.id, request.request_id)
    if kept is None:
        book = _book(reseller, deps)
        line = _line(book, request)
        now = deps.clock()
        kept = deps.store.resellers.charge(ResellerCharge(
            reseller.id, request.request_id, request.sku, request.quantity, line.wholesale * request.quantity,
            new_id(now), now))
    if (kept.sku, kept.quantity) != (request.sku, request.quantity):
        raise WholesaleRefused("request_id_reused", "此请求号已用于另一笔订单")
    return _finish(reseller, kept, deps, request.buyer_fields)


def order_of(caller: Caller, request_id: str, deps: Deps) -> dict:
    kept = deps.store.resellers.charge_of(caller.reseller.id, request_id)
    if kept is None:
        # Another reseller's request id reads the same as one never made.
        raise NotFound(f"没有此请求号的订单：{request_id}")
    return _finish(caller.reseller, kept, deps)


def _finish(reseller: Reseller, kept: ResellerCharge, deps: Deps, buyer_fields: dict[str, str] | None = None) -> dict:
    order = deps.store.orders.order(kept.order_id)
    if order is None and kept.given_back:
        raise WholesaleRefused("out_of_stock", "上游库存不足，未扣款")
    if order is None:
        # Charged, and the order not placed yet: the first request is still at it, or died there.
        order = _place_order(reseller, kept, deps, buyer_fields)
    order = _pay_and_release(reseller, kept, order, deps)
    if order.status is OrderStatus.DELIVERED:
        return _answer(kept, order, "delivered", deps)
    if order.status in PENDING or order.status is OrderStatus.AWAITING_DELIVERY:
        return _answer(kept, order, "pending", deps)
    # Paid and then not delivered, the order is refunded as every order is, to the balance that paid it
    # (services/refunds.py); one never paid (it lapsed, or its keys were gone) gives its charge back here.
    if order.status in NEVER_PAID and deps.store.resellers.give_back(reseller.id, kept.request_id, deps.clock()):
        log.warning("wholesale order not delivered: charge given back",
                    extra={"reseller": reseller.id, "order_id": order.id, "status": order.status.value})
    return _answer(kept, order, "failed", deps)


def _place_order(reseller: Reseller, kept: ResellerCharge, deps: Deps, buyer_fields: dict[str, str] | None) -> Order:
    book = _book(reseller, deps)
    line = book.skus.get(kept.sku)
    now = deps.clock()
    try:
        # A top-up's account is checked like a shopper's; a retry that lost the fields cannot place it.
        fields = check_buyer_fields(line.fields, buyer_fields, book.language) if line is not None else ()
    except InvalidRequest as refused:
        deps.store.resellers.give_back(reseller.id, kept.request_id, now)
        raise WholesaleRefused("invalid_account", refused.message) from None
    available = deps.store.inventory.stock([kept.sku])[kept.sku].available if line is not None and line.supply else 0
    delivery = delivery_for(line.kind, bool(line.supply), available, kept.quantity) if line is not None else Delivery.STOCK
    email = reseller.email
    buyer = shopper_key(email, deps)
    expires_at = now + deps.settings.reservation_ttl
    unit = kept.amount // kept.quantity
    try:
        order = deps.store.orders.place_order(Order(
            id=kept.order_id, station=book.station, sku=kept.sku, title=line.title if line else kept.sku,
            quantity=kept.quantity, unit_price=unit, unit_wholesale=unit, total=kept.amount,
            currency=book.currency, email=email, shopper_key=buyer,
            # Nobody looks a wholesale order up by password or token: both are random and thrown away.
            password_hash=password_digest(deps.cipher.keyed_hash, secrets.token_urlsafe(16), buyer),
            token_hash=hash_token(new_token()), status=OrderStatus.PENDING, created_at=now, updated_at=now,
            expires_at=expires_at, due_at=expires_at, delivery=delivery, buyer_fields=fields,
            delivery_hours=line.delivery_hours if line is not None else None,
            quotas=_loop_quota(line)))
    except Duplicate:
        # A racing retry of the same request placed it first.
        return deps.store.orders.order(kept.order_id)
    except SoldOut:
        deps.store.resellers.give_back(reseller.id, kept.request_id, now)
        raise WholesaleRefused("out_of_stock", "上游库存不足，未扣款") from None
    if line is not None:
        check_low_stock(order.sku, line.low_stock, deps, owner=line.owner)
    return order


def _pay_and_release(reseller: Reseller, kept: ResellerCharge, order: Order, deps: Deps) -> Order:
    """Apply what a payment of the order's total would, then deliver it as the shop delivers every order."""
    if order.status in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        event = PaymentEvent(id=wholesale_event_id(reseller.id, kept.request_id), kind=PaymentKind.COMPLETED,
                             order_id=order.id, session_id=None, paid=True, amount=order.total,
                             currency=order.currency, payment_ref=payment_ref(reseller.id))
        change = decide_payment(order, event, deps.clock())
        if change is not None:
            try:
                deps.store.orders.apply(change, deps.clock())
            except SoldOut:
                pass  # a lapsed reservation whose keys are gone: it stays expired, and the charge goes back
    if deps.store.orders.order(order.id).status in (OrderStatus.PAID, OrderStatus.AWAITING_DELIVERY):
        _deliver_within_budget(order.id, deps)
    return deps.store.orders.order(order.id)


def _deliver_within_budget(order_id: str, deps: Deps) -> None:
    """Deliver, waiting at most the settings' wholesale_wait. A supplier still answering after that finishes
    in the background, and the answer is "pending" (202): the reseller asks again with the same request id
    (GET /api/wholesale/orders/{request_id}, or the same POST), which finds the same order; should the process stop first, its attempt is recorded as placed and the sweeper asks
    the supplier again (services/supply_routing.py), so the order is never bought twice."""
    failed: list[BaseException] = []
    answered = threading.Event()

    def deliver() -> None:
        try:
            deliver_paid(order_id, deps)
        except BaseException as error:  # handed to the waiting request, or logged once it has answered
            failed.append(error)
            if answered.is_set():
                log.exception("wholesale delivery failed after the answer", extra={"order_id": order_id})

    worker = threading.Thread(target=deliver, name=f"wholesale-{order_id}", daemon=True)
    worker.start()
    budget = deps.settings.wholesale_wait.total_seconds()
    worker.join(budget)
    if worker.is_alive():
        answered.set()
        log.warning("wholesale delivery still under way past the wait budget: answered pending",
                    extra={"order_id": order_id, "budget_seconds": budget})
        return
    if failed:
        raise failed[0]


def _loop_quota(line: PricedSku | None) -> tuple[Quota, ...]:
    """A loop credential's sales are counted for resellers as for shoppers."""
    if line is None or line.loop_limit is None:
        return ()
    return (Quota(kind=QuotaKind.LOOP, counter=f"LOOP#{line.sku}", holder=EVERYONE, cap=line.loop_limit),)


def _answer(kept: ResellerCharge, order: Order | None, status: str, deps: Deps) -> dict:
    keys, receipt = [], None
    if order is not None and status == "delivered":
        # The same goods the shop's own order page shows: keys, a loop credential, or a top-up's receipt.
        shown = view(order, deps)
        keys = [{"code": key["code"], "password": key["password"]} for key in shown["keys"]]
        receipt = shown["receipt"] or shown["message"]
    quantity = order.quantity if order is not None else 0
    return {"request_id": kept.request_id, "order_id": kept.order_id, "status": status,
            "sku": order.sku if order else None, "quantity": quantity,
            # A top-up done in part is delivered with the rest refunded to the balance: only what was done counts.
            "quantity_delivered": len(keys) if keys or status != "delivered" else quantity - (order.short if order else 0),
            "unit_cost": kept.amount // quantity if quantity else 0, "amount": kept.amount,
            "currency": order.currency if order else None, "keys": keys, "receipt": receipt,
            "charged": not (deps.store.resellers.charge_of(kept.reseller_id, kept.request_id).given_back
                            or (order is not None and order.status is OrderStatus.REFUNDED))}
