"""Mail to shoppers and the owner: delivery notices and low-stock alerts.

Messages are Jinja2 text templates in `templates/mail/<name>.<language>.txt`
(the folder wiring puts in `Settings.mail_templates`), first line the subject.
They are plain text (autoescape off) and only ever given values the shop itself
holds: titles from the price book, numbers, links; never anything a shopper
typed. A mail that cannot be sent is logged and never undoes the sale it reports.
"""
from __future__ import annotations

import functools
import logging
import time
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import TYPE_CHECKING

from kameng.deps import Deps
from kameng.domain.money import format_minor
from kameng.domain.fulfilment import Kind
from kameng.domain.order import Order, OrderStatus
from kameng.domain.owners import Role
from kameng.domain.price_book import DEFAULT_TIME_ZONE, PriceBook
from kameng.ports.store import StockCount
from kameng.services import lookup
from kameng.services.order_link import open_token, order_page

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


@functools.cache
def _environment(folder: Path) -> jinja2.Environment:
    # Imported on the first mail: most calls (a duplicate webhook, a stock check) send none.
    import jinja2

    # Text mail: HTML escaping would garble "&" in a link; no value here is markup from a user.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder), autoescape=False, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(name: str, language: str, folder: Path | None, **values: object) -> tuple[str, str]:
    if folder is None:
        raise LookupError("no mail templates folder is configured (Settings.mail_templates)")
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = _environment(folder).get_template(f"{name}.{chosen}.txt").render(**values)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")


def send_delivery_mail(order: Order, deps: Deps) -> bool:
    """Tell the shopper their keys are ready, with the order link (and the keys, where the station
    mails them); False when no mail went out."""
    return _send_order_mail("delivered", order, deps)


def send_awaiting_mail(order: Order, deps: Deps) -> bool:
    """Tell the buyer of a manual product that it is paid and by when it will be delivered (or refunded)."""
    return _send_order_mail("awaiting", order, deps)


def mailed_keys(order: Order, book: PriceBook | None, deps: Deps) -> list[dict]:
    """The card keys a delivery mail lists: those the order page opens for its holder, and only where
    the station mails them. A top-up's receipt or a hand delivery never goes by mail: the page shows it."""
    line = book.line(order.sku) if book is not None and book.mail_keys else None
    if line is None or line.kind is not Kind.CARD_KEY or order.status is not OrderStatus.DELIVERED:
        return []
    return lookup.view(order, deps)["keys"]


def _send_order_mail(template: str, order: Order, deps: Deps) -> bool:
    try:
        token = open_token(order, deps)
        if token is None:
            log.warning("order has no sealed token: no mail", extra={"order_id": order.id, "mail": template})
            return False
        book = deps.store.price_books.price_book(order.station)
        domain = book.domain if book is not None else order.station
        language = book.language if book is not None else DEFAULT_LANGUAGE
        zone = ZoneInfo(book.time_zone if book is not None else DEFAULT_TIME_ZONE)
        order_url = f"{order_page(deps, order.station, domain, order.id)}#t={token}"
        deliver_by = None if order.deliver_by is None else f"{order.deliver_by.astimezone(zone):%Y-%m-%d %H:%M}"
        subject, body = render(
            template, language, deps.settings.mail_templates, station_name=shop_name(book, order.station),
            keys=mailed_keys(order, book, deps) if template == "delivered" else [], order_id=order.id,
            title=order.title, quantity=order.quantity,
            total=format_minor(order.total, order.currency), order_url=order_url, deliver_by=deliver_by,
        )
        deps.mail.send(order.email, subject, body)
        return True
    except Exception:
        log.exception("%s mail failed; the order stands all the same", "delivery" if template == "delivered" else template,
                      extra={"order_id": order.id})
        return False


def shop_name(book: PriceBook | None, station: str) -> str:
    """How a mail to a shopper names the shop: its name, else (a book without one) its domain."""
    if book is None:
        return station
    return book.name or station_name(station, book.domain)


def station_name(station: str, domain: str) -> str:
    # A book without a name: the domain, what the shopper sees in the address bar and in the link.
    return domain or station


_last_checked: dict[str, float] = {}


def low_stock_of(station: str, sku: str, content_low_stock: int, deps: Deps) -> int:
    """The threshold in force at a station: the one its owner set in the console, else the price book's."""
    return deps.store.inventory.low_stock_thresholds(station).get(sku, content_low_stock)


