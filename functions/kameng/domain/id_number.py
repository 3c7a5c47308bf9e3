"""The resident identity card number (公民身份号码) as GB 11643-1999 writes it, checked before anyone is asked
about it: a provider's check costs money, and a mistyped number is the shopper's to correct, not to pay for."""
from __future__ import annotations

from datetime import date

from kameng.domain.errors import InvalidRequest

LENGTH = 18
# ISO 7064 MOD 11-2: the weights of the 17 digits, and the check character of each remainder.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# The provinces' codes of GB/T 2260 (and 71, 81, 82, 83 of Taiwan, Hong Kong and Macau residents' cards).
REGIONS = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})
EARLIEST_BIRTH = date(1900, 1, 1)


class IdNumberInvalid(InvalidRequest):
    code = "id_number_invalid"


def check_character(first17: str) -> str:
    return CHECK_CHARACTERS[sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS)) % 11]


def check_id_number(text: str, today: date) -> str:
    """The number as it is kept (X upper case); IdNumberInvalid saying what is wrong with it otherwise."""
    number = text.strip().replace(" ", "").upper()
    if len(number) != LENGTH:
        raise _invalid(f"身份证号应为 18 位（收到 {len(number)} 位）")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _invalid("身份证号前 17 位应为数字，最后一位为数字或 X")
    if number[:2] not in REGIONS:
        raise _invalid(f"身份证号开头的地区代码 {number[:2]} 不存在")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _invalid(f"身份证号中的出生日期 {number[6:14]} 不是有效日期") from None
    if not EARLIEST_BIRTH <= born <= today:
        raise _invalid(f"身份证号中的出生日期 {number[6:14]} 不可能")
    if check_character(number[:17]) != number[17]:
        raise _invalid("身份证号校验位不符：请核对每一位")
    return number


def _invalid(message: str) -> IdNumberInvalid:
    return IdNumberInvalid(message, fields=[{"loc": "id_number", "msg": message}])


def mask_id_number(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
