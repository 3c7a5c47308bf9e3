"""WeChat Pay API v3: Native QR, H5 and JSAPI payments, their notifications, refunds and 分账.

Requests go through wechatpayv3, imported on the first call that needs the network: a webhook
function only verifies, with `cryptography`, and never pays for the SDK's import.

WeChat Pay's rules this adapter follows (pay.weixin.qq.com, API v3):
- Amounts are integers in fen; the order's minor units of CNY are fen already (`fen`).
- A notification is signed over "timestamp\\nnonce\\nbody\\n" with the platform key its
  Wechatpay-Serial names (the platform public key, or a platform certificate); its resource is
  AEAD_AES_256_GCM under the APIv3 key. WeChat Pay re-signs each retry, so a timestamp more than
  five minutes from our clock is a replay.
- The merchant order number (out_trade_no) is our order id, so the query and close need nothing else.
- Each refund (out_refund_no) and profit-sharing return (out_return_no) has its own number: the
  same number again is answered with the first request's result, never a second movement of money.
"""
from __future__ import annotations

import base64
import functools
import json
import logging
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from kameng.domain.rail_numbers import refund_number, split_back_number, split_number
from kameng.domain.errors import GatewayUnavailable, InvalidRequest, InvalidSignature
from kameng.domain.order import PaymentEvent, PaymentKind
from kameng.ports.outside import Acknowledgement, Notification, PaymentSession, SessionRequest, Show, TakeBack

log = logging.getLogger(__name__)

GATEWAY_URL = "https://api.mch.weixin.qq.com"
# 网页授权 (snsapi_base): WeChat's browser is sent to the first, the code exchanged at the second's
# /sns/oauth2/access_token for the payer's openid.
OAUTH_AUTHORIZE_URL = "https://open.weixin.qq.com"
OAUTH_API_URL = "https://api.weixin.qq.com"
# What WeChat answers for a code that is wrong, used already, or too old (it lives five minutes).
OAUTH_CODE_REFUSED = (40029, 40163, 41008, 42003)
CURRENCY = "CNY"
# WeChat Pay's own window for a notification's timestamp against the merchant's clock.
MAX_NOTIFICATION_AGE = timedelta(minutes=5)
# Connect and read timeouts: a webhook or checkout waits on WeChat Pay inside API Gateway's 30 s.
REQUEST_TIMEOUT = (3.0, 10.0)
BEIJING = timezone(timedelta(hours=8))
# A trade in these states takes no more money: closing it again has nothing to do.
NOT_TAKING_MONEY = ("SUCCESS", "REFUND", "CLOSED", "REVOKED", "PAYERROR", "ORDER_NOT_EXIST")
REFUND_FAILED = ("REFUND.ABNORMAL", "REFUND.CLOSED")


class WechatPayError(RuntimeError):
    """WeChat Pay answered with an error; `code` is its error code (ORDER_NOT_EXIST, ORDERPAID …)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"WeChat Pay {status} {code}: {message}")
        self.status = status
        self.code = code


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def fen(amount: int, currency: str) -> int:
    """The one place an order's amount becomes WeChat Pay's: CNY's minor unit is the fen."""
    if currency.upper() != CURRENCY:
        raise ValueError(f"WeChat Pay takes CNY only, got {currency!r}")
    if not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"a WeChat Pay amount is a positive number of fen, got {amount!r}")
    return amount


@functools.cache
def _wechatpayv3():
    import wechatpayv3

    return wechatpayv3


@functools.cache
def _crypto():
    from cryptography.exceptions import InvalidSignature as BadSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return BadSignature, hashes, serialization, padding, AESGCM


def _load_private_key(pem: str):
    _, _, serialization, *_ = _crypto()
    try:
        # Parsed, not proven prime (tens of milliseconds of a cold start): WeChat Pay refuses what a wrong key signs.
        return serialization.load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError) as error:
        raise ValueError(f"the merchant API private key is not a PEM private key: {error}") from None


def _load_public_key(pem: str):
    _, _, serialization, *_ = _crypto()
    try:
        return serialization.load_pem_public_key(pem.encode())
    except ValueError as error:
        raise ValueError(f"the WeChat Pay platform public key is not a PEM public key: {error}") from None


def _platform_certificates(cert_dir: str) -> dict:
    # Certificates only where the platform's certificates are kept instead of its public key: x509 costs a
    # notification's cold start 30 ms.
    from cryptography.x509 import load_pem_x509_certificate as load_certificate

    keys = {}
    for path in sorted(Path(cert_dir).glob("*.pem")):
        try:
            certificate = load_certificate(path.read_bytes())
        except ValueError as error:
            raise ValueError(f"{path}: not a PEM certificate: {error}") from None
        keys[format(certificate.serial_number, "X")] = certificate.public_key()
    return keys


