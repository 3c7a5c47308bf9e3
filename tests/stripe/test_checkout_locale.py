"""Stripe Checkout speaks the station's language."""
import pytest

from .conftest import session_request


@pytest.mark.parametrize("language, locale", [("en", "en"), ("zh-CN", "zh"), ("", "auto")])
def test_checkout_opens_in_the_stations_language(api, gateway, language, locale):
    api.answer("checkout_session_open")
    gateway.create_session(session_request(language=language))
    assert api.last.form["locale"] == locale
