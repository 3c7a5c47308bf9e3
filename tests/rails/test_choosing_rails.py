"""Which rails this deployment takes: its configuration, checked at start, and the payer's device."""
from __future__ import annotations

import pytest

from kameng import config as configuration
from kameng.domain.errors import RailNotOffered
from kameng.domain.rails import paying_from


def test_a_rail_named_without_its_credentials_stops_the_process_with_the_variables_it_needs():
    with pytest.raises(configuration.ConfigError) as raised:
        configuration.load({"KAMENG_RAILS": "alipay,epay", "KAMENG_EPAY_URL": "https://pay.example/",
                            "KAMENG_EPAY_PID": "1001", "KAMENG_EPAY_KEY": "k" * 32})
    message = str(raised.value)
    assert "KAMENG_RAILS names alipay: it needs KAMENG_ALIPAY_APP_ID" in message
    assert "KAMENG_ALIPAY_PRIVATE_KEY" in message and "KAMENG_ALIPAY_PUBLIC_KEY" in message
    assert "epay" not in message.replace("KAMENG_RAILS: ", "")  # 易支付 has all it needs


def test_a_key_that_is_no_pem_block_is_named_and_its_value_never_shown():
    with pytest.raises(configuration.ConfigError) as raised:
        configuration.load({"KAMENG_ALIPAY_PRIVATE_KEY": "MIIEvQIBADANBgkqhkiG9w0BAQEFAAS-secret"})
    assert "KAMENG_ALIPAY_PRIVATE_KEY: expected a PEM block" in str(raised.value)
    assert "secret" not in str(raised.value)


def test_rails_with_credentials_are_taken_and_the_sandbox_stands_in_only_beside_stripes_sandbox():
    chosen = configuration.load({"KAMENG_EPAY_URL": "https://pay.example/", "KAMENG_EPAY_PID": "1001",
                                 "KAMENG_EPAY_KEY": "k" * 32})
    assert chosen.rails.chosen_rails(sandboxed=False) == ("epay", "bank")
    assert chosen.rails.chosen_rails(sandboxed=True) == ("alipay", "wechat", "epay", "bank")
    assert "k" * 32 not in repr(chosen)


def test_without_stripe_the_card_rail_is_not_offered(tmp_path):
    from kameng import wiring

    built = wiring.build(configuration.load({"KAMENG_DATA_DIR": str(tmp_path), "KAMENG_GATEWAY": "none"}))
    assert "stripe" not in built.rail_names()
    with pytest.raises(RailNotOffered):
        built.rail("stripe")
    assert built.rail("bank").rail == "bank"


@pytest.mark.parametrize("agent, device", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0", "desktop"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", "phone"),
    ("Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36", "phone"),
    ("Mozilla/5.0 (iPhone) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI", "wechat"),
    (None, "desktop"),
])
def test_the_pay_step_knows_the_payers_device_from_its_browser(agent, device):
    assert paying_from(agent) == device


