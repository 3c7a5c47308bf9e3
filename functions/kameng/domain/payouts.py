"""A substation's withdrawals (提现) of what the platform owes it, as the settlement report works it out.

The station owner asks for an amount; the platform owner approves it, pays it by hand and marks it paid,
or rejects it. What is asked for and not rejected is committed: a new request may take at most the
balance due less what is committed, and the store checks that sum under a condition, so two requests
racing each other cannot together take more than the balance.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.errors import PayoutWrongStatus


class PayoutStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"


P = PayoutStatus
NEXT: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    P.REQUESTED: frozenset({P.APPROVED, P.REJECTED}),
    P.APPROVED: frozenset({P.PAID, P.REJECTED}),
}
# The owner's verbs in the API, by the status each leads to.
ACTIONS = {"approve": P.APPROVED, "paid": P.PAID, "reject": P.REJECTED}


class StationPayout(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    station: str
    amount: int = Field(gt=0)
    currency: str
    note: str | None = None
    status: PayoutStatus = PayoutStatus.REQUESTED
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None  # the platform's: a transfer reference, a reason to reject

    @property
    def committed(self) -> bool:
        return self.status is not PayoutStatus.REJECTED




def room(balance_due: int, committed: int) -> int:
    """What the station may still ask for: never below zero, even when it owes the platform."""
    return max(balance_due - committed, 0)


def decide(payout: StationPayout, to: PayoutStatus, actor: str, now: datetime, note: str | None) -> StationPayout:
    if to not in NEXT.get(payout.status, frozenset()):
        raise PayoutWrongStatus(f"提现申请当前为 {payout.status.value}，不能改为 {to.value}")
    return payout.model_copy(update={"status": to, "decided_by": actor, "decided_at": now,
                                     "decision_note": note or payout.decision_note})
