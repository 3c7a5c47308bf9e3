"""Suppliers' secrets kept in the shop's Secrets Manager secret reach the suppliers the functions call."""
from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone

import boto3
import pytest
import requests

from kameng import config
from kameng.adapters.supplier_directory import SupplierDirectory
from kameng.domain.errors import ResellerUnauthorized, SupplierUnavailable
from kameng.domain.supply import SupplierSource
from kameng.domain.wholesale import SignedRequest

UPSTREAM = SupplierSource(name="big-card", kind="kameng", settings={"url": "https://up.example", "reseller": "r-42"})
NAME = "KAMENG_SUPPLIER_BIG_CARD_SECRET"
SHOP = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "KAMENG_HASH_KEY": base64.b64encode(b"k" * 32).decode()}


@pytest.fixture
def shop_secret(aws, monkeypatch):
    """Keep the shop's secret with the given values; the process reads it through KAMENG_SECRETS_ARN."""
    for name in [n for n in os.environ if n.startswith("KAMENG_") or n.startswith("STRIPE_")]:
        monkeypatch.delenv(name)
    # Set (empty, so unset to the configuration) and restored after the test: load() writes it.
    monkeypatch.setenv(NAME, "")

    def keep(values: dict) -> None:
        arn = boto3.client("secretsmanager").create_secret(Name="kameng/prod", SecretString=json.dumps(values))["ARN"]
        monkeypatch.setenv("KAMENG_SECRETS_ARN", arn)

    return keep


def _signed_balance_request(monkeypatch) -> dict:
    """The headers the directory's upstream supplier sends when asked for its balance."""
    sent: dict = {}

    def request(session, method, url, **kwargs):
        sent.update(kwargs["headers"])
        raise requests.ConnectionError("no network in tests")

    monkeypatch.setattr(requests.Session, "request", request)
    with pytest.raises(SupplierUnavailable):
        SupplierDirectory(lambda: {UPSTREAM.name: UPSTREAM}).supplier(UPSTREAM.name).balance()
    return sent


def test_a_suppliers_secret_kept_in_the_shops_secret_signs_its_requests(shop_secret, monkeypatch):
    shop_secret(SHOP | {NAME: "upstream-issued-secret"})
    config.load()
    assert os.environ[NAME] == "upstream-issued-secret"
    signed = SignedRequest.read(_signed_balance_request(monkeypatch))
    now = datetime.now(timezone.utc)
    signed.check(b"upstream-issued-secret", "GET", "/api/wholesale/balance", b"", now)
    with pytest.raises(ResellerUnauthorized):
        signed.check(b"another-secret", "GET", "/api/wholesale/balance", b"", now)


def test_without_its_secret_an_upstream_is_not_called_and_says_which_variable_is_missing(shop_secret):
    shop_secret(SHOP)
    config.load()
    with pytest.raises(SupplierUnavailable, match=NAME):
        SupplierDirectory(lambda: {UPSTREAM.name: UPSTREAM}).supplier(UPSTREAM.name)


def test_the_environment_wins_over_the_secret_and_other_keys_are_not_exported(shop_secret, monkeypatch):
    monkeypatch.setenv(NAME, "set-by-hand")
    monkeypatch.delenv("KAMENG_SUPPLIER_SECRET", raising=False)
    shop_secret(SHOP | {NAME: "from-the-secret", "KAMENG_SUPPLIER_SECRET": "not a supplier's", "OTHER": "x"})
    config.load()
    assert os.environ[NAME] == "set-by-hand"
    assert "KAMENG_SUPPLIER_SECRET" not in os.environ and "OTHER" not in os.environ


def test_a_configuration_read_from_a_given_mapping_leaves_the_process_environment_alone(shop_secret):
    shop_secret(SHOP | {NAME: "from-the-secret"})
    config.load(dict(os.environ))
    assert os.environ[NAME] == ""
