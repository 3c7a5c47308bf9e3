"""Bank transfers (对公转账): the reference a buyer types in the memo (附言), the buyer's invoice details,
the bank's statement read, and its lines matched to the orders waiting for their money."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Mapping

from kameng.domain.errors import InvalidRequest
from kameng.domain.order import Order, RefundPaid

# Crockford's base32: no I, L, O or U, so a reference read aloud or retyped is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "KM"
BODY_LENGTH = 8
# What people type for the letters Crockford leaves out.
_READ_AS = {"O": "0", "I": "1", "L": "1"}
# A bank transfer is given back by the owner from the station's account: its refund id says so.
REFUND_BY_HAND = "bank:by-hand:"
BANK_RAIL = "bank"


def owes_refund_by_hand(order: Order) -> bool:
    """A bank order the shop refunded: no rail gives the money back, the owner transfers it."""
    return order.rail == BANK_RAIL and (order.refund_id or "").startswith(REFUND_BY_HAND)


def refunded_by_hand(order: Order) -> int:
    """All the order's refund the owner gives back by hand (its keys refunded so far, or the whole payment)."""
    if not owes_refund_by_hand(order):
        return 0
    return order.partly_refunded or (order.paid_amount if order.paid_amount is not None else order.total)


def refund_owed_by_hand(order: Order) -> int:
    """What is still to transfer to the buyer: the refund by hand, less what a record says went back."""
    return max(0, refunded_by_hand(order) - (order.refund_paid.amount if order.refund_paid is not None else 0))


def refund_paid(order: Order, bank_ref: str, note: str | None, by: str, at: datetime) -> RefundPaid:
    """The record of a transfer covering the whole refund by hand so far."""
    return RefundPaid(bank_ref=bank_ref, note=note, by=by, at=at, amount=refunded_by_hand(order))


_CANDIDATE = re.compile(PREFIX + "([0-9A-Z]{%d})" % (BODY_LENGTH + 1))


