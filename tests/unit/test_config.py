"""Configuration: the embedded default needs nothing; every production choice names what it lacks."""
from __future__ import annotations

import base64

import pytest

from kameng.config import ConfigError, load

HASH_KEY = base64.b64encode(b"k" * 32).decode()


def test_the_embedded_default_needs_no_variable():
    config = load({})
    assert (config.store, config.chosen_gateway, config.cipher) == ("sqlite", "sandbox", "local")


def test_a_stripe_key_in_the_environment_chooses_stripe():
    config = load({"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_WEBHOOK_SECRET": "whsec_abc"})
    assert config.chosen_gateway == "stripe"


@pytest.mark.parametrize("env,named", [
    ({"KAMENG_STORE": "dynamodb"}, "KAMENG_TABLE"),
    ({"KAMENG_GATEWAY": "stripe"}, "STRIPE_SECRET_KEY"),
    ({"STRIPE_SECRET_KEY": "sk_test_abc"}, "STRIPE_WEBHOOK_SECRET"),
    ({"KAMENG_CIPHER": "kms", "KAMENG_HASH_KEY": HASH_KEY}, "KAMENG_KMS_KEY_ID"),
    ({"KAMENG_CIPHER": "kms", "KAMENG_KMS_KEY_ID": "alias/kameng"}, "KAMENG_HASH_KEY"),
    ({"KAMENG_STORE": "postgres"}, "KAMENG_STORE"),
    ({"KAMENG_RESERVATION_MINUTES": "0"}, "KAMENG_RESERVATION_MINUTES"),
    ({"KAMENG_UNOPENED_HOLD_MINUTES": "0"}, "KAMENG_UNOPENED_HOLD_MINUTES"),
    # Past the HTTP API's 30 s the reseller would get a 503 instead of "pending".
    ({"KAMENG_WHOLESALE_WAIT_SECONDS": "30"}, "KAMENG_WHOLESALE_WAIT_SECONDS"),
    ({"KAMENG_WHOLESALE_WAIT_SECONDS": "soon"}, "KAMENG_WHOLESALE_WAIT_SECONDS"),
])
def test_a_missing_or_wrong_value_is_named(env, named):
    with pytest.raises(ConfigError) as refused:
        load(env)
    assert named in str(refused.value)


def test_a_short_hash_key_is_refused_without_echoing_it():
    short = base64.b64encode(b"secret-bytes").decode()
    with pytest.raises(ConfigError) as refused:
        load({"KAMENG_CIPHER": "kms", "KAMENG_KMS_KEY_ID": "alias/k", "KAMENG_HASH_KEY": short})
    assert "KAMENG_HASH_KEY" in str(refused.value) and short not in str(refused.value)


def test_a_stripe_secret_never_appears_in_an_error():
    with pytest.raises(ConfigError) as refused:
        load({"STRIPE_SECRET_KEY": "sk_test_verysecret", "STRIPE_WEBHOOK_SECRET": "not-a-whsec-verysecret"})
    assert "verysecret" not in str(refused.value)


def test_the_hold_before_the_pay_page_is_opened_is_three_minutes_unless_told():
    assert (load({}).unopened_hold_minutes, load({"KAMENG_UNOPENED_HOLD_MINUTES": "5"}).unopened_hold_minutes) == (3, 5)



def test_a_wholesale_order_waits_25_seconds_for_suppliers_unless_told():
    assert load({}).wholesale_wait_seconds == 25
    assert load({"KAMENG_WHOLESALE_WAIT_SECONDS": "12.5"}).wholesale_wait_seconds == 12.5
