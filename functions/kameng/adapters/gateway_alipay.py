"""The Alipay rail (开放平台, RSA2): PC and phone pay pages, 当面付 QR codes, signed notifications,
queries, closing, refunds and 分账.

python-alipay-sdk signs the requests with the app's private key and checks Alipay's answers and
notifications with Alipay's public key; it is imported on first use only, so a function that never
touches Alipay does not pay for loading it.

Alipay's rules this adapter follows (opendocs.alipay.com):
- The trade's `out_trade_no` is the order id: the sweeper asks `alipay.trade.query` by it.
- Amounts are yuan as decimal strings ("12.34"); `yuan` and `fen` are the one conversion.
- `time_expire` is Beijing time, "yyyy-MM-dd HH:mm:ss".
- A notification is signed over every parameter but `sign` and `sign_type`, sorted; it is retried
  for about 25 hours until the shop answers the plain text `success`. One dated more than 26 hours
  ago cannot be a retry and is refused.
- A refund is idempotent on its `out_request_no`; the same number with the same amount is answered
  with the first refund (`fund_change` "N").
- 分账: a trade meant to be split is created with `extend_params.royalty_freeze`, so its money stays
  frozen until settled; the receiver is bound once (`alipay.trade.royalty.relation.bind`), then each
  order is settled once (`alipay.trade.order.settle`, idempotent on its `out_request_no`).
- Alipay takes a royalty back only inside the refund that needs it (`refund_royalty_parameters` of
  `alipay.trade.refund`); there is no call that takes it back alone: the port's `take_back` carries it.
"""
from __future__ import annotations

import functools
import json
import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Callable
from urllib.parse import parse_qsl, quote_plus, urlencode

from kameng.adapters.alipay_signature import load_public_key, rsa2_sign, rsa2_verify, signed_text
from kameng.domain.errors import GatewayUnavailable, InvalidRequest, InvalidSignature
from kameng.domain.order import PaymentEvent, PaymentKind
from kameng.domain.rail_numbers import refund_number, split_number
from kameng.ports.outside import Acknowledgement, Notification, PaymentSession, SessionRequest, Show, TakeBack

log = logging.getLogger(__name__)

RAIL = "alipay"
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
# China keeps no summer time: Beijing time is UTC+8 all year, no tz database needed.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Alipay retries a notification for about 25 hours (4 m, 10 m, 10 m, 1 h, 2 h, 6 h, 15 h).
OLDEST_NOTIFICATION = timedelta(hours=26)
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
# A notification carrying any of these tells of a refund, which the refund call itself confirmed.
REFUND_FIELDS = ("refund_fee", "out_biz_no", "gmt_refund")
SUCCESS = "10000"
TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
TRADE_STATUS_ERROR = "ACQ.TRADE_STATUS_ERROR"  # closing a trade already closed, paid or finished
SUBJECT_LIMIT = 256
REQUEST_TIMEOUT = 10  # seconds; the SDK's one timeout covers connect and read


class AlipayRefused(GatewayUnavailable):
    """Alipay answered a call with an error (its `sub_code` says which)."""

    def __init__(self, method: str, code: str, sub_code: str = "", sub_msg: str = ""):
        super().__init__(f"支付宝拒绝了 {method}：{code} {sub_code} {sub_msg}".strip())
        self.method = method
        self.sub_code = sub_code


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def yuan(fen: int) -> str:
    """Fen to Alipay's yuan string: 1234 → "12.34"."""
    if fen < 0:
        raise ValueError(f"an Alipay amount cannot be negative, got {fen}")
    return f"{fen // 100}.{fen % 100:02d}"


def fen(text: str) -> int:
    """Alipay's yuan string to fen: "12.34" → 1234, "20" → 2000; ValueError for anything else."""
    try:
        amount = Decimal(str(text).strip()).scaleb(2)
    except InvalidOperation:
        raise ValueError(f"not an amount in yuan: {text!r}") from None
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError(f"not an amount in yuan: {text!r}")
    return int(amount)


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)






def bind_request_no(receiver: str) -> str:
    return f"bind-{receiver}"


def receiver_type(receiver: str) -> str:
    # An Alipay user id is 16 digits starting 2088; anything else is the account's login name.
    return "userId" if receiver.isdigit() and len(receiver) == 16 and receiver.startswith("2088") else "loginName"


