"""A stand-in for api.mch.weixin.qq.com, mounted by the local server under /_sandbox/wechat/.

It speaks WeChat Pay API v3 as the real service does: every request must carry the merchant's
WECHATPAY2-SHA256-RSA2048 Authorization, every answer is signed with the platform key
(Wechatpay-* headers), notifications are JSON with an AEAD_AES_256_GCM resource, signed afresh
at each sending. Its trades live in an SQLite file in the data folder; notifications wait in its
outbox (sandbox_outbox.py) until the shop answers 2xx, and `resend_due` sends them again.
The pay page (what code_url and h5_url point at) pays, pays a fen short, or closes the trade.
It stands in for 网页授权 too (open.weixin.qq.com's authorize, api.weixin.qq.com's code exchange):
the authorize page sends the browser straight back with a code, good once, for the sandbox's payer.
"""
from __future__ import annotations

import base64
import html
import json
import logging
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote

from kameng.adapters.gateway_wechat import rsa_sign, rsa_verify
from kameng.adapters.sandbox_outbox import SCHEMA as OUTBOX_SCHEMA, WebhookOutbox
from kameng.adapters.sandbox_wechat_keys import nonce, sandbox_keys
from kameng.adapters.sandbox_send import Send, http_send
from kameng.adapters.sqlite_file import SqliteFile

log = logging.getLogger(__name__)

MOUNT = "/_sandbox/wechat"
SCHEMA = """
CREATE TABLE IF NOT EXISTS wechat_trades (
    out_trade_no TEXT PRIMARY KEY, transaction_id TEXT UNIQUE, trade_type TEXT NOT NULL, state TEXT NOT NULL,
    request TEXT NOT NULL, answer TEXT NOT NULL, paid_total INTEGER, success_time TEXT,
    refunded INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS wechat_refunds (out_refund_no TEXT PRIMARY KEY, answer TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wechat_receivers (account TEXT PRIMARY KEY, answer TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wechat_sharing (
    out_order_no TEXT PRIMARY KEY, account TEXT NOT NULL, amount INTEGER NOT NULL,
    returned INTEGER NOT NULL DEFAULT 0, answer TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wechat_returns (out_return_no TEXT PRIMARY KEY, answer TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wechat_oauth_codes (code TEXT PRIMARY KEY, used INTEGER NOT NULL DEFAULT 0);
"""
# The one payer the sandbox knows inside WeChat (the openid of WeChat's own documentation).
SANDBOX_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
BEIJING = timezone(timedelta(hours=8))
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
AUTHORIZATION = re.compile(r'(\w+)="([^"]*)"')
# WeChat Pay refuses a request signed more than five minutes from its clock.
MAX_REQUEST_AGE = 300
PAID = ("SUCCESS", "REFUND")

# send(method, url, body, headers) -> the HTTP status the shop answered.


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def beijing_time(at: float) -> str:
    return datetime.fromtimestamp(at, BEIJING).isoformat(timespec="seconds")


def _digits(prefix: str) -> str:
    return prefix + "".join(secrets.choice("0123456789") for _ in range(24))