def _luhn_check(body: str) -> str:
    """Luhn mod 32: catches every single mistyped character and every swap of two neighbours but 0↔V."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = ALPHABET.index(char)
        if position % 2 == 0:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return ALPHABET[(32 - total % 32) % 32]


def transfer_reference(order_id: str) -> str:
    digest = int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:5], "big")
    body = "".join(ALPHABET[(digest >> shift) & 31] for shift in range(35, -1, -5))
    return PREFIX + body + _luhn_check(body)


def _normalised(text: str) -> str:
    return re.sub(r"[\s\-_－—]+", "", text).upper()


def _as_reference(chars: str) -> str | None:
    body = "".join(_READ_AS.get(c, c) for c in chars)
    if any(c not in ALPHABET for c in body):
        return None
    return PREFIX + body if _luhn_check(body[:-1]) == body[-1] else None


def find_reference(memo: str) -> str | None:
    """The first well-formed reference anywhere in a memo: any case, spaces and dashes ignored."""
    text = _normalised(memo)
    for start in range(len(text)):
        found = _CANDIDATE.match(text, start)
        if found and (reference := _as_reference(found.group(1))):
            return reference
    return None


def reference_ok(text: str) -> bool:
    normalised = _normalised(text)
    return (len(normalised) == len(PREFIX) + BODY_LENGTH + 1 and normalised.startswith(PREFIX)
            and _as_reference(normalised[len(PREFIX):]) is not None)


# ---------------------------------------------------------------- invoice (发票抬头, 税号)

# GB 32100-2015: the 统一社会信用代码's characters (no I, O, S, V, Z) and the weights of its first 17.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_OLD_TAX_ID = re.compile(r"[0-9A-Z]{15}|[0-9A-Z]{17}|[0-9A-Z]{20}")


def credit_code_ok(code: str) -> bool:
    if len(code) != 18 or any(c not in CREDIT_CODE_CHARS for c in code):
        return False
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(code, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31] == code[17]


def resident_id_ok(number: str) -> bool:
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return False
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(number[:17]))
    return "10X98765432"[total % 11] == number[17]


def check_invoice(title: str, tax_id: str) -> tuple[tuple[str, str], ...]:
    title = " ".join(title.split())
    tax_id = _normalised(tax_id)
    if not 2 <= len(title) <= 100:
        raise InvalidRequest("发票抬头须为 2–100 个字", [{"loc": "invoice.title", "msg": "expected 2–100 characters"}])
    # Any 18 characters would pass as an older number, and a mistyped 统一社会信用代码 with them: so 18
    # characters must carry a check character, the credit code's (GB 32100) or, for a person's number, the
    # resident id's (GB 11643). 15, 17 and 20 characters are older numbers with no check to make.
    if len(tax_id) == 18:
        valid = credit_code_ok(tax_id) or resident_id_ok(tax_id)
    else:
        valid = bool(_OLD_TAX_ID.fullmatch(tax_id))
    if not valid:
        raise InvalidRequest("税号有误：请核对统一社会信用代码（18 位）或纳税人识别号",
                             [{"loc": "invoice.tax_id", "msg": "not a valid 统一社会信用代码 or 纳税人识别号"}])
    return (("title", title), ("tax_id", tax_id))


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class StatementLine:
    line: int  # where it is in the file, counted from 1, as a spreadsheet numbers it
    date: date
    amount: int  # minor units received
    reference: str | None
    payer: str
    bank_ref: str  # the bank's 流水号; "" when the statement has none
    memo: str

    def fingerprint(self) -> str:
        """What tells this line apart in any export of it, for a statement without 流水号."""
        text = "|".join([self.date.isoformat(), str(self.amount), self.payer, self.memo])
        return hashlib.sha256(text.encode()).hexdigest()[:24]


COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "日期", "交易时间", "date"),
    "amount": ("贷方金额", "收入金额", "贷方发生额", "金额", "credit", "amount"),
    "debit": ("借方金额", "支出金额", "借方发生额", "debit"),
    "payer": ("对方户名", "付款人", "对方账户名称", "payer"),
    "memo": ("附言", "摘要", "用途", "备注", "memo", "reference"),
    "bank_ref": ("交易流水号", "流水号", "bank_ref"),
}
_SUMMARY_ROWS = ("合计", "总计", "小计", "total")
MAX_STATEMENT_BYTES = 1_000_000


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Chinese banks export GBK; GB 18030 reads all of it and more.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidRequest("无法读取流水文件：请导出为 CSV（UTF-8 或 GBK 编码）",
                             [{"loc": "statement", "msg": "neither UTF-8 nor GBK text"}]) from None


def _header_name(text: str) -> str:
    # "Bank Ref", "bank_ref" and "BANK-REF" name one column.
    return re.sub(r"[\s_\-]+", "", text).lower()


def _header_map(row: list[str]) -> dict[str, list[int]]:
    """Each column's index by its header; the memo may be several columns (附言 and 摘要), read together."""
    names = [_header_name(cell) for cell in row]
    found: dict[str, list[int]] = {}
    for column, aliases in COLUMNS.items():
        indexes = [[i for i, name in enumerate(names) if name == _header_name(alias)] for alias in aliases]
        if column == "memo":
            found[column] = sorted(i for group in indexes for i in group)
        else:
            found[column] = next((group[:1] for group in indexes if group), [])
    return {name: indexes for name, indexes in found.items() if indexes}


def _parse_date(text: str) -> date:
    text = text.strip().split(" ")[0].split("T")[0]
    for shape in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, shape).date()
        except ValueError:
            continue
    raise ValueError(f"expected a date such as 2026-12-05 (got {text!r})")


# Plain decimals only (no exponent, no NaN): up to a trillion yuan, two decimals.
AMOUNT = re.compile(r"[+-]?[0-9]{1,13}(\.[0-9]{1,2})?")
MAX_AMOUNT_DIGITS = 17


def parse_amount(text: str) -> int | None:
    """Minor units of '1,234.56' (a sign or ¥ allowed); None for an empty cell."""
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    if not cleaned:
        return None
    if len(cleaned) > MAX_AMOUNT_DIGITS or not AMOUNT.fullmatch(cleaned):
        raise ValueError(f"expected an amount such as 1,234.56 (got {text[:40]!r})")
    amount = Decimal(cleaned)
    minor = amount.scaleb(2) if amount.is_finite() else None
    if minor is None or minor != minor.to_integral_value():
        raise ValueError(f"expected an amount with at most 2 decimals (got {text!r})")
    return int(minor)


