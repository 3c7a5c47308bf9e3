"""The HTTP API: one table read by the local server, the OpenAPI check and the infra check."""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: /api/orders/{id}
    target: str  # module:function

    @cached_property
    def pattern(self) -> re.Pattern:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$")

    def handler(self) -> Callable:
        module, function = self.target.split(":")
        return getattr(importlib.import_module(module), function)


ROUTES = (
    Route("POST", "/api/checkout", "kameng.handlers.checkout:handler"),
    Route("POST", "/api/quote", "kameng.handlers.checkout:quote"),
    Route("POST", "/api/webhooks/stripe", "kameng.handlers.webhook:handler"),
    Route("POST", "/api/orders/lookup", "kameng.handlers.orders:lookup_orders"),
    Route("GET", "/api/orders/{id}", "kameng.handlers.orders:get_order"),
    Route("GET", "/api/orders/{id}/pay", "kameng.handlers.orders:open_pay_page"),
    Route("GET", "/api/stock", "kameng.handlers.stock:handler"),
    Route("POST", "/api/account/sign-in", "kameng.handlers.account:sign_in"),
    Route("POST", "/api/account/session", "kameng.handlers.account:start_session"),
    Route("POST", "/api/account/sign-out", "kameng.handlers.account:sign_out"),
    Route("GET", "/api/account", "kameng.handlers.account:get_account"),
    Route("POST", "/api/account/points/redeem", "kameng.handlers.account:redeem_points"),
    Route("POST", "/api/account/withdrawals", "kameng.handlers.account:request_withdrawal"),
    # The owner console's API: every route under /api/owner is wrapped by handlers.owner.gate.owner_api.
    # owner console: sign-in, second factor, session
    Route("GET", "/api/owner/me", "kameng.handlers.owner.session:me"),
    # owner console: statistics
    # owner console: orders
    # owner console: after-sales
    # owner console: stock
    # owner console: money
    # owner console: content
    # owner console: audit log
)


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists for another method."""
    path_known = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            path_known = True
            if route.method == method:
                return route, found.groupdict(), True
    return None, {}, path_known