@functools.cache
def _sdk():
    import alipay
    from alipay.utils import AliPayConfig

    return alipay, AliPayConfig


def _key_text(pem: str, what: str) -> str | bytes:
    if not pem or not pem.strip():
        raise ValueError(f"the {what} is required")
    text = pem.strip()
    if text.startswith("-----BEGIN"):
        return text
    # Alipay's key tool hands out keys as bare base64 (DER); the SDK's loader takes DER bytes.
    import base64

    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise ValueError(f"the {what} is neither PEM nor base64") from None


def _readable_keys(private: str | bytes, public: str | bytes):
    """The app's private key and Alipay's public key, loaded: checked at start."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    try:
        load = serialization.load_pem_private_key if isinstance(private, str) else serialization.load_der_private_key
        # Parsed, not proven prime: that proof takes tens of milliseconds of every cold start, for a key the
        # owner configured; Alipay refuses what it signs if it is not the app's key.
        key = load(private.encode() if isinstance(private, str) else private, password=None,
                   unsafe_skip_rsa_key_validation=True)
        alipay_key = load_public_key(public)
    except (ValueError, TypeError) as error:
        raise ValueError(f"an Alipay key cannot be read ({type(error).__name__})") from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the app private key is not an RSA private key")
    return key, alipay_key


class AlipayGateway:
    rail = RAIL
    window: timedelta | None = None

    def __init__(self, app_id: str, app_private_key_pem: str, alipay_public_key_pem: str,
                 gateway_url: str = PRODUCTION_GATEWAY, *, qr: bool = False, max_share_percent: int = 30,
                 clock: Callable[[], datetime] = utc_now, timeout: float = REQUEST_TIMEOUT):
        if not app_id or not str(app_id).strip():
            raise ValueError("an Alipay app id is required")
        if not gateway_url.startswith(("https://", "http://")):
            raise ValueError(f"the Alipay gateway must be an http(s) URL, got {gateway_url!r}")
        self._private = _key_text(app_private_key_pem, "app private key")
        self._public = _key_text(alipay_public_key_pem, "Alipay public key")
        self._private_key, self._alipay_key = _readable_keys(self._private, self._public)
        self._timeout = timeout
        self.app_id = str(app_id).strip()
        self.gateway_url = gateway_url
        self.qr = qr
        self.clock = clock
        self.max_share_percent = max_share_percent
        self._bound: set[str] = set()

    @functools.cached_property
    def _client(self):
        """The SDK, for calls to Alipay: built on the first one (a notification is checked without it)."""
        sdk, config = _sdk()
        client = sdk.AliPay(appid=self.app_id, app_private_key_string=self._private,
                            alipay_public_key_string=self._public, sign_type="RSA2", config=config(timeout=self._timeout))
        # The SDK knows only Alipay's production host and its old sandbox; the newer sandbox host and
        # the local sandbox (/_sandbox/alipay/gateway.do) stand in at their own URL.
        client._gateway = self.gateway_url
        return client

    def __repr__(self) -> str:
        return f"AlipayGateway(app_id={self.app_id!r}, gateway_url={self.gateway_url!r}, qr={self.qr})"

    # pay

    def create_session(self, request: SessionRequest) -> PaymentSession:
        if request.currency.upper() != "CNY":
            raise ValueError(f"Alipay takes CNY only, order {request.order_id} is in {request.currency}")
        if request.total <= 0:
            raise ValueError(f"order {request.order_id}: nothing to pay ({request.total})")
        biz = self.trade_content(request)
        if self.qr or request.device not in ("desktop", "phone"):
            answer = self._call("alipay.trade.precreate", biz, notify_url=request.notify_url or None)
            log.info("alipay qr trade created", extra={"order_id": request.order_id})
            return PaymentSession(id=request.order_id, url=answer["qr_code"], show=Show.QR)
        if request.device == "phone":
            method, product = "alipay.trade.wap.pay", "QUICK_WAP_WAY"
            biz["quit_url"] = request.cancel_url
        else:
            method, product = "alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"
        biz["product_code"] = product
        return PaymentSession(id=request.order_id, url=self.pay_page_url(method, biz, request))

    def pay_page_url(self, method: str, biz: dict, request: SessionRequest) -> str:
        """The signed address of Alipay's own pay page: signed here with the app's key, as the SDK would sign it,
        so that checkout never loads the SDK for the page every shopper on a computer or phone is sent to."""
        data = {"app_id": self.app_id, "method": method, "charset": "utf-8", "sign_type": "RSA2",
                "timestamp": beijing_time(self.clock()), "version": "1.0",
                "biz_content": json.dumps(biz, separators=(",", ":")), "return_url": request.success_url}
        if request.notify_url:
            data["notify_url"] = request.notify_url
        data["sign"] = rsa2_sign(self._private_key, signed_text(data, ()))
        return f"{self.gateway_url}?{urlencode(data, quote_via=quote_plus)}"

    def trade_content(self, request: SessionRequest) -> dict:
        subject = request.title if request.quantity == 1 else f"{request.title} × {request.quantity}"
        biz: dict = {
            "out_trade_no": request.order_id,
            "total_amount": yuan(request.total),
            "subject": subject[:SUBJECT_LIMIT],
            "time_expire": beijing_time(request.expires_at),
        }
        if request.payout_account:
            # Frozen until settled to the station's receiver (分账), so the share cannot be spent first.
            biz["extend_params"] = {"royalty_freeze": "true"}
        return biz

    def expire_session(self, session_id: str) -> None:
        try:
            self._call("alipay.trade.close", {"out_trade_no": session_id})
        except AlipayRefused as refused:
            # Never scanned (a QR trade exists only once scanned), or closed, paid or finished already.
            if refused.sub_code not in (TRADE_NOT_EXIST, TRADE_STATUS_ERROR):
                raise
            log.info("alipay trade not open", extra={"order_id": session_id, "sub_code": refused.sub_code})

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        try:
            trade = self._call("alipay.trade.query", {"out_trade_no": session_id})
        except AlipayRefused as refused:
            if refused.sub_code == TRADE_NOT_EXIST:
                return None
            raise
        if trade.get("trade_status") not in PAID:
            return None
        return PaymentEvent(
            id=f"{RAIL}:found:{session_id}", kind=PaymentKind.COMPLETED, order_id=session_id, session_id=session_id,
            paid=True, amount=fen(trade["total_amount"]), currency="CNY", payment_ref=trade["trade_no"])

    # notifications

    def verify_event(self, notification: Notification) -> PaymentEvent:
        params = self._verified(notification)
        try:
            return self._read(params)
        except (KeyError, ValueError) as error:
            raise InvalidRequest(f"支付宝通知缺少或有错误的字段：{error}") from None

    def _verified(self, notification: Notification) -> dict[str, str]:
        try:
            params = dict(parse_qsl(notification.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise InvalidSignature("支付宝通知无法解析，未验签") from None
        signature = params.pop("sign", "")
        if not signature:
            raise InvalidSignature("支付宝通知没有签名")
        if params.get("sign_type", "RSA2") != "RSA2":
            raise InvalidSignature("支付宝通知的签名类型不是 RSA2")
        if not rsa2_verify(self._alipay_key, signed_text(params), signature):
            raise InvalidSignature("支付宝通知签名无效")
        if params.get("app_id") != self.app_id:
            raise InvalidSignature("支付宝通知不属于本店的应用")
        try:
            sent = datetime.strptime(params["notify_time"], TIME_FORMAT).replace(tzinfo=BEIJING)
        except (KeyError, ValueError):
            raise InvalidRequest("支付宝通知的 notify_time 缺失或格式错误") from None
        if self.clock() - sent > OLDEST_NOTIFICATION:
            raise InvalidSignature("支付宝通知已过期")
        return params

    def _read(self, params: dict[str, str]) -> PaymentEvent:
        trade_no, order_id = params["trade_no"], params["out_trade_no"]
        status = params.get("trade_status", "")
        if not trade_no or not order_id:
            raise ValueError("trade_no / out_trade_no")
        refund = next((params[name] for name in REFUND_FIELDS if params.get(name)), None)
        amount = fen(params["total_amount"]) if params.get("total_amount") else None
        if refund is None and status in PAID:
            if amount is None:
                raise ValueError("total_amount")
            event_id, kind = f"{RAIL}:{trade_no}:paid", PaymentKind.COMPLETED
        elif refund is not None:
            event_id, kind = f"{RAIL}:{trade_no}:refund:{params.get('out_biz_no') or refund}", PaymentKind.OTHER
        else:
            event_id, kind = f"{RAIL}:{trade_no}:{status.lower() or 'unknown'}", PaymentKind.OTHER
        return PaymentEvent(id=event_id, kind=kind, order_id=order_id, session_id=order_id,
                            paid=kind is PaymentKind.COMPLETED, amount=amount, currency="CNY", payment_ref=trade_no)

    def acknowledge(self, event: PaymentEvent) -> Acknowledgement:
        return Acknowledgement(200, "text/plain; charset=utf-8", b"success")

    # give money back

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0,
               take_back: TakeBack | None = None) -> str:
        """Refund the trade (all of it when `amount` is None); `take_back` takes that
        much of the split back from the receiver in the same refund."""
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        if take_back is not None and take_back.amount <= 0:
            raise ValueError(f"a royalty taken back must be positive, got {take_back.amount}")
        number = refund_number(order_id, amount, attempt)
        if amount is None:
            amount = fen(self._call("alipay.trade.query", {"trade_no": payment_ref})["total_amount"])
        biz: dict = {"trade_no": payment_ref, "refund_amount": yuan(amount), "out_request_no": number}
        if take_back is not None:
            receiver, back = take_back.receiver, take_back.amount
            biz["refund_royalty_parameters"] = [{"royalty_type": "transfer", "trans_out": receiver,
                                                 "trans_out_type": receiver_type(receiver), "amount": yuan(back)}]
        answer = self._call("alipay.trade.refund", biz)
        log.info("alipay refund asked", extra={"order_id": order_id, "out_request_no": number,
                                                 "fund_change": answer.get("fund_change")})
        return f"{RAIL}:{number}"

    def refund_status(self, order_id: str, out_request_no: str) -> str | None:
        """"succeeded" once Alipay holds the refund; None when it never received it (ask again, same number)."""
        answer = self._call("alipay.trade.fastpay.refund.query",
                            {"out_trade_no": order_id, "out_request_no": out_request_no})
        if not answer.get("refund_amount"):
            return None
        # Alipay: data returned with an empty refund_status or REFUND_SUCCESS is a refund made.
        return "succeeded" if answer.get("refund_status", "") in ("", "REFUND_SUCCESS") else answer["refund_status"].lower()

    # 分账

    def split(self, payment_ref: str, order_id: str, receiver: str, amount: int) -> str:
        if amount <= 0:
            raise ValueError(f"a split amount must be positive, got {amount}")
        kind = receiver_type(receiver)
        if receiver not in self._bound:
            self._call("alipay.trade.royalty.relation.bind", {
                "out_request_no": bind_request_no(receiver),
                "receiver_list": [{"type": kind, "account": receiver, "memo": "分站分账"}]})
            self._bound.add(receiver)
        number = split_number(order_id)
        self._call("alipay.trade.order.settle", {
            "out_request_no": number, "trade_no": payment_ref,
            "royalty_parameters": [{"royalty_type": "transfer", "trans_in_type": kind, "trans_in": receiver,
                                    "amount": yuan(amount)}],
            # The order's only split: what is left unfreezes to the platform now, not after Alipay's 30 days.
            "extend_params": {"royalty_finish": "true"}})
        log.info("alipay split settled", extra={"order_id": order_id, "out_request_no": number})
        return f"{RAIL}:{number}"

    def _call(self, method: str, biz: dict, **common) -> dict:
        sdk, _ = _sdk()
        data = self._client.build_body(method, biz, **common)
        try:
            answer = self._client.verified_sync_response(data, method.replace(".", "_") + "_response")
        except sdk.AliPayValidationError:
            raise InvalidSignature(f"支付宝对 {method} 的应答签名无效") from None
        except sdk.AliPayException as error:
            raise _refusal(method, str(error)) from None
        if answer.get("code") != SUCCESS:
            raise AlipayRefused(method, answer.get("code", ""), answer.get("sub_code", ""), answer.get("sub_msg", ""))
        return answer


def _refusal(method: str, text: str) -> AlipayRefused:
    # The SDK raises with the raw answer when it is unsigned (Alipay does not sign some errors).
    try:
        raw = json.loads(text[text.index("{"):])
        body = raw.get(method.replace(".", "_") + "_response") or raw.get("error_response") or {}
    except ValueError:
        body = {}
    return AlipayRefused(method, body.get("code", "0"), body.get("sub_code", ""), body.get("sub_msg", ""))
