"""Bank transfer (对公转账): the buyer pays the station's account with the order's reference in the memo.

A bank sends no notification and answers no query: money is seen when the owner imports the bank's
statement or confirms a transfer by hand (services/bank_transfers.py), and given back by hand too.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from kameng.domain.bank_transfer import REFUND_BY_HAND, transfer_reference
from kameng.domain.errors import InvalidSignature
from kameng.domain.order import PaymentEvent
from kameng.ports.outside import Acknowledgement, Notification, PaymentSession, SessionRequest, Show

log = logging.getLogger(__name__)


def refund_key(order_id: str, amount: int | None, attempt: int = 0) -> str:
    # The same key as gateway_stripe.refund_idempotency_key (not imported: that module loads Stripe's SDK).
    key = f"refund-{order_id}-{'full' if amount is None else amount}"
    return key if not attempt else f"{key}-again-{attempt}"


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
               take_back: tuple[str, int] | None = None) -> str:
        # No 分账 on a bank transfer: `take_back` is always None here.
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        refund_id = REFUND_BY_HAND + refund_key(order_id, amount, attempt)
        log.warning("a bank transfer is refunded by hand: the owner pays it back to the buyer's account",
                    extra={"order_id": order_id, "payment_ref": payment_ref, "amount": amount, "refund_id": refund_id})
        return refund_id

    def __repr__(self) -> str:
        return f"BankTransferGateway(days={self.window.days if self.window else None})"
