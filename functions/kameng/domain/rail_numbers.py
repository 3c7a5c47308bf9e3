"""The request numbers that make each rail's money movements idempotent, derived from the order alone.

A retry (the library's own, a Lambda running twice, the sweeper) sends the same number and gets the rail's
first answer back: Stripe's Idempotency-Key, Alipay's out_request_no, WeChat Pay's out_refund_no and
out_return_no, 易支付's out_refund_no.
"""
from __future__ import annotations


def refund_number(order_id: str, amount: int | None, attempt: int = 0) -> str:
    """One refund per (order, amount, attempt); `attempt` counts the refunds the rail reported failed."""
    number = f"refund-{order_id}-{'full' if amount is None else amount}"
    return number if not attempt else f"{number}-again-{attempt}"


def split_number(order_id: str) -> str:
    """The one split (分账) of an order's payment."""
    return f"split-{order_id}"


def split_back_number(order_id: str, taken_after: int) -> str:
    """A take-back of the split, named by what has been taken back once it is done: each refund of the order takes
    back its own step, and asking again for one step (a refund retried after a failure) is the same request."""
    return f"return-{order_id}-{taken_after}"
