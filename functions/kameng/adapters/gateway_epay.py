"""The 易支付 rail: the MD5-signed aggregator protocol most 发卡 sites speak (彩虹易支付 and its kin).

The shopper pays at the aggregator, by the browser form `submit.php` or by the pay URL or QR
code `mapi.php` returns; the aggregator then calls `notify_url` (commonly by GET) with the
trade, signed with the merchant key. Its rules this adapter follows:
- `sign` is the lowercase hex MD5 of the non-empty parameters but `sign` and `sign_type`,
  sorted by name as `k=v&…`, with the key appended directly (no `&`).
- `money` is yuan with two decimals; this module is the one place fen become yuan and back.
- `out_trade_no` is the order id, so the order query (`api.php?act=order`) finds a trade by
  the order alone; the aggregator's own `trade_no` is what a refund names.
- A notification carries no time, so none can be refused as stale: a replay of a signed one
  is harmless, as each is applied once by its id.
- There is no close: an order that lapses leaves its pay page open at the aggregator, and a
  payment that still lands is applied or refunded by the services like any late payment.
- `api.php?act=refund` takes `pid`, `key`, `out_trade_no` (or `trade_no`) and `money`. The
  `out_refund_no` sent with it makes a retry the same refund where the aggregator honours it;
  the ones that ignore it refund again, so the services record each refund before retrying.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
from datetime import datetime, timezone
from typing import Callable, Mapping, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit

from kameng.domain.rail_numbers import refund_number
from kameng.domain.errors import GatewayUnavailable, InvalidRequest, InvalidSignature
from kameng.domain.money import parse_major
from kameng.domain.order import PaymentEvent, PaymentKind
from kameng.ports.outside import Acknowledgement, Notification, PaymentSession, SessionRequest, Show, TakeBack

log = logging.getLogger(__name__)

RAIL = "epay"
METHODS = ("alipay", "wxpay", "qqpay")
PAID = "TRADE_SUCCESS"
SIGN_TYPE = "MD5"
# Connect and read timeouts: a webhook or a checkout waits at most this for the aggregator.
REQUEST_TIMEOUT = (3.0, 10.0)
# mapi.php's `device`, from where the shopper pays (SessionRequest.device).
MONEY = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")
DEVICES = {"desktop": "pc", "phone": "mobile", "wechat": "wechat"}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def sign(params: Mapping[str, str], key: str) -> str:
    signed = sorted((name, str(value)) for name, value in params.items()
                    if name not in ("sign", "sign_type") and value not in (None, ""))
    text = "&".join(f"{name}={value}" for name, value in signed) + key
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def signature_matches(params: Mapping[str, str], key: str) -> bool:
    # The key is a shared secret: a comparison that stops at the first wrong byte leaks it.
    return hmac.compare_digest(sign(params, key).encode(), str(params.get("sign", "")).lower().encode())


def signed(params: Mapping[str, str], key: str) -> dict[str, str]:
    return {**params, "sign": sign(params, key), "sign_type": SIGN_TYPE}


def yuan(minor: int) -> str:
    """Fen → 易支付's `money`: yuan with two decimals."""
    major, fen = divmod(minor, 100)
    return f"{major}.{fen:02d}"


def fen(money: str) -> int:
    """易支付's `money` → fen; ValueError for anything but a plain amount of at most two decimals."""
    if not MONEY.fullmatch(money):
        raise ValueError(f"not an amount of yuan: {money!r}")
    return parse_major(money)




@functools.cache
def _http():
    # Imported on first use: a webhook's cold start never pays for it.
    import requests

    return requests.Session()


