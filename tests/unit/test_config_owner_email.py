"""KAMENG_OWNER_EMAIL: where low-stock alerts go; without it they are only logged."""
from __future__ import annotations

import pytest

from kameng import wiring
from kameng.config import ConfigError, load


def test_without_an_owner_address_alerts_are_only_logged():
    assert load({}).owner_email is None


def test_the_owner_address_reaches_the_services(tmp_path):
    built = wiring.build(load({"KAMENG_DATA_DIR": str(tmp_path), "KAMENG_OWNER_EMAIL": " owner@shop.example "}))
    assert built.settings.owner_email == "owner@shop.example"


def test_an_owner_address_that_is_not_an_address_is_named():
    with pytest.raises(ConfigError) as refused:
        load({"KAMENG_OWNER_EMAIL": "owner-at-shop"})
    assert "KAMENG_OWNER_EMAIL" in str(refused.value) and "e-mail address" in str(refused.value)
