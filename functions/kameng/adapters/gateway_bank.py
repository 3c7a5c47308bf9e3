"""Bank transfer (对公转账): the buyer pays the station's account with the order's reference in the memo.

A bank sends no notification and answers no query: money is seen when the owner imports the bank's
statement or confirms a transfer by hand (services/bank_transfers.py), and given back by hand too.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from kameng.domain.rail_numbers import refund_number
from kameng.domain.bank_transfer import REFUND_BY_HAND, transfer_reference
from kameng.domain.errors import InvalidSignature
from kameng.domain.order import PaymentEvent
from kameng.ports.outside import Acknowledgement, Notification, PaymentSession, SessionRequest, Show, TakeBack

log = logging.getLogger(__name__)




class BankTransferGateway:
    rail = "bank"

    def __init__(self, days: int = 3):
        if days < 1:
            raise ValueError(f"a bank transfer needs at least a day to arrive (got days={days})")
        # Business transfers clear in a working day or two, and statements come later still.
        self.window: timedelta | None = timedelta(days=days)

    def create_session(self, request: SessionRequest) -> PaymentSession:
        reference = transfer_reference(request.order_id)
        return PaymentSession(id=reference, url=reference, show=Show.TRANSFER)

    def expire_session(self, session_id: str) -> None:
        # A bank cannot be stopped: a late transfer is still matched, and delivered or handed to a person.
        return None

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        # A bank cannot be asked: only its statement says what came in.
        return None

    def verify_event(self, notification: Notification) -> PaymentEvent:
        raise InvalidSignature("银行转账没有通知：由店主确认或导入银行流水")

    def acknowledge(self, event: PaymentEvent) -> Acknowledgement:
        return Acknowledgement(200, "text/plain", b"")

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0,
               take_back: TakeBack | None = None) -> str:
        # No 分账 on a bank transfer: `take_back` is always None here.
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        refund_id = REFUND_BY_HAND + refund_number(order_id, amount, attempt)
        log.warning("a bank transfer is refunded by hand: the owner pays it back to the buyer's account",
                    extra={"order_id": order_id, "payment_ref": payment_ref, "amount": amount, "refund_id": refund_id})
        return refund_id

    def __repr__(self) -> str:
        return f"BankTransferGateway(days={self.window.days if self.window else None})"