class WechatSandbox:
    def __init__(self, data_dir: Path | str, base_url: str, send: Send = http_send, clock: Callable[[], float] = time.time):
        from cryptography.hazmat.primitives import serialization

        self.keys = sandbox_keys(data_dir)
        self.base_url = base_url.rstrip("/")
        self.send = send
        self.clock = clock
        self.db = SqliteFile(Path(data_dir) / "wechat-sandbox.sqlite3", SCHEMA + OUTBOX_SCHEMA)
        self.outbox = WebhookOutbox(self.db, clock)
        self._merchant_key = serialization.load_pem_public_key(self.keys.merchant_public_pem.encode())
        self._platform_key = serialization.load_pem_private_key(self.keys.platform_private_pem.encode(), None)
        self._routes: list[tuple[str, re.Pattern, Callable]] = [
            ("POST", re.compile(r"/v3/pay/transactions/(native|h5|jsapi)"), self._create),
            ("GET", re.compile(r"/v3/pay/transactions/out-trade-no/([^/]+)"), self._query),
            ("GET", re.compile(r"/v3/pay/transactions/id/([^/]+)"), self._query_by_id),
            ("POST", re.compile(r"/v3/pay/transactions/out-trade-no/([^/]+)/close"), self._close),
            ("POST", re.compile(r"/v3/refund/domestic/refunds"), self._refund),
            ("POST", re.compile(r"/v3/profitsharing/receivers/add"), self._add_receiver),
            ("POST", re.compile(r"/v3/profitsharing/orders"), self._share),
            ("POST", re.compile(r"/v3/profitsharing/return-orders"), self._share_back),
        ]

    def __repr__(self) -> str:
        return f"WechatSandbox(base_url={self.base_url!r})"

    # WSGI

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        path = path[len(MOUNT):] if path.startswith(MOUNT) else path
        method, query = environ["REQUEST_METHOD"], environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if path in OAUTH_PATHS:
            status, headers, payload = getattr(self, OAUTH_PATHS[path])(parse_qs(query))
            start_response(status, headers)
            return [payload]
        if path.startswith("/pay/"):
            status, page = self._pay_page(method, path[len("/pay/"):], body)
            start_response(f"{status} {'OK' if status == 200 else 'Not Found'}",
                           [("Content-Type", "text/html; charset=utf-8")])
            return [page.encode()]
        status, answer = self.api(method, path + (f"?{query}" if query else ""), body, environ.get("HTTP_AUTHORIZATION", ""))
        payload = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
        start_response(f"{status} {'OK' if status < 300 else 'Error'}",
                       [*self.signed_headers(payload), ("Request-ID", secrets.token_hex(16))])
        return [payload]

    def api(self, method: str, url: str, body: bytes, authorization: str) -> tuple[int, dict | None]:
        try:
            self._check_authorization(method, url, body, authorization)
            path = url.split("?", 1)[0]
            for verb, pattern, handler in self._routes:
                match = pattern.fullmatch(path)
                if match and verb == method:
                    request = json.loads(body) if body else {}
                    return handler(*match.groups(), request)
            raise Refused(404, "NOT_FOUND", "接口不存在")
        except Refused as refusal:
            return refusal.status, {"code": refusal.code, "message": refusal.message}
        except (ValueError, KeyError, TypeError) as error:
            return 400, {"code": "PARAM_ERROR", "message": f"参数错误：{error!r}"[:200]}

    def signed_headers(self, payload: bytes, sent_at: float | None = None) -> list[tuple[str, str]]:
        timestamp, once = str(int(self.clock() if sent_at is None else sent_at)), nonce()
        signature = rsa_sign(self._platform_key, f"{timestamp}\n{once}\n{payload.decode()}\n")
        return [("Content-Type", "application/json"), ("Wechatpay-Timestamp", timestamp), ("Wechatpay-Nonce", once),
                ("Wechatpay-Signature", signature), ("Wechatpay-Serial", self.keys.public_key_id),
                ("Wechatpay-Signature-Type", SIGNATURE_TYPE)]

    def _check_authorization(self, method: str, url: str, body: bytes, authorization: str) -> None:
        scheme, _, rest = authorization.partition(" ")
        fields = dict(AUTHORIZATION.findall(rest))
        if scheme != SIGNATURE_TYPE or not {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} <= set(fields):
            raise Refused(401, "SIGN_ERROR", "缺少签名信息")
        if fields["mchid"] != self.keys.mchid or fields["serial_no"] != self.keys.merchant_serial:
            raise Refused(401, "SIGN_ERROR", "商户号或证书序列号不对")
        if not fields["timestamp"].isdigit() or abs(int(fields["timestamp"]) - self.clock()) > MAX_REQUEST_AGE:
            raise Refused(401, "SIGN_ERROR", "请求时间戳已过期")
        message = f"{method}\n{url}\n{fields['timestamp']}\n{fields['nonce_str']}\n".encode() + body + b"\n"
        if not rsa_verify(self._merchant_key, message, fields["signature"]):
            raise Refused(401, "SIGN_ERROR", "签名错误")

    # trades

    def _create(self, trade_type: str, request: dict) -> tuple[int, dict]:
        if request.get("appid") != self.keys.appid or request.get("mchid") != self.keys.mchid:
            raise Refused(400, "APPID_MCHID_NOT_MATCH", "appid 和 mch_id 不匹配")
        total = request["amount"]["total"]
        if not isinstance(total, int) or total <= 0 or not request["notify_url"] or not request["description"]:
            raise Refused(400, "PARAM_ERROR", "金额、通知地址或商品描述不对")
        if trade_type == "h5" and not request.get("scene_info", {}).get("payer_client_ip"):
            raise Refused(400, "PARAM_ERROR", "H5 支付需要 scene_info.payer_client_ip")
        if trade_type == "jsapi" and not request.get("payer", {}).get("openid"):
            raise Refused(400, "PARAM_ERROR", "JSAPI 支付需要 payer.openid")
        out_trade_no = request["out_trade_no"]
        answer = self._prepay_answer(trade_type, out_trade_no)
        with self.db.write() as conn:
            row = conn.execute("SELECT request, answer, state FROM wechat_trades WHERE out_trade_no = ?",
                               (out_trade_no,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO wechat_trades (out_trade_no, trade_type, state, request, answer)"
                             " VALUES (?, ?, 'NOTPAY', ?, ?)",
                             (out_trade_no, trade_type.upper(), json.dumps(request), json.dumps(answer)))
                return 200, answer
        if row[2] in PAID:
            raise Refused(400, "ORDERPAID", "该订单已支付")
        if json.loads(row[0]) != request:
            raise Refused(400, "INVALID_REQUEST", "201 商户订单号重复")
        return 200, json.loads(row[1])

    def _prepay_answer(self, trade_type: str, out_trade_no: str) -> dict:
        prepay_id = "wx" + secrets.token_hex(16)
        if trade_type == "native":
            return {"code_url": f"{self.base_url}/pay/{out_trade_no}"}
        if trade_type == "h5":
            return {"h5_url": f"{self.base_url}/pay/{out_trade_no}?prepay_id={prepay_id}&package=sandbox"}
        return {"prepay_id": prepay_id}

    def _trade(self, out_trade_no: str) -> dict:
        row = self.db.conn().execute(
            "SELECT trade_type, state, request, transaction_id, paid_total, success_time FROM wechat_trades"
            " WHERE out_trade_no = ?", (out_trade_no,)).fetchone()
        if row is None:
            raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
        trade_type, state, request, transaction_id, paid_total, success_time = row
        request = json.loads(request)
        trade = {"appid": request["appid"], "mchid": request["mchid"], "out_trade_no": out_trade_no,
                 "trade_type": trade_type, "trade_state": state, "trade_state_desc": STATE_TEXT.get(state, state),
                 "attach": request.get("attach", ""),
                 "amount": {"total": request["amount"]["total"], "currency": request["amount"].get("currency", "CNY"),
                            "payer_currency": "CNY"}}
        if state in PAID:
            trade.update({"transaction_id": transaction_id, "bank_type": "OTHERS", "success_time": success_time,
                          "payer": {"openid": request.get("payer", {}).get("openid", "sandbox-openid")}})
            trade["amount"]["payer_total"] = paid_total
            # What was paid is what the notification brings; a short payment shows as a smaller total.
            trade["amount"]["total"] = paid_total
        return trade

    def _query(self, out_trade_no: str, request: dict) -> tuple[int, dict]:
        return 200, self._trade(out_trade_no)

    def _query_by_id(self, transaction_id: str, request: dict) -> tuple[int, dict]:
        row = self.db.conn().execute("SELECT out_trade_no FROM wechat_trades WHERE transaction_id = ?",
                                     (transaction_id,)).fetchone()
        if row is None:
            raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
        return 200, self._trade(row[0])

    def _close(self, out_trade_no: str, request: dict) -> tuple[int, None]:
        if request.get("mchid") != self.keys.mchid:
            raise Refused(400, "PARAM_ERROR", "商户号不对")
        with self.db.write() as conn:
            row = conn.execute("SELECT state FROM wechat_trades WHERE out_trade_no = ?", (out_trade_no,)).fetchone()
            if row is None:
                raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
            if row[0] in PAID:
                raise Refused(400, "ORDERPAID", "订单已支付")
            conn.execute("UPDATE wechat_trades SET state = 'CLOSED' WHERE out_trade_no = ?", (out_trade_no,))
        return 204, None

    # the payer

    def pay(self, out_trade_no: str, amount: int | None = None) -> bool:
        """The payer pays `amount` fen (None: the whole); False when the trade takes no money now."""
        now = self.clock()
        with self.db.write() as conn:
            row = conn.execute("SELECT state, request FROM wechat_trades WHERE out_trade_no = ?",
                               (out_trade_no,)).fetchone()
            if row is None or row[0] != "NOTPAY":
                return False
            request = json.loads(row[1])
            paid = request["amount"]["total"] if amount is None else amount
            conn.execute("UPDATE wechat_trades SET state = 'SUCCESS', transaction_id = ?, paid_total = ?,"
                         " success_time = ? WHERE out_trade_no = ?",
                         (_digits("4200"), paid, beijing_time(now), out_trade_no))
        trade = self._trade(out_trade_no)
        self._notify(request["notify_url"], "TRANSACTION.SUCCESS", "transaction", "支付成功", trade)
        return True

    def close(self, out_trade_no: str) -> bool:
        with self.db.write() as conn:
            return conn.execute("UPDATE wechat_trades SET state = 'CLOSED' WHERE out_trade_no = ? AND state = 'NOTPAY'",
                                (out_trade_no,)).rowcount == 1

    def _pay_page(self, method: str, out_trade_no: str, body: bytes) -> tuple[int, str]:
        out_trade_no = out_trade_no.split("?", 1)[0]
        try:
            trade = self._trade(out_trade_no)
        except Refused:
            return 404, page("订单不存在", "<p>没有这个订单。</p>")
        if method == "POST":
            action = parse_qs(body.decode()).get("action", [""])[0]
            total = trade["amount"]["total"]
            done = {"paid": lambda: self.pay(out_trade_no), "short": lambda: self.pay(out_trade_no, total - 1),
                    "close": lambda: self.close(out_trade_no)}.get(action, lambda: False)()
            trade = self._trade(out_trade_no)
            if not done:
                return 200, page("未能完成", f"<p>订单现在的状态：{html.escape(trade['trade_state_desc'])}</p>")
        return 200, pay_form(out_trade_no, trade)

    # 网页授权 (snsapi_base)

    def _authorize(self, query: dict) -> tuple[str, list, bytes]:
        """What WeChat's browser does at open.weixin.qq.com: silently back to redirect_uri with a code and the state."""
        first = {name: values[0] for name, values in query.items()}
        if first.get("appid") != self.keys.appid or first.get("scope") not in ("snsapi_base", "snsapi_userinfo") \
                or first.get("response_type") != "code" or not first.get("redirect_uri", "").startswith("http"):
            return "400 Bad Request", [("Content-Type", "text/html; charset=utf-8")], \
                page("参数错误", "<p>appid、redirect_uri、response_type 或 scope 不对。</p>").encode()
        code = secrets.token_hex(16)
        with self.db.write() as conn:
            conn.execute("INSERT INTO wechat_oauth_codes (code) VALUES (?)", (code,))
        redirect_uri = first["redirect_uri"]
        back = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}code={code}&state={quote(first.get('state', ''), safe='')}"
        return "302 Found", [("Location", back), ("Content-Type", "text/plain")], b""

    def _access_token(self, query: dict) -> tuple[str, list, bytes]:
        """api.weixin.qq.com/sns/oauth2/access_token: a code, once, for the payer's openid; errcode otherwise."""
        first = {name: values[0] for name, values in query.items()}
        if first.get("appid") != self.keys.appid or first.get("secret") != self.keys.app_secret:
            answer = {"errcode": 40125, "errmsg": "invalid appsecret"}
        elif first.get("grant_type") != "authorization_code":
            answer = {"errcode": 40002, "errmsg": "invalid grant_type"}
        else:
            with self.db.write() as conn:
                row = conn.execute("SELECT used FROM wechat_oauth_codes WHERE code = ?", (first.get("code", ""),)).fetchone()
                if row is None:
                    answer = {"errcode": 40029, "errmsg": "invalid code"}
                elif row[0]:
                    answer = {"errcode": 40163, "errmsg": "code been used"}
                else:
                    conn.execute("UPDATE wechat_oauth_codes SET used = 1 WHERE code = ?", (first["code"],))
                    answer = {"access_token": secrets.token_urlsafe(32), "expires_in": 7200,
                              "refresh_token": secrets.token_urlsafe(32), "openid": SANDBOX_OPENID,
                              "scope": "snsapi_base"}
        # WeChat answers 200 with errcode in the body.
        return "200 OK", [("Content-Type", "application/json; encoding=utf-8")], json.dumps(answer).encode()

    # refunds and profit sharing

    def _refund(self, request: dict) -> tuple[int, dict]:
        out_refund_no = request["out_refund_no"]
        known = self.db.conn().execute("SELECT answer FROM wechat_refunds WHERE out_refund_no = ?",
                                       (out_refund_no,)).fetchone()
        if known is not None:
            return 200, json.loads(known[0])
        _, trade = self._query_by_id(request["transaction_id"], {})
        amount = request["amount"]
        if amount["total"] != trade["amount"]["total"] or amount.get("currency", "CNY") != "CNY":
            raise Refused(400, "PARAM_ERROR", "订单金额或币种与原订单不一致")
        answer = {"refund_id": _digits("5030"), "out_refund_no": out_refund_no, "transaction_id": trade["transaction_id"],
                  "out_trade_no": trade["out_trade_no"], "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                  "create_time": beijing_time(self.clock()), "status": "PROCESSING", "funds_account": "AVAILABLE",
                  "amount": {"total": amount["total"], "refund": amount["refund"], "payer_total": amount["total"],
                             "payer_refund": amount["refund"], "currency": "CNY"}}
        with self.db.write() as conn:
            refunded = conn.execute("SELECT refunded FROM wechat_trades WHERE out_trade_no = ?",
                                    (trade["out_trade_no"],)).fetchone()[0]
            if not 0 < amount["refund"] <= amount["total"] - refunded:
                raise Refused(400, "NOT_ENOUGH", "退款金额超过可退金额")
            conn.execute("UPDATE wechat_trades SET refunded = refunded + ?, state = 'REFUND' WHERE out_trade_no = ?",
                         (amount["refund"], trade["out_trade_no"]))
            conn.execute("INSERT INTO wechat_refunds (out_refund_no, answer) VALUES (?, ?)",
                         (out_refund_no, json.dumps(answer)))
        if request.get("notify_url"):
            # WeChat Pay settles a refund later; the sandbox settles it at once, after answering.
            threading.Thread(target=self._refund_settled, args=(request["notify_url"], answer), daemon=True).start()
        return 200, answer

    def _refund_settled(self, notify_url: str, answer: dict) -> None:
        refund = {key: answer[key] for key in ("transaction_id", "out_trade_no", "refund_id", "out_refund_no",
                                               "user_received_account")}
        refund.update({"mchid": self.keys.mchid, "refund_status": "SUCCESS", "success_time": beijing_time(self.clock()),
                       "amount": {key: answer["amount"][key] for key in ("total", "refund", "payer_total", "payer_refund")}})
        self._notify(notify_url, "REFUND.SUCCESS", "refund", "退款成功", refund)

    def _add_receiver(self, request: dict) -> tuple[int, dict]:
        if request.get("appid") != self.keys.appid or request["type"] not in ("MERCHANT_ID", "PERSONAL_OPENID"):
            raise Refused(400, "PARAM_ERROR", "应用 ID 或接收方类型不对")
        answer = {"type": request["type"], "account": request["account"], "relation_type": request["relation_type"]}
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO wechat_receivers (account, answer) VALUES (?, ?)",
                         (request["account"], json.dumps(answer)))
        return 200, answer

    def _share(self, request: dict) -> tuple[int, dict]:
        out_order_no = request["out_order_no"]
        known = self.db.conn().execute("SELECT answer FROM wechat_sharing WHERE out_order_no = ?",
                                       (out_order_no,)).fetchone()
        if known is not None:
            return 200, json.loads(known[0])
        _, trade = self._query_by_id(request["transaction_id"], {})
        opened = json.loads(self.db.conn().execute("SELECT request FROM wechat_trades WHERE out_trade_no = ?",
                                                   (trade["out_trade_no"],)).fetchone()[0])
        if not opened.get("settle_info", {}).get("profit_sharing"):
            raise Refused(403, "NO_AUTH", "该订单下单时未设置分账（settle_info.profit_sharing）")
        (receiver,) = request["receivers"]
        if self.db.conn().execute("SELECT 1 FROM wechat_receivers WHERE account = ?", (receiver["account"],)).fetchone() is None:
            raise Refused(400, "RECEIVER_INVALID", "分账接收方未添加")
        if not 0 < receiver["amount"] <= trade["amount"]["total"]:
            raise Refused(400, "NOT_ENOUGH", "分账金额超过订单可分金额")
        now = beijing_time(self.clock())
        answer = {"transaction_id": trade["transaction_id"], "out_order_no": out_order_no, "order_id": _digits("3008"),
                  "state": "FINISHED", "receivers": [{**receiver, "result": "SUCCESS", "detail_id": _digits("3601"),
                                                      "create_time": now, "finish_time": now}]}
        with self.db.write() as conn:
            conn.execute("INSERT INTO wechat_sharing (out_order_no, account, amount, answer) VALUES (?, ?, ?, ?)",
                         (out_order_no, receiver["account"], receiver["amount"], json.dumps(answer)))
        return 200, answer

    def _share_back(self, request: dict) -> tuple[int, dict]:
        out_return_no = request["out_return_no"]
        with self.db.write() as conn:
            known = conn.execute("SELECT answer FROM wechat_returns WHERE out_return_no = ?", (out_return_no,)).fetchone()
            if known is not None:
                return 200, json.loads(known[0])
            shared = conn.execute("SELECT account, amount, returned, answer FROM wechat_sharing WHERE out_order_no = ?",
                                  (request["out_order_no"],)).fetchone()
            if shared is None or shared[0] != request["return_mchid"]:
                raise Refused(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
            if not 0 < request["amount"] <= shared[1] - shared[2]:
                raise Refused(400, "NOT_ENOUGH", "回退金额超过分账金额")
            now = beijing_time(self.clock())
            answer = {"order_id": json.loads(shared[3])["order_id"], "out_order_no": request["out_order_no"],
                      "out_return_no": out_return_no, "return_id": _digits("3008"), "return_mchid": shared[0],
                      "amount": request["amount"], "description": request["description"], "result": "SUCCESS",
                      "create_time": now, "finish_time": now}
            conn.execute("UPDATE wechat_sharing SET returned = returned + ? WHERE out_order_no = ?",
                         (request["amount"], request["out_order_no"]))
            conn.execute("INSERT INTO wechat_returns (out_return_no, answer) VALUES (?, ?)",
                         (out_return_no, json.dumps(answer)))
        return 200, answer

    # notifications

    def notification_body(self, event_type: str, original_type: str, summary: str, resource: dict,
                          sent_at: float | None = None) -> bytes:
        """A notification as WeChat Pay sends it: the resource sealed with the APIv3 key."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        iv = secrets.token_hex(6)  # 12 characters: WeChat Pay's nonce is 12 bytes of text
        sealed = AESGCM(self.keys.apiv3_key.encode()).encrypt(
            iv.encode(), json.dumps(resource, ensure_ascii=False).encode(), original_type.encode())
        envelope = {"id": _uuid(), "create_time": beijing_time(self.clock() if sent_at is None else sent_at),
                    "resource_type": "encrypt-resource", "event_type": event_type, "summary": summary,
                    "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                                 "ciphertext": base64.b64encode(sealed).decode(), "associated_data": original_type,
                                 "nonce": iv}}
        return json.dumps(envelope, ensure_ascii=False).encode()

    def notification_headers(self, body: bytes, sent_at: float | None = None) -> dict[str, str]:
        """Signed for this sending: WeChat Pay signs each retry afresh."""
        return dict(self.signed_headers(body, sent_at))

    def _notify(self, url: str, event_type: str, original_type: str, summary: str, resource: dict) -> None:
        body = self.notification_body(event_type, original_type, summary, resource)
        envelope_id = json.loads(body)["id"]
        with self.db.write() as conn:
            seq = self.outbox.add(conn, envelope_id, event_type, json.dumps({"url": url, "body": body.decode()}).encode())
        try:
            self.outbox.send_now([seq], self._deliver)
        except Exception as error:
            log.warning("wechat sandbox notification refused; it will be sent again", extra={"error": repr(error)[:200]})

    def _deliver(self, payload: bytes) -> None:
        held = json.loads(payload)
        body = held["body"].encode()
        status, _ = self.send("POST", held["url"], body, self.notification_headers(body))
        if not 200 <= status < 300:
            raise RuntimeError(f"the shop answered {status}")

    def resend_due(self, now: float | None = None) -> int:
        """Send again what the shop has not taken and is due; returns how many it took."""
        return self.outbox.send_due(self._deliver, now)


OAUTH_PATHS = {"/connect/oauth2/authorize": "_authorize", "/sns/oauth2/access_token": "_access_token"}
STATE_TEXT = {"NOTPAY": "未支付", "SUCCESS": "支付成功", "CLOSED": "已关闭", "REFUND": "转入退款"}


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def page(title: str, content: str) -> str:
    return (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body><h1>{html.escape(title)}</h1>{content}</body></html>")


def pay_form(out_trade_no: str, trade: dict) -> str:
    total = trade["amount"]["total"]
    action = html.escape(f"{MOUNT}/pay/{out_trade_no}")
    buttons = "".join(f'<button name="action" value="{value}">{label}</button> '
                      for value, label in (("paid", "支付成功"), ("short", "少付一分"), ("close", "关闭")))
    form = f'<form method="post" action="{action}">{buttons}</form>' if trade["trade_state"] == "NOTPAY" else ""
    return page("微信支付（沙箱）",
                f"<p>订单号：{html.escape(out_trade_no)}</p><p>金额：¥{total // 100}.{total % 100:02d}</p>"
                f"<p>状态：{html.escape(trade['trade_state_desc'])}</p>{form}")
