"""Deps built from the environment once per process; tests build their own."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Callable, Generic, TypeVar

from kameng import config as configuration
from kameng import rail_wiring
from kameng.adapters import secret_file
from kameng.adapters.cipher_local import LocalCipher
from kameng.adapters.gateway_sandbox import SandboxGateway, Send, post_webhooks
from kameng.adapters.mail_outbox import OutboxMail
from kameng.adapters.sqlite import open_store as open_sqlite_store
from kameng.adapters.supplier_directory import SupplierDirectory
from kameng.deps import Deps, Settings
from kameng.domain.price_book import PriceBook

T = TypeVar("T")


def store(config: configuration.Config):
    if config.store == "dynamodb":
        import boto3
        from botocore.config import Config as BotoConfig

        from kameng.adapters.dynamodb import open_store as open_dynamodb_store

        client = boto3.client("dynamodb", endpoint_url=config.dynamodb_endpoint,
                              config=BotoConfig(retries={"mode": "standard", "max_attempts": 8}))
        return open_dynamodb_store(config.table, client=client)
    return open_sqlite_store(config.sqlite_path)


def gateway(config: configuration.Config, sandbox_webhooks: Send | None = None):
    """`sandbox_webhooks`: how the sandbox delivers its webhooks (default: HTTP POSTs to KAMENG_WEBHOOK_URL)."""
    if config.chosen_gateway == "none":
        from kameng.adapters.gateway_off import NoStripe

        return NoStripe()
    if config.chosen_gateway == "stripe":
        from kameng.adapters.gateway_stripe import StripeGateway

        return StripeGateway(config.stripe_secret_key, config.stripe_webhook_secret,
                             methods=tuple(m.strip() for m in config.stripe_methods.split(",") if m.strip()))
    webhook_secret = config.webhook_secret or "whsec_" + secret_file.load_or_create(
        config.data_dir / "sandbox-webhook.secret", 24).hex()
    return SandboxGateway(config.data_dir / "sandbox.db", config.sandbox_url, webhook_secret,
                          sandbox_webhooks or post_webhooks(config.webhook_url))


def cipher(config: configuration.Config):
    if config.cipher == "kms":
        from kameng.adapters.cipher_kms import KmsCipher

        return KmsCipher(config.kms_key_id, hash_key=config.hash_key)
    return LocalCipher.from_file(config.master_key_file)


def mail(config: configuration.Config):
    if config.mail == "ses":
        from kameng.adapters.mail_ses import SesMail

        return SesMail(config.mail_from, configuration_set=config.ses_configuration_set)
    return OutboxMail(config.data_dir / "outbox")


def uploads(config: configuration.Config):
    if config.uploads_bucket:
        import boto3
        from botocore.config import Config as BotoConfig

        from kameng.adapters.uploads_s3 import S3Uploads

        # SigV4 signs the upload's Content-Length into the URL; SigV2 URLs would not bound it.
        return S3Uploads(boto3.client("s3", config=BotoConfig(signature_version="s3v4")), config.uploads_bucket)
    from kameng.adapters.uploads_local import LocalUploads

    # The console sends the file, and its CSP lets it connect to its own origin only (the local server
    # takes /_uploads/ on every host name).
    return LocalUploads.in_data_dir(config.data_dir, config.console_url)


def real_name_check(config: configuration.Config):
    if config.real_name.provider == "tencent":
        from kameng.adapters.real_name_tencent import ENDPOINT, TencentRealNameCheck

        settings = config.real_name
        return TencentRealNameCheck(settings["KAMENG_TENCENT_SECRET_ID"], settings["KAMENG_TENCENT_SECRET_KEY"],
                                    endpoint=settings["KAMENG_TENCENT_FACEID_ENDPOINT"] or ENDPOINT)
    from kameng.adapters.real_name_sandbox import SandboxRealNameCheck

    return SandboxRealNameCheck()


def suppliers(chosen_store, config: configuration.Config) -> SupplierDirectory:
    def sources():
        book = chosen_store.price_books.price_book(config.main_station)
        return {} if book is None else book.suppliers

    def callback(name: str) -> str | None:
        # Suppliers call back on the main station's own address, where /api/* reaches the functions.
        book = chosen_store.price_books.price_book(config.main_station)
        if book is None:
            return None
        base = config.public_url.format(station=book.station, domain=book.domain).rstrip("/")
        return f"{base}/api/suppliers/{name}/callback"

    return SupplierDirectory(sources, callbacks=callback)


def main_station_url(chosen_store, config: configuration.Config) -> str:
    """The main station's own address, where a rail may post what belongs to no one station."""
    book = chosen_store.price_books.price_book(config.main_station)
    domain = book.domain if book is not None else config.main_station
    return config.public_url.format(station=config.main_station, domain=domain).rstrip("/")


def build(config: configuration.Config, sandbox_webhooks: Send | None = None) -> Deps:
    chosen_store = store(config)
    return Deps(
        store=chosen_store,
        suppliers=suppliers(chosen_store, config),
        gateway=gateway(config, sandbox_webhooks),
        rails=rail_wiring.rails(config, lambda rail: f"{main_station_url(chosen_store, config)}/api/webhooks/{rail}"),
        cipher=cipher(config),
        mail=mail(config),
        uploads=uploads(config),
        real_name_check=real_name_check(config),
        settings=Settings(
            main_station=config.main_station,
            reservation_ttl=timedelta(minutes=config.reservation_minutes),
            unopened_hold=timedelta(minutes=config.unopened_hold_minutes),
            wholesale_wait=timedelta(seconds=config.wholesale_wait_seconds),
            public_url=config.public_url,
            console_url=config.console_url,
            owner_email=config.owner_email,
            # DynamoDB: reading a SKU's 64 shard counters after every sale would put a hot SKU's
            # sales rate on each counter partition's read limit; a few seconds' delay costs nothing.
            low_stock_check_seconds=2.0 if config.store == "dynamodb" else 0.0,
            mail_templates=configuration.MAIL_TEMPLATES,
        ),
    )


class Once(Generic[T]):
    """What a process builds from its configuration the first time it is asked for, and then keeps;
    tests choose their own with `use`."""

    def __init__(self, make: Callable[[configuration.Config], T]):
        self._make = make
        self._built: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._make(configuration.load())
        return self._built

    def use(self, chosen: T | None) -> None:
        self._built = chosen


_deps: Once[Deps] = Once(build)


def deps() -> Deps:
    return _deps.get()


def use(chosen: Deps | None) -> None:
    """Make every handler in this process use `chosen` (None: build from the environment again)."""
    _deps.use(chosen)


def publish_price_books(books: list[PriceBook]) -> None:
    store = deps().store
    for book in books:
        store.price_books.put_price_book(book)
