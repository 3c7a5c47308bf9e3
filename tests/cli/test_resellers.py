"""`kameng resellers`: add a platform that buys wholesale, top up its balance once per reference, list balances."""
from __future__ import annotations

import re

from kameng.services.audit import entries

from .conftest import json_of


def added(kameng, *argv) -> tuple[str, str]:
    ran = kameng("resellers", "add", "某某卡盟", *argv)
    assert ran.code == 0, ran.err
    return (re.search(r"^reseller id: (\S+)$", ran.out, re.MULTILINE).group(1),
            re.search(r"^secret: +(\S+)$", ran.out, re.MULTILINE).group(1))


def test_adding_prints_the_secret_once_and_the_store_keeps_it_sealed(shop, kameng):
    reseller_id, secret = added(kameng, "--credit-limit", "500.00")

    kept = shop.deps.store.resellers.reseller(reseller_id)
    assert secret.encode() not in kept.sealed_secret
    assert (kept.credit_limit, kept.currency, kept.station) == (50000, "CNY", "main")
    assert secret not in kameng("resellers", "list").out


def test_a_top_up_counts_once_per_reference(shop, kameng):
    reseller_id, _ = added(kameng)

    first = kameng("resellers", "top-up", reseller_id, "1000.00", "--reference", "ICBC-42")
    again = kameng("resellers", "top-up", reseller_id, "1000.00", "--reference", "ICBC-42")

    assert first.code == again.code == 0
    assert "counted before: nothing added" in again.out
    listed = json_of(kameng("resellers", "list", "--json"))
    assert [(r["id"], r["balance"], r["available"]) for r in listed] == [(reseller_id, 100000, 100000)]
    assert [e.action for e in entries(shop.deps)][-2:] == ["reseller.add", "reseller.top_up"]


def test_a_top_up_of_an_unknown_reseller_fails(shop, kameng):
    ran = kameng("resellers", "top-up", "rnobody", "10.00", "--reference", "x")
    assert ran.code == 1
    assert "no reseller rnobody" in ran.err


def test_a_malformed_amount_is_a_usage_mistake(shop, kameng):
    assert kameng("resellers", "add", "某某卡盟", "--credit-limit", "5.001").code == 2
