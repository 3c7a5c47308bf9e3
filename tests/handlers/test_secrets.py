"""Card keys are encrypted at rest and never logged; what a shopper types to prove ownership is not kept in plain."""
from __future__ import annotations

import dataclasses
import logging

import pytest

COMPLETED_PAID = "stripe_checkout_session_completed_paid"
QUERY_PASSWORD = "qp-5f1e9c7d"


@pytest.fixture
def after_deliveries(stations, sku_with_keys, place, pay, sweep, lapsed_clock, payment_event, deliver_webhook, order_view,
                     lookup, caplog):
    """A day of trading: keys with passwords delivered by every method, a lapse, a late payment, lookups."""
    caplog.set_level(logging.DEBUG)
    stocked = sku_with_keys(6, passwords=True)
    placed = []
    for method in ("card", "alipay", "wechat_pay"):
        order = place(stations.substation, stocked.sku, query_password=QUERY_PASSWORD)
        pay(order, method)
        placed.append(order)
    late = place(stations.main, stocked.sku, 2, query_password=QUERY_PASSWORD)
    lapsed_clock()
    sweep()
    deliver_webhook(payment_event(late, COMPLETED_PAID))
    placed.append(late)
    for order in placed:
        order_view(order)
    lookup(query_password=QUERY_PASSWORD)
    delivered = [k for order in placed for k in order_view(order)["keys"]]
    assert len(delivered) == 5
    return stocked, placed


@pytest.fixture
def lapsed_clock(clock, deps):
    return lambda: clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() + 1)


def stored_bytes(data_dir) -> bytes:
    """The shop's store as it sits on disk: the SQLite file and its write-ahead log."""
    return b"".join(path.read_bytes() for path in sorted(data_dir.glob("kameng.db*")))


def logged_text(caplog) -> str:
    # The trading happened while the fixture was set up.
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert records, "nothing was logged: the test would prove nothing"
    return "\n".join(f"{r.getMessage()} {r.__dict__!r} {r.exc_text or ''}" for r in records)


def test_the_store_files_hold_no_plain_card_key(after_deliveries, data_dir):
    stocked, _ = after_deliveries
    raw = stored_bytes(data_dir)
    assert raw and [code for code in stocked.codes if code.encode() in raw] == []


def test_the_store_files_hold_no_plain_card_key_password(after_deliveries, data_dir):
    stocked, _ = after_deliveries
    raw = stored_bytes(data_dir)
    assert [password for password in stocked.passwords if password.encode() in raw] == []


def test_the_write_ahead_log_is_among_the_files_checked(after_deliveries, data_dir):
    assert (data_dir / "kameng.db-wal").exists()


def test_the_store_files_hold_no_plain_query_password(after_deliveries, data_dir):
    assert QUERY_PASSWORD.encode() not in stored_bytes(data_dir)


def test_the_store_files_hold_no_plain_order_token(after_deliveries, data_dir):
    _, placed = after_deliveries
    raw = stored_bytes(data_dir)
    assert [p.token for p in placed if p.token.encode() in raw] == []


def test_no_card_key_or_key_password_reaches_the_log(after_deliveries, caplog):
    stocked, _ = after_deliveries
    logged = logged_text(caplog)
    assert [secret for secret in stocked.codes + stocked.passwords if secret in logged] == []


def test_no_order_token_or_query_password_reaches_the_log(after_deliveries, caplog):
    _, placed = after_deliveries
    logged = logged_text(caplog)
    assert QUERY_PASSWORD not in logged and [p.token for p in placed if p.token in logged] == []


def test_a_stored_query_password_cannot_be_checked_without_the_shops_key(stations, sku_with_keys, place, deps):
    from kameng.adapters.cipher_local import LocalCipher
    from kameng.domain.shopper import password_digest

    stocked = sku_with_keys(1)
    order = deps.store.orders.order(place(stations.substation, stocked.sku, query_password=QUERY_PASSWORD).order_id)
    other_shop = LocalCipher(b"\x07" * 32)
    assert order.password_hash == password_digest(deps.cipher.keyed_hash, QUERY_PASSWORD, order.shopper_key)
    assert order.password_hash != password_digest(other_shop.keyed_hash, QUERY_PASSWORD, order.shopper_key)


def test_the_order_token_is_kept_only_sealed_and_opens_with_the_shops_key_alone(after_deliveries, deps):
    from kameng.adapters.cipher_local import LocalCipher
    from kameng.services.order_link import open_token

    _, placed = after_deliveries
    orders = [deps.store.orders.order(p.order_id) for p in placed]
    assert [p.token for p, order in zip(placed, orders) if p.token in order.model_dump_json()] == []
    assert [open_token(order, deps) for order in orders] == [p.token for p in placed]
    with pytest.raises(Exception):
        open_token(orders[0], dataclasses.replace(deps, cipher=LocalCipher(b"\x07" * 32)))


def test_a_sealed_token_does_not_open_for_another_order(after_deliveries, deps):
    from kameng.services.order_link import open_token

    _, placed = after_deliveries
    first, second = (deps.store.orders.order(p.order_id) for p in placed[:2])
    with pytest.raises(Exception):
        open_token(second.model_copy(update={"token_sealed": first.token_sealed}), deps)


def test_a_token_sealed_as_orders_have_always_kept_it_still_opens(stations, sku_with_keys, place, deps):
    import base64
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from kameng.services.order_link import open_token

    order = deps.store.orders.order(place(stations.substation, sku_with_keys(1).sku).order_id)
    # The stored format, written out: base64(nonce | AES-256-GCM), the key the order's keyed hash.
    key = AESGCM(bytes.fromhex(deps.cipher.keyed_hash("order-token-seal", order.id)))
    nonce = secrets.token_bytes(12)
    kept = nonce + key.encrypt(nonce, b"a-token-from-before", f"order-token/{order.id}".encode())
    stored = order.model_copy(update={"token_sealed": base64.b64encode(kept).decode("ascii")})
    assert open_token(stored, deps) == "a-token-from-before"


def test_the_delivery_mails_carry_the_order_links_and_the_log_does_not(after_deliveries, deps, caplog):
    _, placed = after_deliveries
    mailed = "\n".join(m.get_content() for m in deps.mail.sent())
    assert [p.token for p in placed if f"#t={p.token}" not in mailed] == []
    assert [p.token for p in placed if p.token in logged_text(caplog)] == []
