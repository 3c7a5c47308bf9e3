"""`payments:` in station.yaml: the rails a station offers, in the order its buy form shows them, and the
mistakes in it named with file, field and expectation."""
from __future__ import annotations

import pytest

from kameng.sitegen import ContentError
from tests.build.conftest import Project


def content_errors(project: Project) -> list[str]:
    with pytest.raises(ContentError) as raised:
        project.build()
    return raised.value.messages


def test_a_station_lists_its_rails_in_the_order_its_buy_form_shows_them(project: Project):
    project.edit("main/station.yaml", "support_email: help@example.com", "support_email: help@example.com\n"
                 "payments:\n  rails: [wechat, alipay, bank]\n  bank: {bank: 招商银行, account_name: 云卡盟, account_no: '6214 8888 1234'}")
    project.build()
    page = next(project.site.glob("main/p/*/index.html")).read_text(encoding="utf-8")
    offered = [part.split('"')[0] for part in page.split('name="rail" value="')[1:]]
    assert offered == ["wechat", "alipay", "bank"]
    assert 'value="wechat" checked' in page and 'name="invoice_tax_id"' in page


def test_a_station_naming_no_rails_offers_stripe_alone_and_no_choice(project: Project):
    project.build()
    page = next(project.site.glob("main/p/*/index.html")).read_text(encoding="utf-8")
    assert 'name="rail"' not in page and "invoice_tax_id" not in page


@pytest.mark.parametrize("payments, expected", [
    ("payments:\n  rails: [alipay, paypal]",
     "content/main/station.yaml: payments.rails[1]: expected 'alipay', 'wechat', 'stripe', 'epay' or 'bank' (got 'paypal')"),
    ("payments:\n  rails: [alipay, alipay]",
     "content/main/station.yaml: payments.rails: expected each rail once (got alipay twice)"),
    ("payments:\n  rails: [bank]",
     "content/main/station.yaml: payments: rails lists bank: expected bank: with bank, account_name and account_no"
     " to transfer to (got {'rails': ['bank']})"),
])
def test_a_mistake_in_the_rails_is_named_with_its_file_and_field(project: Project, payments, expected):
    project.edit("main/station.yaml", "support_email: help@example.com", f"support_email: help@example.com\n{payments}")
    assert content_errors(project) == [expected]


def test_a_substations_payouts_name_an_account_to_pay_its_share_to(project: Project):
    project.edit("game-zone/station.yaml", "sells: [steam, qq-coin]",
                 "sells: [steam, qq-coin]\npayouts:\n  platform_fee_percent: 2")
    assert content_errors(project) == [
        "content/game-zone/station.yaml: payouts: expected stripe_account, alipay_account or wechat_merchant to pay"
        " the station's share to (got {'platform_fee_percent': 2})"]