def check_low_stock(sku: str, low_stock: int, deps: Deps, counted: StockCount | None = None,
                    owner: str | None = None) -> bool:
    """Tell the owner once when a SKU falls below its threshold; True when this call sent the alert.

    The keys are the main station's supply and the alert is one per SKU for the whole shop, so the
    threshold is the main station's: the one its owner set in the console, else `low_stock` (content's).
    A substation's own threshold only marks the SKU low in that station's console. A substation's own
    goods (`owner`, the price-book line's) are that station's stock: its threshold, its owners' alert.
    Costs two reads, plus one conditional write only when the level crosses the threshold: of two sales
    that cross it at once, only one wins the write.
    """
    interval = deps.settings.low_stock_check_seconds
    if interval > 0 and counted is None:
        now = time.monotonic()
        # The check is level-triggered, so a skipped one is caught by the next.
        if now - _last_checked.get(sku, float("-inf")) < interval:
            return False
        _last_checked[sku] = now
    try:
        low_stock = low_stock_of(owner or deps.settings.main_station, sku, low_stock, deps)
        counted = counted or deps.store.inventory.stock([sku])[sku]
        if counted.available >= low_stock or counted.low_alerted:
            return False
        if not deps.store.inventory.set_low_stock_alert(sku, True):
            return False
        _send_stock_alert(sku, low_stock, counted, deps, owner)
        return True
    except Exception:
        log.exception("low-stock check failed", extra={"sku": sku})
        return False


def check_low_stock_of(order: Order, deps: Deps) -> bool:
    """After a late payment reserved fresh keys: the same check as at checkout, for the order's SKU."""
    try:
        book = deps.store.price_books.price_book(order.station)
        line = book.line(order.sku) if book is not None else None
    except Exception:
        log.exception("low-stock check failed", extra={"sku": order.sku})
        return False
    return line is not None and check_low_stock(order.sku, line.low_stock, deps, owner=line.owner)


def after_restock(sku: str, deps: Deps, station: str | None = None) -> bool:
    """A restock that lifts the SKU back to its threshold re-arms the alert; True when it did. `station`:
    whose goods the SKU is (import_keys.stock_holder), the main station's by default."""
    try:
        station = station or deps.settings.main_station
        book = deps.store.price_books.price_book(station)
        line = book.line(sku) if book is not None else None
        if line is None:
            return False
        counted = deps.store.inventory.stock([sku])[sku]
        if counted.available < low_stock_of(station, sku, line.low_stock, deps):
            # Still below: a restock that does not lift it leaves the owner's last alert standing.
            return False
        return counted.low_alerted and deps.store.inventory.set_low_stock_alert(sku, False)
    except Exception:
        log.exception("low-stock re-arm failed", extra={"sku": sku})
        return False


def _send_stock_alert(sku: str, low_stock: int, counted: StockCount, deps: Deps, owner: str | None) -> None:
    book = deps.store.price_books.price_book(owner or deps.settings.main_station)
    line = book.line(sku) if book is not None else None
    title = line.title if line is not None else sku
    language = book.language if book is not None else DEFAULT_LANGUAGE
    extra = {"sku": sku, "available": counted.available, "low_stock": low_stock}
    # The message names the SKU too: a terminal (the CLI, the local server) shows messages, not extras.
    log.warning("stock is low: %s has %d left (threshold %d)", sku, counted.available, low_stock, extra=extra)
    recipients = _stock_keepers(owner, deps)
    if not recipients:
        return
    subject, body = render("stock_low", language, deps.settings.mail_templates, sku=sku, title=title,
                           available=counted.available, low_stock=low_stock)
    for recipient in recipients:
        try:
            deps.mail.send(recipient, subject, body)
        except Exception:
            log.exception("low-stock mail failed", extra=extra)


def _stock_keepers(owner: str | None, deps: Deps) -> list[str]:
    """Who restocks the SKU: the platform owner for the main station's supply; for a substation's own goods,
    that station's owners (the platform owner only when it has none yet, so the alert is never lost)."""
    if owner is not None and owner != deps.settings.main_station:
        found = sorted({o.email for o in deps.store.owners.owners(owner)
                        if o.role is Role.STATION_OWNER and o.station == owner})
        if found:
            return found
    return [deps.settings.owner_email] if deps.settings.owner_email else []
