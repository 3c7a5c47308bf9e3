"""No Stripe at all (KAMENG_GATEWAY=none): a mainland shop paid by Alipay, WeChat Pay, 易支付 and transfers alone.

Stands where the Stripe gateway stands, so that an order placed before Stripe was switched off can still be
looked at; checkout never offers it (Deps.rail refuses a rail that is not `offered`).
"""
from __future__ import annotations

from kameng.domain.errors import InvalidSignature, RailNotOffered


class NoStripe:
    rail = "stripe"
    window = None
    offered = False

    def _off(self, *args, **kwargs):
        raise RailNotOffered("本站未开通银行卡（Stripe）付款")

    create_session = expire_session = session_payment = refund = acknowledge = _off

    def verify_event(self, notification):
        raise InvalidSignature("本站未开通 Stripe：不接受它的通知")
