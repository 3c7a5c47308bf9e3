"""The ID number is checked as GB 11643-1999 writes it before any provider is asked (and paid) about it."""
from __future__ import annotations

from datetime import date

import pytest

from kameng.domain.id_number import IdNumberInvalid, check_id_number, mask_id_number
from kameng.domain.real_name import RealNameRule, mask_name

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize("number", ["11010519491231002X", "110101199003070070", "440305199505132561",
                                    "310115198001011238", "330106198702281510"])
def test_numbers_with_their_right_check_character_pass(number):
    assert check_id_number(number, TODAY) == number


def test_a_lower_case_x_and_spaces_are_taken_as_the_shopper_meant_them():
    assert check_id_number(" 110105 19491231 002x ", TODAY) == "11010519491231002X"


@pytest.mark.parametrize("number, says", [
    ("110105194912310021", "校验位"),  # the check character should be X
    ("110101199003070071", "校验位"),
    ("11010519491231002", "18 位"),
    ("1101051949123100211", "18 位"),
    ("1101051949123100X1", "最后一位"),
    ("99010519491231002X", "地区代码 99"),
    ("110105194902301230", "19490230"),  # 30 February
    ("110105189912310025", "不可能"),  # born before 1900
    ("110105203001010012", "不可能"),  # born in the future
])
def test_a_wrong_number_is_refused_saying_what_is_wrong(number, says):
    with pytest.raises(IdNumberInvalid) as refused:
        check_id_number(number, TODAY)
    assert says in refused.value.message
    assert refused.value.code == "id_number_invalid"


def test_the_identity_is_shown_masked():
    assert mask_id_number("110101199003071234") == "1101**********1234"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_a_rule_covers_orders_above_its_amount_and_its_products_whatever_their_total():
    rule = RealNameRule(above=50000, products=("windows-11-pro",))
    assert rule.applies(50001, "steam-wallet")
    assert not rule.applies(50000, "steam-wallet")
    assert rule.applies(100, "windows-11-pro")
