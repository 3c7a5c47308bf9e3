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
    Route("POST", "/api/webhooks/{rail}", "kameng.handlers.webhook:handler"),
    Route("GET", "/api/webhooks/{rail}", "kameng.handlers.webhook:handler_get"),
    Route("POST", "/api/suppliers/{name}/callback", "kameng.handlers.supply:callback"),
    Route("POST", "/api/orders/lookup", "kameng.handlers.orders:lookup_orders"),
    Route("GET", "/api/orders/{id}", "kameng.handlers.orders:get_order"),
    Route("GET", "/api/orders/{id}/pay", "kameng.handlers.orders:open_pay_page"),
    Route("GET", "/api/pay/wechat.js", "kameng.handlers.pay_script:wechat_pay_script"),
    Route("POST", "/api/orders/{id}/tickets", "kameng.handlers.orders:report_problem"),
    Route("GET", "/api/stock", "kameng.handlers.stock:handler"),
    Route("POST", "/api/account/sign-in", "kameng.handlers.account:sign_in"),
    Route("POST", "/api/account/session", "kameng.handlers.account:start_session"),
    Route("POST", "/api/account/sign-out", "kameng.handlers.account:sign_out"),
    Route("GET", "/api/account", "kameng.handlers.account:get_account"),
    Route("POST", "/api/account/points/redeem", "kameng.handlers.account:redeem_points"),
    Route("POST", "/api/account/withdrawals", "kameng.handlers.account:request_withdrawal"),
    Route("GET", "/api/account/real-name", "kameng.handlers.account:get_real_name"),
    Route("POST", "/api/account/real-name", "kameng.handlers.account:verify_real_name"),
    Route("GET", "/api/posters/referral", "kameng.handlers.posters:referral_poster"),
    Route("GET", "/api/posters/product", "kameng.handlers.posters:product_poster"),
    # The owner console's API: every route under /api/owner is wrapped by handlers.owner.gate.owner_api.
    # owner console: sign-in, second factor, session
    Route("POST", "/api/owner/sign-in", "kameng.handlers.owner.session:sign_in"),
    Route("POST", "/api/owner/session", "kameng.handlers.owner.session:start_session"),
    Route("POST", "/api/owner/totp", "kameng.handlers.owner.session:verify_code"),
    Route("POST", "/api/owner/sign-out", "kameng.handlers.owner.session:sign_out"),
    Route("GET", "/api/owner/me", "kameng.handlers.owner.session:me"),
    # owner console: statistics
    Route("GET", "/api/owner/stations/{station}/dashboard", "kameng.handlers.owner.stats:station_dashboard"),
    Route("GET", "/api/owner/platform/dashboard", "kameng.handlers.owner.stats:platform_dashboard"),
    # owner console: orders
    Route("GET", "/api/owner/stations/{station}/orders", "kameng.handlers.owner.orders:search_orders"),
    Route("GET", "/api/owner/orders/{id}", "kameng.handlers.owner.orders:get_order"),
    Route("POST", "/api/owner/orders/{id}/keys/{key_id}/reveal", "kameng.handlers.owner.orders:reveal_key"),
    Route("POST", "/api/owner/orders/{id}/resend", "kameng.handlers.owner.orders:resend_delivery"),
    Route("POST", "/api/owner/orders/{id}/refund", "kameng.handlers.owner.orders:refund_order"),
    Route("POST", "/api/owner/orders/{id}/deliver", "kameng.handlers.owner.money:deliver_order"),
    Route("POST", "/api/owner/orders/{id}/approve", "kameng.handlers.owner.review:approve_order"),
    Route("POST", "/api/owner/orders/{id}/reject", "kameng.handlers.owner.review:reject_order"),
    # owner console: bank transfers (对公)
    Route("POST", "/api/owner/orders/{id}/confirm-transfer", "kameng.handlers.owner.transfers:confirm_transfer"),
    Route("POST", "/api/owner/orders/{id}/refund-paid", "kameng.handlers.owner.transfers:refund_paid"),
    Route("GET", "/api/owner/stations/{station}/transfers", "kameng.handlers.owner.transfers:list_transfers"),
    Route("POST", "/api/owner/stations/{station}/transfers/import", "kameng.handlers.owner.transfers:import_statement"),
    # owner console: after-sales
    Route("GET", "/api/owner/stations/{station}/tickets", "kameng.handlers.owner.tickets:list_tickets"),
    Route("GET", "/api/owner/tickets/{id}", "kameng.handlers.owner.tickets:get_ticket"),
    Route("POST", "/api/owner/tickets/{id}/reply", "kameng.handlers.owner.tickets:reply"),
    Route("POST", "/api/owner/tickets/{id}/replace", "kameng.handlers.owner.tickets:replace_key"),
    Route("POST", "/api/owner/tickets/{id}/refund", "kameng.handlers.owner.tickets:refund_key"),
    # owner console: stock
    Route("GET", "/api/owner/stations/{station}/stock", "kameng.handlers.owner.stock:list_stock"),
    Route("POST", "/api/owner/stations/{station}/stock/thresholds", "kameng.handlers.owner.stock:set_threshold"),
    Route("POST", "/api/owner/stock/uploads", "kameng.handlers.owner.stock:open_upload"),
    Route("POST", "/api/owner/stock/imports", "kameng.handlers.owner.stock:import_upload"),
    Route("POST", "/api/owner/stock/void", "kameng.handlers.owner.stock:void_keys"),
    # owner console: money
    Route("GET", "/api/owner/stations/{station}/coupons", "kameng.handlers.owner.money:list_coupons"),
    Route("POST", "/api/owner/stations/{station}/coupons", "kameng.handlers.owner.money:give_coupon"),
    Route("GET", "/api/owner/stations/{station}/withdrawals", "kameng.handlers.owner.money:list_withdrawals"),
    Route("POST", "/api/owner/withdrawals/{station}/{id}", "kameng.handlers.owner.money:settle_withdrawal"),
    Route("GET", "/api/owner/stations/{station}/statement", "kameng.handlers.owner.money:get_statement"),
    Route("GET", "/api/owner/stations/{station}/payouts", "kameng.handlers.owner.money:list_payouts"),
    Route("POST", "/api/owner/stations/{station}/payouts", "kameng.handlers.owner.money:request_payout"),
    Route("POST", "/api/owner/payouts/{station}/{id}", "kameng.handlers.owner.money:decide_payout"),
    # owner console: content
    Route("GET", "/api/owner/stations/{station}/content", "kameng.handlers.owner.content:get_content"),
    Route("POST", "/api/owner/stations/{station}/content/check", "kameng.handlers.owner.content:check_content"),
    Route("POST", "/api/owner/stations/{station}/content/publish", "kameng.handlers.owner.content:publish_content"),
    # owner console: audit log
    Route("GET", "/api/owner/stations/{station}/audit", "kameng.handlers.owner.audit:station_audit"),
    Route("GET", "/api/owner/platform/audit", "kameng.handlers.owner.audit:platform_audit"),
    Route("GET", "/api/owner/platform/audit/verify", "kameng.handlers.owner.audit:verify_audit"),
    # wholesale API for resellers (货源对接)
    Route("GET", "/api/wholesale/catalogue", "kameng.handlers.wholesale:get_catalogue"),
    Route("GET", "/api/wholesale/balance", "kameng.handlers.wholesale:get_balance"),
    Route("POST", "/api/wholesale/orders", "kameng.handlers.wholesale:place_order"),
    Route("GET", "/api/wholesale/orders/{request_id}", "kameng.handlers.wholesale:get_order"),
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
