"""Another Kameng main station as a supplier (货源对接): the Supplier port over its wholesale API.

Requests are signed with the reseller's id and secret, and only an answer the upstream signed for this very
request (its nonce) is believed: anything else (a 5xx, a timeout, an unsigned or unreadable answer) is
SupplierUnavailable, since the order may still have been taken: ask again with the same request id, which
the upstream never buys twice. A signed 4xx is SupplierRefused with the upstream's reason; so is an
unsigned 401, the one answer an upstream cannot sign (it does not know the caller).
The upstream sends no callbacks: `query` is how a pending order is followed.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Mapping
from urllib.parse import quote, urlsplit

import requests

from kameng.domain.errors import InvalidCallback, SupplierRefused, SupplierUnavailable
from kameng.domain.supply import SuppliedKey, SupplierOffer, SupplyRequest, SupplyResult
from kameng.domain.wholesale import answer_is_genuine, new_nonce, request_headers

STATUSES = {"delivered", "pending", "failed"}


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _result(data: Any, request_id: str) -> SupplyResult:
    try:
        keys = tuple(SuppliedKey(str(key["code"]), key.get("password")) for key in data["keys"])
        status, unit_cost = data["status"], data["unit_cost"]
        if data["request_id"] != request_id or status not in STATUSES or not isinstance(unit_cost, int):
            raise ValueError("an answer for another request, or of an unknown status")
        # A top-up comes back as a receipt and the quantity done; card keys count themselves.
        receipt = data.get("receipt") if isinstance(data.get("receipt"), str) else None
        done = len(keys) if keys else (int(data.get("quantity_delivered") or 0) if status == "delivered" else 0)
        return SupplyResult(request_id, status, keys, receipt, done, unit_cost, str(data.get("order_id") or ""))
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise SupplierUnavailable(f"上游的回答无法读取：{error}") from None


class KamengSupplier:
    def __init__(self, name: str, base_url: str, reseller_id: str, secret: bytes, session: Any = None,
                 clock: Callable[[], datetime] = _utc_now, timeout: float = 10.0) -> None:
        if not secret or not reseller_id:
            raise ValueError("a Kameng upstream needs the reseller id and secret it issued")
        self._name = name
        self._base = base_url.rstrip("/")
        # Signed paths are what the upstream's router sees: any prefix of the base URL included.
        self._prefix = urlsplit(self._base).path
        self._reseller_id, self._secret = reseller_id, secret
        self._session = session or requests.Session()
        self._clock, self._timeout = clock, timeout

    @property
    def name(self) -> str:
        return self._name

    def place(self, request: SupplyRequest) -> SupplyResult:
        body = {"request_id": request.request_id, "sku": request.product_code, "quantity": request.quantity,
                "max_unit_cost": request.max_unit_cost, "buyer_fields": dict(request.buyer_fields) or None}
        return _result(self._call("POST", "/api/wholesale/orders", body), request.request_id)

    def query(self, request_id: str) -> SupplyResult:
        return _result(self._call("GET", f"/api/wholesale/orders/{quote(request_id, safe=':')}"), request_id)

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> SupplyResult:
        raise InvalidCallback(f"供货商 {self._name} 不发送回调：订单进度靠查询")

    def balance(self) -> int:
        data = self._call("GET", "/api/wholesale/balance")
        if not isinstance(data.get("balance"), int):
            raise SupplierUnavailable("上游的余额无法读取")
        return data["balance"]

    def cancel(self, request_id: str) -> bool:
        """An upstream Kameng pays for an order as it takes it and delivers it through its own suppliers: it has
        no way to drop one, so nothing taken there is ever known to be cancelled."""
        return False

    def catalogue(self) -> list[SupplierOffer]:
        data = self._call("GET", "/api/wholesale/catalogue")
        try:
            return [SupplierOffer(str(offer["sku"]), str(offer["title"]), int(offer["unit_cost"]), str(offer["currency"]),
                                  None if offer["stock"] is None else int(offer["stock"]),
                                  "direct" if offer.get("kind") == "direct" else "card_key") for offer in data["offers"]]
        except (KeyError, TypeError, ValueError) as error:
            raise SupplierUnavailable(f"上游的商品目录无法读取：{error}") from None

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        path = self._prefix + path
        data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        nonce = new_nonce()
        headers = request_headers(self._reseller_id, self._secret, method, path, data, self._clock(), nonce)
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            response = self._session.request(method, self._base + path.removeprefix(self._prefix), data=data or None,
                                             headers=headers, timeout=self._timeout, allow_redirects=False)
        except requests.RequestException as error:
            raise SupplierUnavailable(f"供货商 {self._name} 无应答：{type(error).__name__}") from None
        status = response.status_code
        genuine = answer_is_genuine(self._secret, status, path, nonce, response.content, response.headers, self._clock())
        if status >= 500 or not (genuine or status == 401):
            raise SupplierUnavailable(f"供货商 {self._name} 的回答不可信或出错（HTTP {status}）")
        try:
            answer = response.json()
        except ValueError:
            raise SupplierUnavailable(f"供货商 {self._name} 的回答不是 JSON（HTTP {status}）") from None
        if status >= 400:
            error = answer.get("error") if isinstance(answer, dict) else None
            error = error if isinstance(error, dict) else {}
            reason = str(error.get("reason") or ("unknown_request" if status == 404 else error.get("code", status)))
            raise SupplierRefused(reason, f"供货商 {self._name} 拒绝：{error.get('message', status)}")
        if not isinstance(answer, dict):
            raise SupplierUnavailable(f"供货商 {self._name} 的回答不是 JSON 对象")
        return answer