def rsa_sign(private_key, message: str) -> str:
    _, hashes, _, padding, *_ = _crypto()
    return base64.b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key, message: bytes, signature: str) -> bool:
    bad_signature, hashes, _, padding, *_ = _crypto()
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (bad_signature, ValueError):
        return False
    return True


def decrypt_resource(apiv3_key: str, resource: dict) -> dict:
    """The notification's resource in clear; InvalidSignature if it was not sealed with our APIv3 key."""
    *_, aesgcm = _crypto()
    if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise InvalidRequest("微信支付通知的加密数据格式不对")
    try:
        clear = aesgcm(apiv3_key.encode()).decrypt(
            str(resource["nonce"]).encode(), base64.b64decode(resource["ciphertext"]),
            str(resource.get("associated_data") or "").encode())
    except KeyError:
        raise InvalidRequest("微信支付通知的加密数据不完整") from None
    except Exception:
        raise InvalidSignature("微信支付通知的加密数据无法解开：不是用本商户的 APIv3 密钥加密的") from None
    try:
        return json.loads(clear)
    except ValueError:
        raise InvalidRequest("微信支付通知解密后不是 JSON") from None


class WechatGateway:
    rail = "wechat"
    window: timedelta | None = None

    def __init__(self, mchid: str, appid: str, cert_serial_no: str, private_key_pem: str, apiv3_key: str, *,
                 public_key_pem: str | None = None, public_key_id: str | None = None, cert_dir: str | None = None,
                 gateway_url: str = GATEWAY_URL, notify_url: str = "", max_share_percent: int = 30,
                 clock: Callable[[], datetime] = utc_now, timeout: tuple[float, float] = REQUEST_TIMEOUT,
                 app_secret: str = "", oauth_urls: tuple[str, str] = (OAUTH_AUTHORIZE_URL, OAUTH_API_URL),
                 sandbox_pages: str | None = None):
        """`notify_url` is where refund notifications go (the shop's /api/webhooks/wechat); payments
        are notified to the SessionRequest's own notify_url. `app_secret` (the 公众号's AppSecret) lets
        the shop learn a payer's openid, so inside WeChat it pays by JSAPI; `oauth_urls` are the hosts
        of 网页授权 (authorize, code exchange). `sandbox_pages`: the sandbox's address, whose own pay
        page stands in for WeChat's pay sheet (None with the real WeChat Pay)."""
        for name, value in (("mchid", mchid), ("appid", appid), ("cert_serial_no", cert_serial_no),
                            ("private_key_pem", private_key_pem), ("apiv3_key", apiv3_key)):
            if not value:
                raise ValueError(f"WeChat Pay needs {name}")
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the WeChat Pay APIv3 key must be 32 bytes")
        if bool(public_key_pem) != bool(public_key_id):
            raise ValueError("the WeChat Pay platform public key and its id come together")
        self.mchid, self.appid, self.cert_serial_no = mchid, appid, cert_serial_no
        self.gateway_url = gateway_url.rstrip("/")
        self.notify_url = notify_url
        self.clock = clock
        self.max_share_percent = max_share_percent
        self.timeout = timeout
        self._private_key_pem = private_key_pem
        self._private_key = _load_private_key(private_key_pem)
        self._apiv3_key = apiv3_key
        self._public_key_pem, self._public_key_id, self._cert_dir = public_key_pem, public_key_id, cert_dir
        self._platform_keys = {public_key_id: _load_public_key(public_key_pem)} if public_key_pem else {}
        if cert_dir:
            self._platform_keys.update(_platform_certificates(cert_dir))
        if not self._platform_keys:
            raise ValueError("WeChat Pay needs the platform public key (and its id) or a folder of platform certificates")
        self._app_secret = app_secret
        self.oauth_urls = tuple(url.rstrip("/") for url in oauth_urls)
        self.sandbox_pages = sandbox_pages.rstrip("/") if sandbox_pages else None
        self._client_instance = None

    def __repr__(self) -> str:
        return f"WechatGateway(mchid={self.mchid!r}, appid={self.appid!r}, gateway_url={self.gateway_url!r})"

    # the port

    def create_session(self, request: SessionRequest) -> PaymentSession:
        kind, params = self.session_params(request)
        answer = self._call("pay", pay_type=getattr(_wechatpayv3().WeChatPayType, kind), **params)
        log.info("wechat pay trade opened", extra={"order_id": request.order_id, "trade_type": kind})
        if kind == "JSAPI":
            return PaymentSession(id=request.order_id, url=answer["prepay_id"], show=Show.JSAPI)
        if kind == "H5":
            # WeChat Pay sends the payer back to redirect_url, appended to h5_url, once the cashier closes.
            url = f"{answer['h5_url']}&redirect_url={quote(request.success_url, safe='')}"
            return PaymentSession(id=request.order_id, url=url, show=Show.REDIRECT)
        return PaymentSession(id=request.order_id, url=answer["code_url"], show=Show.QR)

    def session_params(self, request: SessionRequest) -> tuple[str, dict]:
        if not request.notify_url:
            raise ValueError(f"order {request.order_id}: WeChat Pay needs the notify_url")
        params: dict[str, Any] = {
            "description": request.title[:127], "out_trade_no": request.order_id,
            "amount": {"total": fen(request.total, request.currency), "currency": CURRENCY},
            "time_expire": request.expires_at.astimezone(BEIJING).isoformat(timespec="seconds"),
            "notify_url": request.notify_url,
        }
        if request.payout_account:
            # 分账 is only possible on a trade opened with profit_sharing; its money stays frozen until split.
            params["settle_info"] = {"profit_sharing": True}
        if request.device == "wechat" and request.openid:
            return "JSAPI", {**params, "payer": {"openid": request.openid}}
        if request.device == "phone":
            if not request.client_ip:
                raise ValueError(f"order {request.order_id}: WeChat Pay's H5 needs the payer's address")
            return "H5", {**params, "scene_info": {"payer_client_ip": request.client_ip, "h5_info": {"type": "Wap"}}}
        return "NATIVE", params

    def jsapi_params(self, prepay_id: str) -> dict:
        """What WeixinJSBridge's getBrandWCPayRequest takes, signed with the merchant key."""
        timestamp, nonce = str(int(self.clock().timestamp())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        signature = rsa_sign(self._private_key, f"{self.appid}\n{timestamp}\n{nonce}\n{package}\n")
        return {"appId": self.appid, "timeStamp": timestamp, "nonceStr": nonce, "package": package,
                "signType": "RSA", "paySign": signature}

    # JSAPI inside WeChat: the payer's openid by 网页授权 (snsapi_base, silent)

    @property
    def jsapi_ready(self) -> bool:
        """Whether a payer inside WeChat pays by JSAPI: only with the AppSecret is the openid known."""
        return bool(self._app_secret)

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where WeChat's browser learns who pays, silently; it comes back to redirect_uri?code=…&state=…."""
        query = "&".join(f"{name}={quote(value, safe='')}" for name, value in (
            ("appid", self.appid), ("redirect_uri", redirect_uri), ("response_type", "code"),
            ("scope", "snsapi_base"), ("state", state)))
        return f"{self.oauth_urls[0]}/connect/oauth2/authorize?{query}#wechat_redirect"

    def openid_for(self, code: str) -> str:
        """The payer's openid for the code WeChat gave the browser; InvalidRequest for a code WeChat refuses
        (wrong, used, or expired), GatewayUnavailable when WeChat cannot be asked."""
        import requests

        params = {"appid": self.appid, "secret": self._app_secret, "code": code, "grant_type": "authorization_code"}
        try:
            answer = requests.get(f"{self.oauth_urls[1]}/sns/oauth2/access_token", params=params, timeout=self.timeout)
            body = answer.json()
        except (requests.RequestException, ValueError) as error:
            # Not the error's text: it repeats the URL, whose query holds the AppSecret.
            log.warning("wechat oauth unreachable", extra={"error": type(error).__name__})
            raise GatewayUnavailable("暂时无法向微信确认付款人身份，请稍后重新打开付款链接") from None
        if not isinstance(body, dict):
            body = {}
        if body.get("errcode") in OAUTH_CODE_REFUSED:
            raise InvalidRequest("微信授权已失效或已用过，请重新打开付款链接")
        if not isinstance(body.get("openid"), str) or not body["openid"]:
            log.warning("wechat oauth refused", extra={"errcode": body.get("errcode"), "errmsg": str(body.get("errmsg"))[:100]})
            raise GatewayUnavailable("微信未能确认付款人身份，请稍后重新打开付款链接")
        return body["openid"]

    def sandbox_pay_url(self, order_id: str) -> str | None:
        """The sandbox's pay page of the order, which pays as WeChat's pay sheet would; None with WeChat Pay itself."""
        return None if self.sandbox_pages is None else f"{self.sandbox_pages}/pay/{quote(order_id, safe='')}"

    def expire_session(self, session_id: str) -> None:
        try:
            self._call("close", out_trade_no=session_id)
        except WechatPayError as error:
            # ORDERPAID or ORDER_NOT_EXIST: ask for the state rather than trust the code alone.
            state = self._trade_state(session_id)
            if state not in NOT_TAKING_MONEY:
                raise error
            log.info("wechat pay trade already finished", extra={"session_id": session_id, "trade_state": state})
            return
        log.info("wechat pay trade closed", extra={"session_id": session_id})

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        trade = self._query(session_id)
        if trade is None or trade.get("trade_state") != "SUCCESS":
            return None
        return self._paid(f"wechat:found:{session_id}", trade)

    def verify_event(self, notification: Notification) -> PaymentEvent:
        envelope = self._verified_envelope(notification)
        event_type = envelope.get("event_type")
        if not isinstance(event_type, str) or not (event_type.startswith("TRANSACTION.")
                                                   or event_type.startswith("REFUND.")):
            return self._other(envelope)
        resource = decrypt_resource(self._apiv3_key, envelope.get("resource"))
        if resource.get("mchid") != self.mchid:
            raise InvalidSignature("微信支付通知的商户号不是本商户")
        if event_type.startswith("REFUND."):
            return self._refund_event(envelope, resource)
        if resource.get("appid") != self.appid:
            raise InvalidSignature("微信支付通知的应用 ID 不是本商户的")
        if event_type != "TRANSACTION.SUCCESS" or resource.get("trade_state") != "SUCCESS":
            return self._other(envelope)
        return self._paid(f"wechat:{envelope['id']}", resource)

    def acknowledge(self, event: PaymentEvent) -> Acknowledgement:
        # WeChat Pay takes 200 or 204 as "received"; anything else is retried.
        return Acknowledgement(status=204, content_type="text/plain", body=b"")

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0,
               take_back: TakeBack | None = None) -> str:
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        if take_back is not None:
            # The station's share comes back first: the merchant refunds from money it holds.
            self.split_back(payment_ref, order_id, take_back)
        trade = self._call("query", transaction_id=payment_ref)
        total = trade["amount"]["total"]
        out_refund_no = refund_number(order_id, amount, attempt)
        params: dict[str, Any] = {"out_refund_no": out_refund_no, "transaction_id": payment_ref,
                                  "amount": {"refund": total if amount is None else fen(amount, CURRENCY),
                                             "total": total, "currency": CURRENCY}}
        if self.notify_url:
            params["notify_url"] = self.notify_url
        answer = self._call("refund", **params)
        log.info("wechat pay refund requested",
                 extra={"order_id": order_id, "refund_id": out_refund_no, "refund_status": answer.get("status")})
        return f"wechat:{out_refund_no}"

    def split(self, payment_ref: str, order_id: str, receiver: str, amount: int) -> str:
        # Adding a receiver again is answered as the first time, so every split may add it.
        self._call("profitsharing_add_receiver", account_type="MERCHANT_ID", account=receiver, relation_type="PARTNER")
        answer = self._call("profitsharing_order", transaction_id=payment_ref, out_order_no=split_number(order_id),
                            receivers=[{"type": "MERCHANT_ID", "account": receiver, "amount": fen(amount, CURRENCY),
                                        "description": "站点分成"}],
                            unfreeze_unsplit=True)
        log.info("wechat pay profit sharing requested", extra={"order_id": order_id, "state": answer.get("state")})
        return answer.get("order_id") or split_number(order_id)

    def split_back(self, payment_ref: str, order_id: str, take_back: TakeBack) -> str:
        """Take the station's share back before a refund (a return order); the same step again, after a refund
        that failed, is answered as the first time."""
        out_return_no = split_back_number(order_id, take_back.taken_after)
        answer = self._call("profitsharing_return", out_return_no=out_return_no, return_mchid=take_back.receiver,
                            amount=fen(take_back.amount, CURRENCY), description="订单退款，收回分成",
                            out_order_no=split_number(order_id))
        log.info("wechat pay profit sharing returned", extra={"order_id": order_id, "result": answer.get("result")})
        return answer.get("return_id") or out_return_no

    # reading notifications

    def _verified_envelope(self, notification: Notification) -> dict:
        headers = {name.lower(): value for name, value in notification.headers.items()}
        timestamp, nonce = headers.get("wechatpay-timestamp", ""), headers.get("wechatpay-nonce", "")
        signature, serial = headers.get("wechatpay-signature", ""), headers.get("wechatpay-serial", "")
        if not (timestamp and nonce and signature and serial):
            raise InvalidSignature("微信支付通知没有签名")
        public_key = self._platform_keys.get(serial)
        if public_key is None:
            raise InvalidSignature("微信支付通知的平台证书序列号（公钥 ID）不认识")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp), timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise InvalidSignature("微信支付通知的时间戳无效") from None
        if abs(self.clock() - sent_at) > MAX_NOTIFICATION_AGE:
            raise InvalidSignature("微信支付通知的时间戳与当前时间相差超过 5 分钟")
        message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + notification.body + b"\n"
        if not rsa_verify(public_key, message, signature):
            raise InvalidSignature("微信支付通知的签名不对")
        try:
            envelope = json.loads(notification.body)
        except ValueError:
            raise InvalidRequest("微信支付通知不是 JSON") from None
        if not isinstance(envelope, dict) or not envelope.get("id"):
            raise InvalidRequest("微信支付通知没有通知 ID")
        return envelope

    def _paid(self, event_id: str, trade: dict) -> PaymentEvent:
        try:
            amount, currency = int(trade["amount"]["total"]), str(trade["amount"].get("currency") or CURRENCY)
            out_trade_no, transaction_id = str(trade["out_trade_no"]), str(trade["transaction_id"])
        except (KeyError, TypeError, ValueError):
            raise InvalidRequest("微信支付的交易缺少订单号、交易号或金额") from None
        return PaymentEvent(id=event_id, kind=PaymentKind.COMPLETED, order_id=out_trade_no, session_id=out_trade_no,
                            paid=True, amount=amount, currency=currency, payment_ref=transaction_id)

    def _refund_event(self, envelope: dict, refund: dict) -> PaymentEvent:
        event_type = envelope["event_type"]
        if event_type == "REFUND.SUCCESS":
            kind = PaymentKind.REFUND_UPDATED
        elif event_type in REFUND_FAILED:
            kind = PaymentKind.REFUND_FAILED
        else:
            return self._other(envelope)
        if not refund.get("out_refund_no") or not refund.get("out_trade_no"):
            raise InvalidRequest("微信支付退款通知缺少退款单号或订单号")
        amount = refund.get("amount") or {}
        return PaymentEvent(
            id=f"wechat:{envelope['id']}", kind=kind, order_id=refund["out_trade_no"], session_id=refund["out_trade_no"],
            paid=False, amount=amount.get("refund"), currency=CURRENCY, payment_ref=refund.get("transaction_id"),
            refund_id=f"wechat:{refund['out_refund_no']}", refund_status=refund.get("refund_status"),
            refund_failure=None if kind is PaymentKind.REFUND_UPDATED else refund.get("refund_status"))

    @staticmethod
    def _other(envelope: dict) -> PaymentEvent:
        return PaymentEvent(id=f"wechat:{envelope['id']}", kind=PaymentKind.OTHER, order_id=None, session_id=None,
                            paid=False, amount=None, currency=None, payment_ref=None)

    # talking to WeChat Pay

    def _client(self):
        if self._client_instance is None:
            sdk = _wechatpayv3()
            client = sdk.WeChatPay(
                wechatpay_type=sdk.WeChatPayType.NATIVE, mchid=self.mchid, private_key=self._private_key_pem,
                cert_serial_no=self.cert_serial_no, appid=self.appid, apiv3_key=self._apiv3_key,
                notify_url=self.notify_url or None, cert_dir=self._cert_dir, timeout=self.timeout,
                public_key=self._public_key_pem, public_key_id=self._public_key_id)
            # The SDK has no argument for its base URL; the sandbox stands in for api.mch.weixin.qq.com here.
            client._core._gate_way = self.gateway_url
            self._client_instance = client
        return self._client_instance

    def _call(self, method: str, **params) -> dict:
        status, text = getattr(self._client(), method)(**params)
        body = _json(text)
        if not 200 <= status < 300:
            raise WechatPayError(status, str(body.get("code", "")), str(body.get("message", text))[:300])
        return body

    def _query(self, out_trade_no: str) -> dict | None:
        try:
            return self._call("query", out_trade_no=out_trade_no)
        except WechatPayError as error:
            if error.code == "ORDER_NOT_EXIST":
                return None
            raise

    def _trade_state(self, out_trade_no: str) -> str:
        trade = self._query(out_trade_no)
        return "ORDER_NOT_EXIST" if trade is None else str(trade.get("trade_state"))


def _json(text: Any) -> dict:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return {"message": str(text)[:300]}
    return body if isinstance(body, dict) else {}





