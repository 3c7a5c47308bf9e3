"""Mail to shoppers and the owner: delivery notices and low-stock alerts.

Messages are Jinja2 text templates in `templates/mail/<name>.<language>.txt`,
first line the subject. They are plain text (autoescape off) and only ever
given values the shop itself holds: titles from the price book, numbers,
links; never anything a shopper typed. A mail that cannot be sent is logged
and never undoes the sale it reports.
"""
from __future__ import annotations

import base64
import functools
import logging
import secrets
import time
from pathlib import Path

from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kameng.config import REPO
from kameng.deps import Deps
from kameng.domain.money import format_minor
from kameng.domain.order import Order
from kameng.ports import StockCount

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

# The folder holding the kameng package: functions/ in the repository, the code root in Lambda.
CODE_ROOT = Path(__file__).resolve().parents[2]


def mail_templates(code_root: Path = CODE_ROOT) -> Path:
    """templates/mail beside the package where `make deploy` put it, else the repository's own."""
    # templates/mail in the repository is the one source; sam build ships only functions/.
    packaged = code_root / "templates" / "mail"
    return packaged if packaged.is_dir() else REPO / "templates" / "mail"


MAIL_TEMPLATES = mail_templates()
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


def render(name: str, language: str, folder: Path = MAIL_TEMPLATES, **values: object) -> tuple[str, str]:
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = _environment(folder).get_template(f"{name}.{chosen}.txt").render(**values)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")


def token_context(order_id: str) -> bytes:
    return f"order-token/{order_id}".encode()


def _token_key(order_id: str, deps: Deps) -> AESGCM:
    # Not cipher.seal: on AWS that is KMS under the card-key context, which only the order
    # pages may open and only the import may seal (infra/template.yaml). Checkout and the
    # delivery paths all hold the shop's hash key, so the order's own key is derived from it.
    return AESGCM(bytes.fromhex(deps.cipher.keyed_hash("order-token-seal", order_id)))


def seal_token(token: str, order_id: str, deps: Deps) -> str:
    nonce = secrets.token_bytes(12)
    sealed = nonce + _token_key(order_id, deps).encrypt(nonce, token.encode(), token_context(order_id))
    return base64.b64encode(sealed).decode("ascii")


def open_token(order: Order, deps: Deps) -> str | None:
    if not order.token_sealed:
        return None
    sealed = base64.b64decode(order.token_sealed)
    return _token_key(order.id, deps).decrypt(sealed[:12], sealed[12:], token_context(order.id)).decode()


def send_delivery_mail(order: Order, deps: Deps) -> bool:
    """Tell the shopper their keys are ready, with the order link; False when no mail went out."""
    from kameng.services.checkout import order_page

    try:
        token = open_token(order, deps)
        if token is None:
            log.warning("delivered order has no sealed token: no delivery mail", extra={"order_id": order.id})
            return False
        book = deps.store.price_books.price_book(order.station)
        domain = book.domain if book is not None else order.station
        language = book.language if book is not None else DEFAULT_LANGUAGE
        order_url = f"{order_page(deps, order.station, domain, order.id)}#t={token}"
        subject, body = render(
            "delivered", language, station_name=station_name(order.station, domain), order_id=order.id,
            title=order.title, quantity=order.quantity, total=format_minor(order.total, order.currency),
            order_url=order_url,
        )
        deps.mail.send(order.email, subject, body)
        return True
    except Exception:
        log.exception("delivery mail failed; the order is delivered all the same", extra={"order_id": order.id})
        return False


def station_name(station: str, domain: str) -> str:
    # The price book carries the station's domain, not its display name: the domain is what
    # the shopper sees in the address bar and in the link.
    return domain or station


_last_checked: dict[str, float] = {}


def check_low_stock(sku: str, low_stock: int, deps: Deps, counted: StockCount | None = None) -> bool:
    """Tell the owner once when a SKU falls below its threshold; True when this call sent the alert.

    Costs one read, plus one conditional write only when the level crosses the
    threshold: of two sales that cross it at once, only one wins the write.
    """
    interval = deps.settings.low_stock_check_seconds
    if interval > 0 and counted is None:
        now = time.monotonic()
        # The check is level-triggered, so a skipped one is caught by the next.
        if now - _last_checked.get(sku, float("-inf")) < interval:
            return False
        _last_checked[sku] = now
    try:
        counted = counted or deps.store.inventory.stock([sku])[sku]
        if counted.available >= low_stock or counted.low_alerted:
            return False
        if not deps.store.inventory.set_low_stock_alert(sku, True):
            return False
        _send_stock_alert(sku, low_stock, counted, deps)
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
    return line is not None and check_low_stock(order.sku, line.low_stock, deps)


def after_restock(sku: str, deps: Deps) -> bool:
    """A restock that lifts the SKU back to its threshold re-arms the alert; True when it did."""
    try:
        book = deps.store.price_books.price_book(deps.settings.main_station)
        line = book.line(sku) if book is not None else None
        if line is None:
            return False
        counted = deps.store.inventory.stock([sku])[sku]
        if counted.available < line.low_stock:
            # Still below: a restock that does not lift it leaves the owner's last alert standing.
            return False
        return counted.low_alerted and deps.store.inventory.set_low_stock_alert(sku, False)
    except Exception:
        log.exception("low-stock re-arm failed", extra={"sku": sku})
        return False


def _send_stock_alert(sku: str, low_stock: int, counted: StockCount, deps: Deps) -> None:
    book = deps.store.price_books.price_book(deps.settings.main_station)
    line = book.line(sku) if book is not None else None
    title = line.title if line is not None else sku
    language = book.language if book is not None else DEFAULT_LANGUAGE
    extra = {"sku": sku, "available": counted.available, "low_stock": low_stock}
    # The message names the SKU too: a terminal (the CLI, the local server) shows messages, not extras.
    log.warning("stock is low: %s has %d left (threshold %d)", sku, counted.available, low_stock, extra=extra)
    if not deps.settings.owner_email:
        return
    subject, body = render("stock_low", language, sku=sku, title=title, available=counted.available,
                           low_stock=low_stock)
    try:
        deps.mail.send(deps.settings.owner_email, subject, body)
    except Exception:
        log.exception("low-stock mail failed", extra=extra)
