"""Revenue split (分账) is configured in a substation's station.yaml and reaches its price book."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from kameng.domain.member import Commission
from kameng.domain.price_book import price_order
from kameng.domain.split import application_fee, platform_fee
from kameng.sitegen import ContentError, build

REPO_TEMPLATES = __import__("pathlib").Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def content(tmp_path):
    import shutil

    root = tmp_path / "content"
    shutil.copytree(REPO_TEMPLATES.parent / "content", root)
    return root


def with_payouts(content, text: str) -> None:
    station = content / "game-zone" / "station.yaml"
    station.write_text(station.read_text() + text)


def books(content, tmp_path):
    return {b.station: b for b in build(content, tmp_path / "site", REPO_TEMPLATES).price_books}


def test_a_substations_connected_account_and_fee_reach_its_price_book(content, tmp_path):
    with_payouts(content, "payouts:\n  stripe_account: acct_1GameZone00\n  platform_fee_percent: 2.5\n")
    built = books(content, tmp_path)
    assert built["game-zone"].payout_account == "acct_1GameZone00"
    assert built["game-zone"].platform_fee_percent == Decimal("2.5")
    assert built["av-club"].payout_account is None


def test_the_application_fee_is_the_wholesale_cost_plus_the_platform_fee(content, tmp_path):
    with_payouts(content, "payouts:\n  stripe_account: acct_1GameZone00\n  platform_fee_percent: 2.5\n")
    book = books(content, tmp_path)["game-zone"]
    line = book.line("steam-cny-100")  # 3.40 over wholesale: room for the 2.5 % fee
    priced = price_order(book, "steam-cny-100", 3, datetime(2026, 3, 2, tzinfo=timezone.utc))
    fee = application_fee(priced, book, ())
    assert fee == line.wholesale * 3 + round(line.price * 3 * Decimal("0.025"))
    assert fee <= priced.total


def test_commissions_join_the_application_fee_and_the_platform_fee_gives_way_to_them(content, tmp_path):
    with_payouts(content, "payouts:\n  stripe_account: acct_1GameZone00\n  platform_fee_percent: 50\n")
    book = books(content, tmp_path)["game-zone"]
    priced = price_order(book, "qq-coin-10", 3, datetime(2026, 3, 2, tzinfo=timezone.utc))
    commissions = (Commission(referrer="r1", level=1, amount=priced.margin - 1),)
    assert platform_fee(priced, book, commissions) == 1
    assert application_fee(priced, book, commissions) == priced.total


@pytest.mark.parametrize("text,field", [
    ("payouts:\n  stripe_account: not-an-account\n", "payouts.stripe_account"),
    ("payouts:\n  stripe_account: acct_1GameZone00\n  platform_fee_percent: 150\n", "payouts.platform_fee_percent"),
    ("payouts:\n  stripe_account: acct_1GameZone00\n  fee: 2\n", "payouts.fee"),
])
def test_a_wrong_payouts_section_names_its_field(content, tmp_path, text, field):
    with_payouts(content, text)
    with pytest.raises(ContentError) as failed:
        build(content, tmp_path / "site", REPO_TEMPLATES)
    assert any(f"game-zone/station.yaml: {field}" in message for message in failed.value.messages)
