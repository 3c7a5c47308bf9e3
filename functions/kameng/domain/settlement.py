"""The settlement report (分账结算) of one station for a period, read from the ledger alone.

One line per order placed in the period that was ever delivered, with what it
did to the station's account: its gross margin (or whole sale, on the main
station), the discounts, platform fee and referral commissions it bore, and
any refund, which reverses each of those exactly. `net` is the sum of the
station's own ledger entries. A station paid through Stripe Connect was
already paid `transferred` by Stripe (the charge minus the application fee,
reversed in full by a refund); `balance_due` is what the main station still
owes it (negative: what it owes the main station).

A substation's own goods (独立商品库) are shown apart: their whole sale is
`own_sales`, not `gross`, and `wholesale`, what the main station earned on the
order for supplying it, is 0 for them.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

from kameng.domain.split import share_taken_back
from kameng.domain.order import LedgerEntry, Order, OrderStatus


@dataclass(frozen=True)
class SettlementLine:
    order_id: str
    status: str
    paid: int  # what the shopper paid
    gross: int  # margin over wholesale (the whole sale on the main station), before discounts
    discounts: int
    platform_fee: int
    commissions: int
    refunded: int  # the station's share given back by a refund
    net: int
    transferred: int
    balance_due: int
    own_sales: int = 0  # the whole sale of the station's own goods, before discounts (then gross is 0)
    wholesale: int = 0  # what the main station earned supplying the goods, net of a refund


COLUMNS = tuple(field.name for field in fields(SettlementLine))
_NUMBERS = COLUMNS[2:]


def _kind(memo: str) -> str:
    base = memo.removeprefix("refund: ")
    if base in ("margin", "sale"):
        return "gross"
    if base.startswith(("level discount", "coupon")):
        return "discounts"
    if base == "platform fee":
        return "platform_fee"
    if base.startswith("referral commission"):
        return "commissions"
    return "other"


def _still_transferred(order: Order) -> int:
    sent = order.total - order.application_fee if order.rail == "stripe" else order.split_sent
    return sent - share_taken_back(order.model_copy(update={"split_sent": sent}), order.partly_refunded)


def settlement_line(order: Order, entries: Sequence[LedgerEntry]) -> SettlementLine | None:
    """The order's line, or None when it never sold anything (expired, failed, refunded undelivered)."""
    account = f"station:{order.station}"
    own = [(entry.amount, entry.memo) for entry in entries if entry.account == account]
    sold = [(amount, memo) for amount, memo in own if not memo.startswith("refund: ")]
    if not any(_kind(memo) == "gross" for _, memo in sold):
        return None
    sums = {"gross": 0, "discounts": 0, "platform_fee": 0, "commissions": 0}
    for amount, memo in sold:
        kind = _kind(memo)
        if kind in sums:
            sums[kind] += amount if kind == "gross" else -amount
    refunded = -sum(amount for amount, memo in own if memo.startswith("refund: "))
    net = sum(amount for amount, _ in own)
    paid = -sum(entry.amount for entry in entries if entry.account.startswith("shopper:") and entry.memo == "paid")
    # A refund reverses the transfer in full (and gives the application fee back); a refund of some keys, its
    # share of it. Stripe transfers with the payment; Alipay and WeChat Pay split after it, and only what they
    # took counts (a split that failed leaves the share in the balance due, paid out as any other).
    connect = order.payout_account is not None and order.status is not OrderStatus.REFUNDED
    transferred = _still_transferred(order) if connect else 0
    wholesale = sum(entry.amount for entry in entries
                    if entry.account != account and entry.memo.removeprefix("refund: ") == "wholesale")
    gross, own_sales = (0, sums["gross"]) if order.own_goods else (sums["gross"], 0)
    return SettlementLine(
        order_id=order.id, status=order.status.value, paid=paid, gross=gross, discounts=sums["discounts"],
        platform_fee=sums["platform_fee"], commissions=sums["commissions"], refunded=refunded, net=net,
        transferred=transferred, balance_due=net - transferred, own_sales=own_sales, wholesale=wholesale,
    )


@dataclass(frozen=True)
class BatchMargin:
    """What the period's orders made on the keys of one import batch (None: keys imported before batches).

    A key's sales are its even share of its order's gross (the remainder of the split to the first keys
    by id); a refunded key's share is given back, so it counts no sales, but its cost stays spent."""

    batch_id: str | None
    keys: int
    refunded: int
    sales: int
    cost: int | None  # keys × the batch's cost per key; None when the cost was not told

    @property
    def margin(self) -> int | None:
        return None if self.cost is None else self.sales - self.cost


# A key as the settlement sees it: (its batch id, whether it was refunded).
SoldKey = tuple[str | None, bool]


def batch_margins(sold: Iterable[tuple[SettlementLine, Sequence[SoldKey]]],
                  cost_per_key: Mapping[str, int | None]) -> tuple[BatchMargin, ...]:
    """Per batch, oldest id first (no batch last), from each settled line and the keys its order took."""
    totals: dict[str | None, list[int]] = {}
    for line, keys in sold:
        share, extra = divmod(line.gross, len(keys)) if keys else (0, 0)
        for index, (batch_id, refunded) in enumerate(keys):
            kept = totals.setdefault(batch_id, [0, 0, 0])
            kept[0] += 1
            kept[1] += refunded
            kept[2] += 0 if refunded else share + (index < extra)
    margins = []
    for batch_id in sorted(totals, key=lambda batch_id: (batch_id is None, batch_id or "")):
        keys, refunded, sales = totals[batch_id]
        each = None if batch_id is None else cost_per_key.get(batch_id)
        margins.append(BatchMargin(batch_id, keys, refunded, sales, None if each is None else keys * each))
    return tuple(margins)


@dataclass(frozen=True)
class Settlement:
    station: str
    currency: str
    lines: tuple[SettlementLine, ...]
    batches: tuple[BatchMargin, ...] = ()

    @property
    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(line, name) for line in self.lines) for name in _NUMBERS}

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for line in self.lines:
            writer.writerow([getattr(line, name) for name in COLUMNS])
        totals = self.totals
        writer.writerow(["total", ""] + [totals[name] for name in _NUMBERS])
        return out.getvalue()


def settle(station: str, currency: str, orders: Iterable[tuple[Order, Sequence[LedgerEntry]]]) -> Settlement:
    lines = [line for order, entries in orders if (line := settlement_line(order, entries)) is not None]
    return Settlement(station, currency, tuple(lines))