def _cell(row: list[str], columns: dict[str, list[int]], name: str) -> str:
    cells = [row[i].strip() for i in columns.get(name, []) if i < len(row) and row[i].strip()]
    return " ".join(cells)


def _read_row(number: int, row: list[str], columns: dict[str, list[int]], width: int) -> StatementLine | None:
    """The line of money received, None for money out; raises ValueError naming its field."""
    if any(cell.strip() for cell in row[width:]):
        # An amount such as 1,234.56 written without quotes spills into the next cell: never guess which.
        raise ValueError(f"columns: {len(row)} cells where the header has {width} (an amount with a comma needs quotes)")
    where = "date"
    try:
        day = _parse_date(_cell(row, columns, "date"))
        where = "amount"
        amount = parse_amount(_cell(row, columns, "amount"))
        where = "debit"
        debit = parse_amount(_cell(row, columns, "debit")) if "debit" in columns else None
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    if amount is None and not debit:
        raise ValueError("amount: the line has no amount")
    if amount is None or amount <= 0:
        return None
    memo = _cell(row, columns, "memo")
    return StatementLine(number, day, amount, find_reference(memo), _cell(row, columns, "payer"),
                         _cell(row, columns, "bank_ref"), memo)


def read_statement(data: bytes) -> list[StatementLine]:
    """The money received in a bank's CSV export. Every malformed line is reported, by line and field."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise InvalidRequest("流水文件过大（最多 1 MB）：请按日期分开导出",
                             [{"loc": "statement", "msg": "larger than 1 MB"}])
    try:
        rows = list(csv.reader(io.StringIO(_decode(data))))
    except csv.Error as error:
        raise InvalidRequest(f"流水文件不是能读的 CSV：{error}", [{"loc": "statement", "msg": str(error)}]) from None
    # Banks put the account's name and the period above the table: the header is the first row naming
    # both a date and an amount column.
    for start, row in enumerate(rows):
        columns = _header_map(row)
        if "date" in columns and "amount" in columns:
            break
    else:
        raise InvalidRequest("流水文件里找不到表头：需要日期和金额两列（如 交易日期、贷方金额）",
                             [{"loc": "statement", "msg": "no header row naming a date and an amount column"}])
    lines, problems = [], []
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        if not any(cell.strip() for cell in row) or row[0].strip().lower().startswith(_SUMMARY_ROWS):
            continue
        try:
            read = _read_row(number, row, columns, len(rows[start]))
        except ValueError as error:
            field_name, _, why = str(error).partition(": ")
            problems.append({"loc": f"line {number}: {field_name}", "msg": why})
            continue
        if read is not None:
            lines.append(read)
    if problems:
        shown = "; ".join(f"{p['loc']}: {p['msg']}" for p in problems[:5])
        raise InvalidRequest(f"流水文件有 {len(problems)} 行无法读取，没有导入任何一行：{shown}"
                             + ("…" if len(problems) > 5 else ""), problems)
    return lines


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class Match:
    line: StatementLine
    order: Order


@dataclass(frozen=True)
class ForPerson:
    line: StatementLine
    why: str


@dataclass(frozen=True)
class Matches:
    pay: tuple[Match, ...] = ()
    for_person: tuple[ForPerson, ...] = ()


NO_REFERENCE = "附言里没有付款码（或付款码校验不符）"
UNKNOWN_REFERENCE = "付款码不对应任何待付款的订单"
SECOND_TRANSFER = "两次转账：这个付款码在这份流水里已有一笔"


def match(lines: list[StatementLine], awaiting: Mapping[str, Order]) -> Matches:
    """Each line with its order by reference. A different amount is still a payment: the services send it
    to a person as short or over. Anything doubtful goes to a person, never to an order."""
    seen: set[str] = set()
    pay, for_person = [], []
    for line in lines:
        if line.reference is None:
            for_person.append(ForPerson(line, NO_REFERENCE))
        elif line.reference not in awaiting:
            for_person.append(ForPerson(line, UNKNOWN_REFERENCE))
        elif line.reference in seen:
            for_person.append(ForPerson(line, SECOND_TRANSFER))
        else:
            seen.add(line.reference)
            pay.append(Match(line, awaiting[line.reference]))
    return Matches(tuple(pay), tuple(for_person))
