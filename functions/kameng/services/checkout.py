"""Place an order: price it from the published book, reserve keys, open a payment session."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kameng.deps import Deps
from kameng.domain.errors import UnknownStation
from kameng.domain.ids import new_id, new_token
from kameng.domain.order import Order, OrderStatus
from kameng.domain.coupons import CouponRule
from kameng.domain.member import Member
from kameng.domain.fulfilment import Delivery, check_buyer_fields, delivery_for
from kameng.domain.price_book import PriceBook, PricedOrder, PricedSku, price_order
from kameng.domain.holds import unpaid_quotas
from kameng.domain.quota import flash_sale_id, quotas_for
from kameng.domain.rails import chosen_rail
from kameng.domain.split import application_fee, platform_fee
from kameng.domain.stats import station_day
from kameng.domain.shopper import Email, ShopperCredentials, hash_token, password_digest
from kameng.ports.store import MAX_KEYS_PER_ORDER
from kameng.services.membership import check_coupon_uses, commissions_for, find_coupon
from kameng.services.lookup import shopper_key as shopper_key_of
from kameng.services.notify import check_low_stock
from kameng.services.order_link import order_page, pay_link, seal_token
from kameng.services.pay_rails import open_payment
from kameng.services.real_name import require_for_checkout as require_real_name
from kameng.services import risk

STATION_ID = r"^[a-z0-9][a-z0-9-]{1,31}$"
# How long the buying browser keeps the order's token, so the order page opens without the link.
ORDER_TOKEN_KEPT = timedelta(days=30)


class OrderLine(BaseModel):
    # Anything else the client sends (a price, a total) is ignored, never believed.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    station: str = Field(pattern=STATION_ID)
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, ge=1, le=MAX_KEYS_PER_ORDER)
    coupon: str | None = Field(default=None, max_length=40)

    @field_validator("coupon", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # An empty coupon box in a form is no coupon.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("quantity", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        # JSON true would otherwise pass as 1: a broken client must hear about it, not buy silently.
        if isinstance(value, bool):
            raise ValueError("须为整数")
        return value


class CheckoutRequest(ShopperCredentials, OrderLine):
    # A direct top-up's account fields, by the names the product declares (checked against its patterns).
    fields: dict[str, str] | None = Field(default=None, max_length=8)
    # The payment rail the shopper chose (None: the station's first), and a business buyer's invoice details.
    rail: str | None = Field(default=None, max_length=16)
    invoice_title: str | None = Field(default=None, max_length=100)
    invoice_tax_id: str | None = Field(default=None, max_length=20)

    # Named apart from OrderLine's `_blank_is_none`: a validator of the same name would replace it (the coupon's).
    @field_validator("rail", "invoice_title", "invoice_tax_id", mode="before")
    @classmethod
    def _blank_choice_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="before")
    @classmethod
    def _form_fields(cls, data: object) -> object:
        # The buy form without JavaScript posts them flat, as "fields.phone".
        if isinstance(data, dict):
            flat = {name[len("fields."):]: value for name, value in data.items()
                    if isinstance(name, str) and name.startswith("fields.")}
            if flat:
                data = {name: value for name, value in data.items() if not str(name).startswith("fields.")} | {"fields": flat}
        return data


class QuoteRequest(OrderLine):
    # Optional: with it, the shopper's own coupons and (signed in) their level count.
    email: Email | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _blank_email_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@dataclass(frozen=True)
class Client:
    """What else names the client besides its e-mail, which a hoarder can change at will."""

    address: str | None = None
    device: str | None = None  # the first-party device cookie's value
    paying_from: str = "desktop"  # domain/rails.paying_from of its User-Agent


def client_names(shopper_key: str, client: Client, deps: Deps) -> tuple[list[str], str | None]:
    """The names the client's unpaid holds are counted under: its e-mail and device, and its address.

    Keyed hashes, so the store keeps neither the address nor the cookie; the prefixes keep the
    three apart. A loopback or private address names a network, not a client (the local server,
    a load test), so only a public one counts.
    """
    names = [f"e.{shopper_key}"]
    if client.device:
        names.append("d." + deps.cipher.keyed_hash("unpaid-device", client.device))
    address = None
    if client.address and _is_public(client.address):
        address = "a." + deps.cipher.keyed_hash("unpaid-address", client.address)
    return names, address


def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


@dataclass(frozen=True)
class Placed:
    order: Order
    token: str
    pay_url: str
    order_url: str

    def public_view(self) -> dict:
        return {
            "order_id": self.order.id,
            "pay_url": self.pay_url,
            "order_url": self.order_url,
            **self.order.charges(),
            "currency": self.order.currency,
            "expires_at": self.order.expires_at.isoformat(),
        }


@dataclass(frozen=True)
class Pricing:
    priced: PricedOrder
    coupon: CouponRule | None
    member: Member


def price_for(book: PriceBook, sku: str, quantity: int, coupon: str | None, shopper_key: str | None,
              signed_in: bool, deps: Deps, own_uses: bool = True) -> Pricing:
    """Price an order from the published book and what the store knows of this shopper.

    The member level counts only for a signed-in shopper buying with their own
    e-mail: an address typed at checkout proves nothing about who types it.
    `own_uses`: whether to say now that this shopper's uses of the coupon are
    gone (a quote does so only for the signed-in owner of the address, or it
    would tell anyone whether an address has shopped here).
    """
    now = deps.clock()
    member = deps.store.members.member(book.station, shopper_key) if shopper_key else Member(station=book.station, shopper_key="")
    rule = None
    if coupon is not None:
        # Without an e-mail only the station's own codes can be found (a personal coupon has an owner).
        rule = find_coupon(book, coupon, shopper_key or "", signed_in, deps)
        check_coupon_uses(book.station, rule, shopper_key if own_uses else None, deps)
    priced = price_order(book, sku, quantity, now, spend=member.spend if signed_in else 0, coupon=rule)
    return Pricing(priced, rule, member)


def quote(request: QuoteRequest, deps: Deps, session_shopper: str | None = None) -> dict:
    """What checkout would charge this shopper now, and why: shown before payment, decided again at checkout."""
    book = deps.store.price_books.price_book(request.station)
    if book is None:
        raise UnknownStation(f"站点不存在：{request.station}")
    shopper_key = shopper_key_of(request.email, deps) if request.email else session_shopper
    signed_in = session_shopper is not None and session_shopper == shopper_key
    priced = price_for(book, request.sku, request.quantity, request.coupon, shopper_key, signed_in, deps,
                       own_uses=signed_in).priced
    return {
        "sku": priced.line.sku, "quantity": priced.quantity, "unit_price": priced.unit_price,
        "subtotal": priced.subtotal, "level": priced.charged_level,
        "level_discount": priced.level_discount, "coupon": priced.coupon, "coupon_discount": priced.coupon_discount,
        "coupon_capped": priced.coupon_capped, "total": priced.total, "currency": priced.currency, "flash_sale": priced.flash_sale is not None,
        "signed_in": session_shopper is not None,
    }


def _delivery(book: PriceBook, line: PricedSku, quantity: int, deps: Deps) -> Delivery:
    """Stock while it lasts; a card key the stock cannot cover is bought from the SKU's suppliers once paid,
    unless their synced cost is above what this station charges (NotSelling)."""
    available = deps.store.inventory.stock([line.sku])[line.sku].available if line.supply else 0
    delivery = delivery_for(line.kind, bool(line.supply), available, quantity)
    if delivery is Delivery.SUPPLIER:
        from kameng.services.supply_sync import check_selling  # only orders bought from suppliers need it

        check_selling(book, line, deps)
    return delivery


def place(request: CheckoutRequest, deps: Deps, session_shopper: str | None = None,
          client: Client = Client()) -> Placed:
    """Place an order; `session_shopper` is the signed-in shopper's key at this station, if any."""
    book = deps.store.price_books.price_book(request.station)
    if book is None:
        raise UnknownStation(f"站点不存在：{request.station}")
    now = deps.clock()
    shopper_key = shopper_key_of(request.email, deps)
    risk.screen(book, request.email, client.address, deps)
    pricing = price_for(book, request.sku, request.quantity, request.coupon, shopper_key,
                        session_shopper == shopper_key, deps)
    priced = pricing.priced
    require_real_name(book, priced, shopper_key, session_shopper == shopper_key, deps)
    commissions = commissions_for(book, pricing.member, priced)
    rail = chosen_rail(book, request.rail)
    deps.rail(rail)  # RailNotOffered before anything is held, where this deployment has no credentials for it
    token = new_token()
    # Held briefly until the pay step is opened (services/pay_step.py); the rail's session gets the
    # whole payment window, and the sweeper expires it as well when the brief hold lapses.
    expires_at = now + min(deps.settings.unopened_hold, deps.settings.reservation_ttl)
    order_id = new_id(now)
    line = priced.line
    names, address = client_names(shopper_key, client, deps)
    order = _place(book, Order(
        id=order_id, station=book.station, sku=priced.line.sku, title=priced.line.title,
        quantity=priced.quantity, unit_price=priced.unit_price, unit_wholesale=priced.line.wholesale,
        total=priced.total, currency=priced.currency, email=request.email, shopper_key=shopper_key,
        password_hash=password_digest(deps.cipher.keyed_hash, request.query_password, shopper_key), token_hash=hash_token(token),
        status=OrderStatus.PENDING, created_at=now, updated_at=now, expires_at=expires_at, due_at=expires_at,
        # Sealed, so the delivery mail can carry the order link; the store never holds the token in plain.
        token_sealed=seal_token(token, order_id, deps),
        # The store counts the flash sale's and the day's quantity, and the client's unpaid holds,
        # in the reservation's transaction, so racing checkouts cannot pass a cap together.
        flash_sale=None if priced.flash_sale is None else flash_sale_id(priced.flash_sale),
        quotas=quotas_for(priced, book.station, shopper_key, now, coupon=pricing.coupon)
        + unpaid_quotas(book.station, book.unpaid_holds, priced.quantity, names, address)
        + risk.velocity(book, names, address, deps),
        level=priced.charged_level, level_discount=priced.level_discount,
        coupon=priced.coupon, coupon_discount=priced.coupon_discount, commissions=commissions,
        platform_fee=platform_fee(priced, book, commissions, rail),
        application_fee=application_fee(priced, book, commissions, rail), payout_account=book.receiver(rail),
        rail=rail, invoice=_invoice(request),
        delivery=_delivery(book, line, priced.quantity, deps), delivery_hours=line.delivery_hours,
        buyer_fields=check_buyer_fields(line.fields, request.fields, book.language), own_goods=line.owner is not None,
        review=risk.review_rule(book, priced.total, priced.quantity),
    ), deps)
    check_low_stock(order.sku, priced.line.low_stock, deps, owner=priced.line.owner)
    base = deps.settings.station_url(book.station, book.domain)
    # The gateway gets the page without the token (it would keep it on the session);
    # the shopper's browser holds the token in a cookie, and the link below keeps it
    # in the fragment, which browsers never send to a server or in a Referer.
    success = order_page(deps, book.station, book.domain, order.id)
    open_payment(order, book, (success, f"{base}/p/{priced.line.product}/"), (client.paying_from, client.address or ""), deps)
    return Placed(order=order, token=token, pay_url=pay_link(order, book.domain, deps), order_url=f"{success}#t={token}")


def _place(book: PriceBook, order: Order, deps: Deps) -> Order:
    with risk.throttle_logged(book, deps):
        # Counted as a checkout started on the station's day, with the order (the dashboard's conversion).
        return deps.store.orders.place_order(order, day=station_day(order.created_at, ZoneInfo(book.time_zone)))


def _invoice(request: CheckoutRequest) -> tuple[tuple[str, str], ...]:
    """A business buyer's 发票抬头 and 税号, checked (the tax number by its check character); none asked, none kept."""
    if request.invoice_title is None and request.invoice_tax_id is None:
        return ()
    from kameng.domain.bank_transfer import check_invoice  # only business buyers send one

    return check_invoice(request.invoice_title or "", request.invoice_tax_id or "")
