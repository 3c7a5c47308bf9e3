"""Card keys as owners import them (.txt: a key a line; .csv: key[,password]) and as listings mask them."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kameng.domain.card_key import MAX_LENGTH, CardKey, MalformedKey, mask, parse_line

codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=64)
keys = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=80)


@pytest.mark.parametrize(
    ("line", "code"),
    [("XKCD-1234-ABCD\n", "XKCD-1234-ABCD"), ("  XKCD-1234  \r\n", "XKCD-1234"), ("\ufeffXKCD-1234\n", "XKCD-1234"),
     ("点卡-卡密-0001", "点卡-卡密-0001")],
)
def test_a_txt_line_is_one_key(line, code):
    assert parse_line(line, with_password=False) == CardKey(code)


def test_a_txt_line_keeps_a_comma_as_part_of_the_key():
    assert parse_line("AB,CD\n", with_password=False) == CardKey("AB,CD")


@pytest.mark.parametrize(
    ("line", "expected"),
    [("CARD-0001,PIN-9876\n", CardKey("CARD-0001", "PIN-9876")), ("CARD-0001 , PIN-9876\r\n", CardKey("CARD-0001", "PIN-9876")),
     ("CARD-0001\n", CardKey("CARD-0001")), ("CARD-0001,\n", CardKey("CARD-0001")),
     ("\ufeffCARD-0001,PIN-9876\n", CardKey("CARD-0001", "PIN-9876"))],
)
def test_a_csv_line_is_a_key_and_an_optional_password(line, expected):
    assert parse_line(line, with_password=True) == expected


@pytest.mark.parametrize("line", ["", "\n", "   \t \r\n", "\ufeff\n", "# exported 2026-03-02\n", "  # comment\n", "\ufeff# header\n"])
@pytest.mark.parametrize("with_password", [False, True])
def test_blank_lines_and_comments_are_skipped(line, with_password):
    assert parse_line(line, with_password) is None


@pytest.mark.parametrize("line", ["key,password\n", "Code,Password\r\n", "\ufeff卡密,密码\n", "卡号, 密码\n"])
def test_a_csv_header_row_is_not_imported_as_a_key(line):
    assert parse_line(line, with_password=True) is None


@pytest.mark.parametrize(
    ("line", "with_password"),
    [("XKCD 1234", False), ("XKCD\t1234", False), ("XKCD\x001234", False), ("XKCD\u200b1234", False),
     ("X" * (MAX_LENGTH + 1), False), ("A,B,C", True), (",PIN-1", True), ("CARD,PI N", True), ("CARD," + "P" * (MAX_LENGTH + 1), True)],
)
def test_a_malformed_line_is_refused_with_a_reason(line, with_password):
    with pytest.raises(MalformedKey) as refused:
        parse_line(line, with_password)
    assert str(refused.value)


def test_a_key_of_the_longest_allowed_length_is_accepted():
    assert parse_line("X" * MAX_LENGTH, with_password=False).code == "X" * MAX_LENGTH


@given(code=codes, password=st.none() | codes)
def test_a_card_key_survives_sealing_as_bytes(code, password):
    assert CardKey.from_bytes(CardKey(code, password).to_bytes()) == CardKey(code, password)


def revealed_ends(code: str) -> tuple[int, int]:
    """How many characters a mask shows at the start and at the end of the key."""
    shown = mask(code)
    head = len(shown) - len(shown.lstrip("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    tail = len(shown) - len(shown.rstrip("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    return (head, tail) if "*" in shown else (len(code), len(code))


@given(keys)
def test_a_mask_never_shows_the_centre_of_a_key(code):
    head, tail = revealed_ends(code)
    centre = len(code) // 2
    assert head <= centre < len(code) - tail


@given(keys)
def test_a_mask_hides_at_least_half_of_a_key(code):
    head, tail = revealed_ends(code)
    assert head + tail <= len(code) // 2


@pytest.mark.parametrize("code", ["4JQ9-7TXK-M2", "XKCD12345", "STEAM-8F3K-Q2ZP"])
def test_a_mask_of_a_typical_key_hides_at_least_half_of_it(code):
    assert sum(1 for ch in mask(code) if ch not in "*-") <= len(code.replace("-", "")) // 2


@given(keys)
def test_a_mask_shows_nothing_but_the_keys_own_ends(code):
    head, tail = revealed_ends(code)
    shown = mask(code)
    assert shown[:head] == code[:head] and shown[len(shown) - tail:] == code[len(code) - tail:]
