"""Roles and scope: one table says who may do what, and another station's resource is never admitted to."""
from __future__ import annotations

import pytest

from kameng.domain.errors import Forbidden, InvalidRequest, NotFound
from kameng.domain.owners import Owner, Permission, Role, check, check_grant, new_owner
from kameng.http import STATUS

PLATFORM = Owner("o1", "boss@example.com", Role.PLATFORM_OWNER, None)
ZONE_OWNER = Owner("o2", "zhang@example.com", Role.STATION_OWNER, "game-zone")
ZONE_STAFF = Owner("o3", "li@example.com", Role.STAFF, "game-zone")


def test_staff_are_refused_a_refund_as_forbidden():
    with pytest.raises(Forbidden):
        check(ZONE_STAFF, Permission.REFUND, "game-zone")


@pytest.mark.parametrize("permission", [Permission.SETTLE_WITHDRAWALS, Permission.PUBLISH, Permission.IMPORT_KEYS,
                                        Permission.GIVE_COUPON, Permission.MANAGE_OWNERS])
def test_staff_touch_no_money_prices_or_content(permission):
    with pytest.raises(Forbidden):
        check(ZONE_STAFF, permission, "game-zone")


def test_staff_see_orders_and_handle_after_sales_of_their_station():
    check(ZONE_STAFF, Permission.VIEW_ORDERS, "game-zone")
    check(ZONE_STAFF, Permission.AFTER_SALES, "game-zone")


def test_a_station_owner_asking_for_another_station_gets_not_found():
    with pytest.raises(NotFound):
        check(ZONE_OWNER, Permission.VIEW_ORDERS, "av-club")


def test_another_station_is_not_found_even_for_a_permission_the_role_lacks():
    with pytest.raises(NotFound):
        check(ZONE_STAFF, Permission.REFUND, "av-club")


def test_only_the_platform_owner_acts_on_every_station_at_once():
    with pytest.raises(Forbidden):
        check(ZONE_OWNER, Permission.VIEW_ORDERS, None)


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("station", ["main", "game-zone", "av-club", None])
def test_the_platform_owner_may_do_anything_anywhere(permission, station):
    check(PLATFORM, permission, station)


@pytest.mark.parametrize("permission", [p for p in Permission if p is not Permission.APPROVE_PAYOUT])
def test_a_station_owner_may_do_anything_at_their_station(permission):
    check(ZONE_OWNER, permission, "game-zone")


def test_a_station_owner_asks_for_payouts_but_only_the_platform_decides_them():
    check(ZONE_OWNER, Permission.REQUEST_PAYOUT, "game-zone")
    with pytest.raises(Forbidden):
        check(ZONE_OWNER, Permission.APPROVE_PAYOUT, "game-zone")


def test_no_one_grants_more_than_they_hold():
    check_grant(ZONE_OWNER, ZONE_STAFF)
    with pytest.raises(Forbidden):
        check_grant(ZONE_OWNER, PLATFORM)
    with pytest.raises(NotFound):
        check_grant(ZONE_OWNER, Owner("o4", "x@example.com", Role.STAFF, "av-club"))
    with pytest.raises(Forbidden):
        check_grant(ZONE_STAFF, Owner("o4", "x@example.com", Role.STAFF, "game-zone"))


def test_forbidden_answers_403():
    assert STATUS[Forbidden] == 403


@pytest.mark.parametrize("role, station", [("platform_owner", "game-zone"), ("staff", None), ("station_owner", "")])
def test_a_role_comes_with_its_scope(role, station):
    with pytest.raises(InvalidRequest):
        new_owner("o5", "x@example.com", role, station)


def test_a_new_owner_has_a_known_role_and_a_real_email():
    with pytest.raises(InvalidRequest):
        new_owner("o5", "x@example.com", "admin", None)
    with pytest.raises(InvalidRequest):
        new_owner("o5", "not-an-email", "platform_owner", None)
    assert new_owner("o5", " Boss@Example.com ", "platform_owner", None).email == "boss@example.com"
