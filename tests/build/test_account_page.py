"""Every station gets a static account page: a sign-in form, and room for the signed-in view."""
from __future__ import annotations

from tests.build.conftest import STATIONS, Project


def test_every_station_gets_an_account_page(built: Project) -> None:
    for station in STATIONS:
        assert (built.site / station / "account/index.html").is_file(), station


def test_the_account_page_has_the_elements_the_script_uses_and_is_not_indexed(built: Project) -> None:
    page = built.page("game-zone/account/index.html")
    for element_id in ("account-page", "account-sign-in-form", "account-status", "account", "account-email",
                       "account-spend", "account-orders", "account-sign-out"):
        assert f'id="{element_id}"' in page, element_id
    assert '<input type="hidden" name="station" value="game-zone">' in page
    assert '<meta name="robots" content="noindex">' in page
    assert "/account/" not in built.page("game-zone/sitemap.xml")


def test_what_accounts_do_not_have_yet_is_shown_as_not_available_never_as_a_value(built: Project) -> None:
    page = built.page("game-zone/account/index.html")
    for element_id in ("account-level", "account-points", "account-referral", "account-coupons"):
        assert f'<dd id="{element_id}" data-empty>暂未开放</dd>' in page, element_id


def test_the_account_page_speaks_the_stations_language(built: Project) -> None:
    assert "Sign in with your email" in built.page("en-shop/account/index.html")
    assert "用邮箱登录" in built.page("main/account/index.html")


def test_every_page_links_to_the_account_page(built: Project) -> None:
    assert 'href="/account/"' in built.page("main/index.html")
