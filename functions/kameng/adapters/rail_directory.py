"""The payment rails a deployment takes besides Stripe, each built the first time an order needs it.

A process that never sees an Alipay order never imports the Alipay SDK: the webhook, checkout and
sweeper functions start as fast as they did with Stripe alone.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable, Mapping

from kameng.domain.errors import GatewayUnavailable
from kameng.ports.outside import PaymentGateway

log = logging.getLogger(__name__)


class RailDirectory:
    def __init__(self, factories: Mapping[str, Callable[[], PaymentGateway]]):
        self._factories = dict(factories)
        self._built: dict[str, PaymentGateway] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RailDirectory({', '.join(self._factories)})"

    def names(self) -> tuple[str, ...]:
        return tuple(self._factories)

    def get(self, name: str) -> PaymentGateway:
        built = self._built.get(name)
        if built is None:
            make = self._factories[name]
            with self._lock:
                built = self._built.get(name)
                if built is None:
                    try:
                        built = self._built[name] = make()
                    except ValueError as error:
                        # Credentials that looked right at start but cannot be used: a clear 503, and the log says why.
                        log.error("payment rail %s cannot be built: %s", name, error)
                        raise GatewayUnavailable(f"支付通道暂时不可用：{name}") from None
        return built
