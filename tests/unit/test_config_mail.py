"""KAMENG_MAIL: the outbox folder by default; SES with a sender it has verified."""
from __future__ import annotations

import pytest

from kameng.config import ConfigError, load


def test_mail_goes_to_the_outbox_by_default():
    config = load({})
    assert (config.mail, config.mail_from, config.ses_configuration_set) == ("outbox", None, None)


def test_ses_takes_its_sender_and_an_optional_configuration_set():
    config = load({"KAMENG_MAIL": "ses", "KAMENG_MAIL_FROM": " shop@shop.example ",
                   "KAMENG_SES_CONFIGURATION_SET": "kameng-mail"})
    assert (config.mail, config.mail_from, config.ses_configuration_set) == ("ses", "shop@shop.example", "kameng-mail")


def test_ses_without_a_sender_names_the_missing_variable():
    with pytest.raises(ConfigError) as refused:
        load({"KAMENG_MAIL": "ses"})
    assert "KAMENG_MAIL=ses needs KAMENG_MAIL_FROM" in str(refused.value)


def test_an_empty_sender_is_no_sender():
    # The deployment passes parameters left empty as empty variables.
    with pytest.raises(ConfigError) as refused:
        load({"KAMENG_MAIL": "ses", "KAMENG_MAIL_FROM": ""})
    assert "KAMENG_MAIL_FROM" in str(refused.value)


@pytest.mark.parametrize("env,named", [
    ({"KAMENG_MAIL": "ses", "KAMENG_MAIL_FROM": "shop-at-example"}, "KAMENG_MAIL_FROM"),
    ({"KAMENG_MAIL": "smtp"}, "KAMENG_MAIL"),
    ({"KAMENG_SES_CONFIGURATION_SET": "not a name!"}, "KAMENG_SES_CONFIGURATION_SET"),
])
def test_a_wrong_mail_value_is_named(env, named):
    with pytest.raises(ConfigError) as refused:
        load(env)
    assert f"{named}:" in str(refused.value)


def test_a_sender_that_is_not_an_address_says_what_is_expected():
    with pytest.raises(ConfigError) as refused:
        load({"KAMENG_MAIL": "ses", "KAMENG_MAIL_FROM": "shop-at-example"})
    assert "e-mail address" in str(refused.value)


def test_empty_optional_mail_variables_are_unset():
    config = load({"KAMENG_OWNER_EMAIL": "", "KAMENG_SES_CONFIGURATION_SET": ""})
    assert (config.owner_email, config.ses_configuration_set) == (None, None)