class EpayGateway:
    rail = RAIL
    window = None

    def __init__(self, base_url: str, pid: str, key: str, *, methods: Sequence[str] = ("alipay", "wxpay"),
                 server_side: bool = False, sitename: str = "", clock: Callable[[], datetime] = utc_now,
                 timeout: tuple[float, float] = REQUEST_TIMEOUT):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"易支付's base URL must be an http(s) URL, got {base_url!r}")
        if not str(pid or "").strip():
            raise ValueError("易支付's merchant id (pid) is required")
        if not key:
            raise ValueError("易支付's merchant key is required")
        unknown = [method for method in methods if method not in METHODS]
        if unknown or not methods:
            raise ValueError(f"易支付's methods must be some of {METHODS}, got {tuple(methods)!r}")
        self.base_url = base_url.rstrip("/")
        self.pid = str(pid).strip()
        self._key = key
        self.methods = tuple(methods)
        self.server_side = server_side
        self.sitename = sitename
        self.clock = clock
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"EpayGateway(base_url={self.base_url!r}, pid={self.pid!r}, methods={self.methods!r})"

    # the port

    def create_session(self, request: SessionRequest) -> PaymentSession:
        params = self.pay_params(request)
        if not self.server_side:
            return PaymentSession(id=request.order_id, url=f"{self.base_url}/submit.php?{urlencode(params)}")
        answer = self._call("POST", "mapi.php", data=params)
        if str(answer.get("code")) != "1":
            raise GatewayUnavailable(f"易支付未能下单：{answer.get('msg') or '未说明原因'}")
        if answer.get("payurl"):
            return PaymentSession(id=request.order_id, url=str(answer["payurl"]), show=Show.REDIRECT)
        if answer.get("qrcode"):
            return PaymentSession(id=request.order_id, url=str(answer["qrcode"]), show=Show.QR)
        raise GatewayUnavailable("易支付下单后既没有给出支付链接也没有给出二维码")

    def expire_session(self, session_id: str) -> None:
        # 易支付 has no close. A payment after the order lapsed still arrives by notification or by the
        # sweeper's query, and the services apply it or refund it as any late payment.
        return None

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        trade = self.query(session_id)
        if trade is None or str(trade.get("status")) != "1":
            return None
        return self._paid_event(f"{RAIL}:found:{session_id}", trade, session_id)

    def verify_event(self, notification: Notification) -> PaymentEvent:
        params = notification_params(notification)
        if not params.get("sign"):
            raise InvalidSignature("易支付通知没有签名")
        if params.get("sign_type", SIGN_TYPE).upper() != SIGN_TYPE or not signature_matches(params, self._key):
            raise InvalidSignature("易支付通知的签名不对")
        if params.get("pid") != self.pid:
            raise InvalidSignature("易支付通知不是发给本商户的")
        if not params.get("out_trade_no") or not params.get("trade_no"):
            raise InvalidRequest("易支付通知缺少订单号或交易号")
        if params.get("trade_status") != PAID:
            return PaymentEvent(id=f"{RAIL}:{params['trade_no']}:{params.get('trade_status', '')}",
                                kind=PaymentKind.OTHER, order_id=params["out_trade_no"],
                                session_id=params["out_trade_no"], paid=False, amount=None, currency=None,
                                payment_ref=params["trade_no"])
        return self._paid_event(f"{RAIL}:{params['trade_no']}", params, params["out_trade_no"])

    def acknowledge(self, event: PaymentEvent) -> Acknowledgement:
        return Acknowledgement(200, "text/plain", b"success")

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0,
               take_back: TakeBack | None = None) -> str:
        """Refund the trade (all of it when `amount` is None); the id is the refund's request number.
        易支付 splits nothing, so no order on it has a share to take back."""
        if take_back is not None:
            raise ValueError("易支付 splits nothing: there is no share to take back")
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        if amount is None:
            trade = self.query(order_id)
            if trade is None:
                raise GatewayUnavailable(f"易支付查不到订单 {order_id}，无法退款")
            money = str(trade.get("money", ""))
        else:
            money = yuan(amount)
        request_no = refund_number(order_id, amount, attempt)
        answer = self._call("POST", "api.php", query={"act": "refund"}, data={
            "pid": self.pid, "key": self._key, "out_trade_no": order_id, "trade_no": payment_ref,
            "money": money, "out_refund_no": request_no})
        if str(answer.get("code")) != "1":
            raise GatewayUnavailable(f"易支付拒绝退款：{answer.get('msg') or '未说明原因'}")
        log.info("epay refund requested", extra={"order_id": order_id, "out_refund_no": request_no})
        return f"{RAIL}:refund:{request_no}"

    # what is sent and asked

    def pay_params(self, request: SessionRequest) -> dict[str, str]:
        if request.currency.upper() != "CNY":
            raise ValueError(f"易支付 takes CNY only, order {request.order_id} is in {request.currency}")
        if request.total <= 0:
            raise ValueError(f"order {request.order_id}: nothing to pay ({request.total})")
        method = "wxpay" if request.device == "wechat" and "wxpay" in self.methods else self.methods[0]
        params = {"pid": self.pid, "type": method, "out_trade_no": request.order_id,
                  "notify_url": request.notify_url, "return_url": request.success_url,
                  "name": request.title, "money": yuan(request.total), "sitename": self.sitename}
        if self.server_side:
            params |= {"clientip": request.client_ip, "device": DEVICES.get(request.device, "pc")}
        return signed({name: value for name, value in params.items() if value}, self._key)

    def query(self, order_id: str) -> dict | None:
        """The aggregator's record of the order's trade; None when it has none."""
        # The documented query carries the key in the URL; it goes only to the aggregator, over HTTPS in production.
        answer = self._call("GET", "api.php", query={"act": "order", "pid": self.pid, "key": self._key,
                                                      "out_trade_no": order_id})
        if str(answer.get("code")) != "1":
            if "不存在" in str(answer.get("msg", "")):
                return None
            raise GatewayUnavailable(f"易支付查询失败：{answer.get('msg') or '未说明原因'}")
        if str(answer.get("out_trade_no", order_id)) != order_id:
            raise GatewayUnavailable(f"易支付查询 {order_id} 却答了另一笔订单")
        return answer

    def _paid_event(self, event_id: str, trade: Mapping, order_id: str) -> PaymentEvent:
        try:
            amount = fen(str(trade.get("money", "")))
        except ValueError:
            raise InvalidRequest(f"易支付给出的金额无法读取：{trade.get('money')!r}") from None
        if not trade.get("trade_no"):
            raise InvalidRequest("易支付没有给出交易号")
        return PaymentEvent(id=event_id, kind=PaymentKind.COMPLETED, order_id=order_id, session_id=order_id,
                            paid=True, amount=amount, currency="CNY", payment_ref=str(trade["trade_no"]))

    def _call(self, method: str, path: str, query: dict | None = None, data: dict | None = None) -> dict:
        import requests

        try:
            response = _http().request(method, f"{self.base_url}/{path}", params=query, data=data,
                                       timeout=self.timeout, allow_redirects=False)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            # Never the URL: the order query carries the key in it.
            raise GatewayUnavailable(f"易支付没有正常应答（{type(error).__name__}）") from None
        if not isinstance(answer, dict):
            raise GatewayUnavailable("易支付的应答不是 JSON 对象")
        return answer


def notification_params(notification: Notification) -> dict[str, str]:
    """The notification's fields, from the query string (GET) or the form body (POST), whichever is signed."""
    for raw in (notification.query, notification.body):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            raise InvalidSignature("易支付通知不是 UTF-8 编码") from None
        pairs = parse_qsl(text, keep_blank_values=True)
        if not any(name == "sign" for name, _ in pairs):
            continue
        params = dict(pairs)
        if len(params) != len(pairs):
            # Two values for one name: which one was signed cannot be told.
            raise InvalidSignature("易支付通知有重复的字段")
        return params
    return {}
