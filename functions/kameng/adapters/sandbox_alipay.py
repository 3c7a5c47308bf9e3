"""The Alipay sandbox: a WSGI app under /_sandbox/alipay/ that stands in for Alipay's gateway.

It speaks Alipay's wire format: `gateway.do` takes the SDK's calls (GET or POST, signed RSA2 with the
app's key, which it checks with the app public key it holds) and answers
`{"<method>_response": {...}, "sign": ...}` signed with its own Alipay key; the page and phone pay
calls, and a scanned QR code, open its pay page. Paying there posts the asynchronous notification,
form-encoded and signed as Alipay signs it, to the trade's notify_url, then sends the browser to its
return_url. It keeps trades, refunds and settlements in its own SQLite file, and a notification that
was not answered with exactly `success` waits in its outbox (sandbox_outbox.py) to be sent again by
`resend_due`.

Its key pairs are made at first run (`sandbox_keys`) and kept, private, in the data folder: the
shop's AlipayGateway for `make serve` is built with the app private key and the Alipay public key.
"""
from __future__ import annotations

import html
import json
import logging
import secrets
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

from kameng.adapters.gateway_alipay import BEIJING, TIME_FORMAT, fen, yuan
from kameng.adapters.alipay_signature import rsa2_sign, rsa2_verify, signed_text
from kameng.adapters.private_files import private_folder
from kameng.adapters.sandbox_outbox import SCHEMA as OUTBOX_SCHEMA, WebhookOutbox
from kameng.adapters.sandbox_send import Send, http_send
from kameng.adapters.sandbox_alipay_keys import SANDBOX_APP_ID, sandbox_keys
from kameng.adapters.sqlite_file import SqliteFile

log = logging.getLogger(__name__)

SELLER_ID = "2088101000000001"
BUYER_ID = "2088102000000002"

SCHEMA = """
CREATE TABLE IF NOT EXISTS alipay_trades (
    out_trade_no TEXT PRIMARY KEY, trade_no TEXT NOT NULL UNIQUE, method TEXT NOT NULL, status TEXT NOT NULL,
    scanned INTEGER NOT NULL, total INTEGER NOT NULL, paid INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0, subject TEXT NOT NULL, notify_url TEXT NOT NULL,
    return_url TEXT NOT NULL, time_expire TEXT NOT NULL, royalty_freeze INTEGER NOT NULL,
    gmt_create TEXT NOT NULL, gmt_payment TEXT);
CREATE TABLE IF NOT EXISTS alipay_refunds (
    out_trade_no TEXT NOT NULL, out_request_no TEXT NOT NULL, amount INTEGER NOT NULL, royalty TEXT NOT NULL,
    gmt_refund TEXT NOT NULL, PRIMARY KEY (out_trade_no, out_request_no));
CREATE TABLE IF NOT EXISTS alipay_settles (
    out_request_no TEXT PRIMARY KEY, trade_no TEXT NOT NULL, receiver TEXT NOT NULL, amount INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alipay_bindings (account TEXT PRIMARY KEY, type TEXT NOT NULL);
"""

# send(method, url, body, headers) → the status, or (status, body): Alipay counts a notification
# taken only when the answer is exactly `success`; a sender that reports the status alone is
# believed on any 2xx.
PAY_METHODS = ("alipay.trade.page.pay", "alipay.trade.wap.pay")
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


# keys















def sign_notification(fields: dict[str, str], alipay_private: str) -> bytes:
    """A notification's form body, signed as Alipay signs it (every field but sign and sign_type, sorted)."""
    fields = {k: v for k, v in fields.items() if k != "sign"}
    fields["sign"] = rsa2_sign(alipay_private, signed_text(fields, ("sign", "sign_type")))
    return urlencode(fields).encode()


def _taken(answer: tuple[int, bytes]) -> bool:
    status, body = answer
    return status == 200 and body.strip() == b"success"


class Answer(Exception):
    """An API answer: Alipay's code, sub_code and message for a refused call."""

    def __init__(self, code: str, sub_code: str = "", sub_msg: str = "", msg: str = "Business Failed"):
        super().__init__(sub_code)
        self.body = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def now_text(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).astimezone(BEIJING).strftime(TIME_FORMAT)


class AlipaySandbox:
    def __init__(self, data_dir: Path | str, base_url: str, send: Send = http_send, *,
                 app_id: str = SANDBOX_APP_ID, clock: Callable[[], float] = time.time):
        folder = private_folder(Path(data_dir))
        self.keys = sandbox_keys(folder)
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.send = send
        self.clock = clock
        self.db = SqliteFile(folder / "alipay-sandbox.sqlite3", OUTBOX_SCHEMA + SCHEMA)
        self.outbox = WebhookOutbox(self.db, clock)

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    # WSGI

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            params.update(parse_qsl(environ["wsgi.input"].read(length).decode("utf-8"), keep_blank_values=True))
        status, headers, body = self.route(path, params)
        start_response(status, list(headers.items()))
        return [body]

    def route(self, path: str, params: dict[str, str]) -> tuple[str, dict, bytes]:
        prefix = urlsplit(self.base_url).path
        local = path[len(prefix):] if path.startswith(prefix) else path
        if local == "/gateway.do":
            return self.gateway(params)
        if local.startswith("/pay/"):
            out_trade_no = local.removeprefix("/pay/")
            if "action" in params:
                return self.act(out_trade_no, params["action"], params.get("amount_fen"))
            return self.pay_page(out_trade_no)
        return "404 Not Found", {"Content-Type": "text/plain; charset=utf-8"}, b"not found"

    def gateway(self, params: dict[str, str]) -> tuple[str, dict, bytes]:
        method = params.get("method", "")
        refused = self._refused(params)
        if method in PAY_METHODS:
            if refused:
                return _page("400 Bad Request", "请求无效", f"<p>{html.escape(refused.body['sub_msg'])}</p>")
            try:
                out_trade_no = self._open(method, params, scanned=True)
            except Answer as answer:
                return _page("400 Bad Request", "请求无效", f"<p>{html.escape(answer.body['sub_msg'])}</p>")
            return self.pay_page(out_trade_no)
        name = method.replace(".", "_") + "_response"
        try:
            if refused:
                raise refused
            body = {"code": "10000", "msg": "Success", **self.api(method, params)}
        except Answer as answer:
            body = answer.body
            if answer.body["code"] == "40002":
                # Alipay leaves an answer to a request it could not authenticate unsigned.
                return _json({name: body})
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        raw = f'{{"{name}":{content},"sign":"{rsa2_sign(self.keys.alipay_private, content)}"}}'
        return "200 OK", {"Content-Type": "application/json; charset=utf-8"}, raw.encode()

    def _refused(self, params: dict[str, str]) -> Answer | None:
        if params.get("app_id") != self.app_id:
            return Answer("40002", "isv.invalid-app-id", "无效的AppID参数", "Invalid Arguments")
        if params.get("sign_type") != "RSA2" or not params.get("sign"):
            return Answer("40002", "isv.invalid-signature-type", "签名类型无效", "Invalid Arguments")
        # A request is signed over every parameter but `sign`, sign_type included.
        if not rsa2_verify(self.keys.app_public, signed_text(params, ("sign",)), params["sign"]):
            return Answer("40002", "isv.invalid-signature", "验签出错", "Invalid Arguments")
        return None

    # the API

    def api(self, method: str, params: dict[str, str]) -> dict:
        biz = json.loads(params.get("biz_content") or "{}")
        calls = {
            "alipay.trade.precreate": lambda: self._precreate(params),
            "alipay.trade.query": lambda: self._query(biz),
            "alipay.trade.close": lambda: self._close(biz),
            "alipay.trade.refund": lambda: self._refund(biz),
            "alipay.trade.fastpay.refund.query": lambda: self._refund_query(biz),
            "alipay.trade.royalty.relation.bind": lambda: self._bind(biz),
            "alipay.trade.order.settle": lambda: self._settle(biz),
        }
        if method not in calls:
            raise Answer("40004", "isv.invalid-method", f"不存在的方法名：{method}")
        return calls[method]()

    def _open(self, method: str, params: dict[str, str], scanned: bool) -> str:
        biz = json.loads(params.get("biz_content") or "{}")
        out_trade_no = biz.get("out_trade_no", "")
        try:
            total = fen(biz.get("total_amount", ""))
        except ValueError:
            raise Answer("40004", "ACQ.INVALID_PARAMETER", "total_amount 无效") from None
        if not out_trade_no or total <= 0:
            raise Answer("40004", "ACQ.INVALID_PARAMETER", "参数无效")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO alipay_trades (out_trade_no, trade_no, method, status, scanned, total, subject, notify_url,"
                " return_url, time_expire, royalty_freeze, gmt_create) VALUES (?, ?, ?, 'WAIT_BUYER_PAY', ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (out_trade_no) DO UPDATE SET scanned = MAX(scanned, excluded.scanned)",
                (out_trade_no, _trade_no(self.clock()), method, int(scanned), total, biz.get("subject", ""),
                 params.get("notify_url", ""), params.get("return_url", ""), biz.get("time_expire", ""),
                 int((biz.get("extend_params") or {}).get("royalty_freeze") == "true"), now_text(self.clock())))
        return out_trade_no

    def _precreate(self, params: dict[str, str]) -> dict:
        # A QR trade exists for queries only once the buyer scans it, as at Alipay.
        out_trade_no = self._open("alipay.trade.precreate", params, scanned=False)
        return {"out_trade_no": out_trade_no, "qr_code": f"{self.base_url}/pay/{out_trade_no}"}

    def trade(self, biz: dict, scanned_only: bool = True) -> sqlite3.Row:
        conn = self.db.conn()
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM alipay_trades WHERE out_trade_no = ? OR trade_no = ?",
                           (biz.get("out_trade_no") or "", biz.get("trade_no") or "")).fetchone()
        if row is None or (scanned_only and not row["scanned"]):
            raise Answer("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return row

    def _query(self, biz: dict) -> dict:
        trade = self._expired(self.trade(biz))
        amount = trade["paid"] or trade["total"]
        answer = {"trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"],
                  "trade_status": trade["status"], "total_amount": yuan(amount)}
        if trade["paid"]:
            answer.update(buyer_pay_amount=yuan(trade["paid"]), receipt_amount=yuan(trade["paid"]),
                          send_pay_date=trade["gmt_payment"], buyer_user_id=BUYER_ID)
        return answer

    def _expired(self, trade: sqlite3.Row) -> sqlite3.Row:
        if trade["status"] == "WAIT_BUYER_PAY" and trade["time_expire"] and trade["time_expire"] < now_text(self.clock()):
            with self.db.write() as conn:
                conn.execute("UPDATE alipay_trades SET status = 'TRADE_CLOSED' WHERE out_trade_no = ?",
                             (trade["out_trade_no"],))
            return self.trade({"out_trade_no": trade["out_trade_no"]}, scanned_only=False)
        return trade

    def _close(self, biz: dict) -> dict:
        trade = self._expired(self.trade(biz))
        if trade["status"] != "WAIT_BUYER_PAY":
            raise Answer("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        self._set_status(trade["out_trade_no"], "TRADE_CLOSED")
        return {"trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"]}

    def _set_status(self, out_trade_no: str, status: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE alipay_trades SET status = ? WHERE out_trade_no = ?", (status, out_trade_no))

    def _refund(self, biz: dict) -> dict:
        trade = self.trade(biz)
        number = biz.get("out_request_no") or trade["out_trade_no"]
        try:
            amount = fen(biz.get("refund_amount", ""))
        except ValueError:
            raise Answer("40004", "ACQ.INVALID_PARAMETER", "refund_amount 无效") from None
        royalty = json.dumps(biz.get("refund_royalty_parameters") or [], sort_keys=True)
        earlier = self.db.conn().execute(
            "SELECT amount, royalty FROM alipay_refunds WHERE out_trade_no = ? AND out_request_no = ?",
            (trade["out_trade_no"], number)).fetchone()
        if earlier is not None:
            if (earlier[0], earlier[1]) != (amount, royalty):
                raise Answer("40004", "ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致")
            return self._refund_answer(trade, fund_change="N")
        self._check_refund(trade, amount, biz.get("refund_royalty_parameters") or [])
        refunded = trade["refunded"] + amount
        at = now_text(self.clock())
        with self.db.write() as conn:
            conn.execute("INSERT INTO alipay_refunds VALUES (?, ?, ?, ?, ?)",
                         (trade["out_trade_no"], number, amount, royalty, at))
            conn.execute("UPDATE alipay_trades SET refunded = ?, status = ? WHERE out_trade_no = ?",
                         (refunded, "TRADE_CLOSED" if refunded == trade["paid"] else trade["status"],
                          trade["out_trade_no"]))
            fields = self.notification_fields(self.trade(biz, scanned_only=False))
            fields.update(refund_fee=yuan(refunded), gmt_refund=at, out_biz_no=number)
            seq = self.outbox.add(conn, f"{trade['trade_no']}:refund:{number}", "trade_status_sync",
                                  json.dumps({"url": trade["notify_url"], "fields": fields}).encode())
        self._send_now(seq)
        return self._refund_answer(self.trade(biz), fund_change="Y")

    def _check_refund(self, trade: sqlite3.Row, amount: int, royalty: list[dict]) -> None:
        if trade["status"] != "TRADE_SUCCESS":
            raise Answer("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        if amount <= 0 or trade["refunded"] + amount > trade["paid"]:
            raise Answer("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        for back in royalty:
            settled = self.db.conn().execute(
                "SELECT COALESCE(SUM(amount), 0) FROM alipay_settles WHERE trade_no = ? AND receiver = ?",
                (trade["trade_no"], back.get("trans_out", ""))).fetchone()[0]
            if fen(back.get("amount", "0")) > settled:
                raise Answer("40004", "ACQ.REFUND_ROYALTY_AMOUNT_ERROR", "退分账金额超过已分账金额")

    def _refund_answer(self, trade: sqlite3.Row, fund_change: str) -> dict:
        return {"trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"], "fund_change": fund_change,
                "refund_fee": yuan(trade["refunded"]), "buyer_user_id": BUYER_ID}

    def _refund_query(self, biz: dict) -> dict:
        trade = self.trade(biz)
        number = biz.get("out_request_no") or trade["out_trade_no"]
        row = self.db.conn().execute(
            "SELECT amount FROM alipay_refunds WHERE out_trade_no = ? AND out_request_no = ?",
            (trade["out_trade_no"], number)).fetchone()
        if row is None:
            # Alipay answers success with no refund data: it never received that refund.
            return {"out_trade_no": trade["out_trade_no"], "trade_no": trade["trade_no"]}
        return {"out_trade_no": trade["out_trade_no"], "trade_no": trade["trade_no"], "out_request_no": number,
                "total_amount": yuan(trade["paid"]), "refund_amount": yuan(row[0]), "refund_status": "REFUND_SUCCESS"}

    def _bind(self, biz: dict) -> dict:
        with self.db.write() as conn:
            for receiver in biz.get("receiver_list") or []:
                conn.execute("INSERT OR REPLACE INTO alipay_bindings VALUES (?, ?)",
                             (receiver.get("account", ""), receiver.get("type", "")))
        return {"result_code": "SUCCESS"}

    def _settle(self, biz: dict) -> dict:
        trade = self.trade({"trade_no": biz.get("trade_no")})
        number = biz.get("out_request_no", "")
        parts = biz.get("royalty_parameters") or []
        if self.db.conn().execute("SELECT 1 FROM alipay_settles WHERE out_request_no = ?", (number,)).fetchone():
            return {"trade_no": trade["trade_no"], "settle_no": f"settle-{number}"}
        if trade["status"] != "TRADE_SUCCESS" or len(parts) != 1:
            raise Answer("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        receiver, amount = parts[0].get("trans_in", ""), fen(parts[0].get("amount", "0"))
        if not self.db.conn().execute("SELECT 1 FROM alipay_bindings WHERE account = ?", (receiver,)).fetchone():
            raise Answer("40004", "ACQ.ALLOC_RELATION_NOT_EXIST", "分账关系不存在")
        if amount <= 0 or amount > trade["paid"] - trade["refunded"]:
            raise Answer("40004", "ACQ.ALLOC_AMOUNT_VALIDATE_ERROR", "分账金额超过可分账金额")
        with self.db.write() as conn:
            conn.execute("INSERT INTO alipay_settles VALUES (?, ?, ?, ?)", (number, trade["trade_no"], receiver, amount))
        return {"trade_no": trade["trade_no"], "settle_no": f"settle-{number}"}

    def settled(self, trade_no: str) -> list[tuple[str, int]]:
        """(receiver, fen) settled from the trade, for tests and a person reading along."""
        rows = self.db.conn().execute("SELECT receiver, amount FROM alipay_settles WHERE trade_no = ? ORDER BY 1",
                                      (trade_no,))
        return [(receiver, amount) for receiver, amount in rows]

    def refunded_royalty(self, out_trade_no: str) -> list[dict]:
        rows = self.db.conn().execute("SELECT royalty FROM alipay_refunds WHERE out_trade_no = ?", (out_trade_no,))
        return [part for (royalty,) in rows for part in json.loads(royalty)]

    # the pay page

    def pay_page(self, out_trade_no: str) -> tuple[str, dict, bytes]:
        try:
            with self.db.write() as conn:
                conn.execute("UPDATE alipay_trades SET scanned = 1 WHERE out_trade_no = ?", (out_trade_no,))
            trade = self._expired(self.trade({"out_trade_no": out_trade_no}))
        except Answer:
            return _page("404 Not Found", "交易不存在", "<p>没有这笔交易。</p>")
        if trade["status"] != "WAIT_BUYER_PAY":
            return _page("200 OK", "交易已结束", f"<p>这笔交易的状态是 {html.escape(trade['status'])}。</p>")
        body = (f"<p>{html.escape(trade['subject'])}</p><p>应付 ¥{yuan(trade['total'])}</p>"
                f"<form method='post' action='{html.escape(self.base_url)}/pay/{html.escape(out_trade_no)}'>"
                "<button name='action' value='paid'>支付成功</button> "
                "<button name='action' value='short'>少付一分</button> "
                "<button name='action' value='close'>关闭</button></form>")
        return _page("200 OK", "支付宝沙箱收银台", body)

    def act(self, out_trade_no: str, action: str, amount_fen: str | None = None) -> tuple[str, dict, bytes]:
        try:
            trade = self._expired(self.trade({"out_trade_no": out_trade_no}, scanned_only=False))
        except Answer:
            return _page("404 Not Found", "交易不存在", "<p>没有这笔交易。</p>")
        if trade["status"] != "WAIT_BUYER_PAY":
            return _page("409 Conflict", "交易已结束", f"<p>这笔交易的状态是 {html.escape(trade['status'])}。</p>")
        if action == "close":
            self._set_status(out_trade_no, "TRADE_CLOSED")
            return _page("200 OK", "交易已关闭", "<p>交易已关闭。</p>")
        paid = int(amount_fen) if amount_fen else trade["total"] - (1 if action == "short" else 0)
        self.pay(out_trade_no, paid)
        if trade["return_url"]:
            return "302 Found", {"Location": self._return_link(self.trade({"out_trade_no": out_trade_no}))}, b""
        return _page("200 OK", "支付成功", "<p>支付成功。</p>")

    def pay(self, out_trade_no: str, paid: int) -> None:
        """Take `paid` fen for the trade and send its notification (kept in the outbox until taken)."""
        at = now_text(self.clock())
        with self.db.write() as conn:
            conn.execute("UPDATE alipay_trades SET status = 'TRADE_SUCCESS', scanned = 1, paid = ?, gmt_payment = ?"
                         " WHERE out_trade_no = ? AND status = 'WAIT_BUYER_PAY'", (paid, at, out_trade_no))
            trade = conn.execute("SELECT trade_no, notify_url FROM alipay_trades WHERE out_trade_no = ?",
                                 (out_trade_no,)).fetchone()
            fields = self.notification_fields(self.trade({"out_trade_no": out_trade_no}, scanned_only=False))
            seq = self.outbox.add(conn, f"{trade[0]}:TRADE_SUCCESS", "trade_status_sync",
                                  json.dumps({"url": trade[1], "fields": fields}).encode())
        self._send_now(seq)

    def _return_link(self, trade: sqlite3.Row) -> str:
        # The browser comes back with signed parameters too; the shop never delivers on them.
        fields = {"charset": "utf-8", "out_trade_no": trade["out_trade_no"], "method": f"{trade['method']}.return",
                  "total_amount": yuan(trade["total"]), "trade_no": trade["trade_no"], "auth_app_id": self.app_id,
                  "version": "1.0", "app_id": self.app_id, "sign_type": "RSA2", "seller_id": SELLER_ID,
                  "timestamp": now_text(self.clock())}
        query = sign_notification(fields, self.keys.alipay_private).decode()
        return f"{trade['return_url']}{'&' if '?' in trade['return_url'] else '?'}{query}"

    # notifications

    def notification_fields(self, trade: sqlite3.Row) -> dict[str, str]:
        """Every field Alipay sends for the trade as it stands (notify_time and sign are set when sent)."""
        paid = yuan(trade["paid"] or trade["total"])
        return {
            "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(17), "app_id": self.app_id,
            "auth_app_id": self.app_id, "charset": "utf-8", "version": "1.0", "sign_type": "RSA2",
            "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"], "trade_status": trade["status"],
            "buyer_id": BUYER_ID, "buyer_logon_id": "sandbox***@example.com", "seller_id": SELLER_ID,
            "seller_email": "shop@example.com", "total_amount": paid, "receipt_amount": paid,
            "invoice_amount": paid, "buyer_pay_amount": paid, "point_amount": "0.00",
            "fund_bill_list": json.dumps([{"amount": paid, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")),
            "subject": trade["subject"], "gmt_create": trade["gmt_create"], "gmt_payment": trade["gmt_payment"] or "",
        }

    def notification(self, out_trade_no: str, sent_at: datetime, **overrides: str) -> bytes:
        """The trade's notification as if sent at `sent_at`, signed: a retry as Alipay would send it."""
        fields = self.notification_fields(self.trade({"out_trade_no": out_trade_no}, scanned_only=False))
        fields.update(overrides, notify_time=now_text(sent_at.timestamp()))
        return sign_notification(fields, self.keys.alipay_private)

    def _deliver(self, payload: bytes, at: float | None = None) -> None:
        # Each sending is dated and signed anew, as Alipay dates each of its retries.
        kept = json.loads(payload)
        fields = dict(kept["fields"], notify_time=now_text(self.clock() if at is None else at))
        answer = self.send("POST", kept["url"], sign_notification(fields, self.keys.alipay_private), dict(FORM))
        if not _taken(answer):
            raise RuntimeError(f"the shop did not answer success: {answer!r:.200}")

    def _send_now(self, seq: int) -> None:
        try:
            self.outbox.send_now([seq], self._deliver)
        except Exception:
            log.warning("alipay sandbox notification not taken; it will be sent again", exc_info=True)

    def resend_due(self, now: float | None = None) -> int:
        """Send again every notification whose time has come; returns how many the shop took."""
        return self.outbox.send_due(lambda payload: self._deliver(payload, now), now)


def _trade_no(moment: float) -> str:
    return datetime.fromtimestamp(moment, BEIJING).strftime("%Y%m%d") + "2200" + f"{secrets.randbelow(10**14):014d}"


def _json(body: dict) -> tuple[str, dict, bytes]:
    return "200 OK", {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body, ensure_ascii=False).encode()


def _page(status: str, title: str, body: str) -> tuple[str, dict, bytes]:
    text = (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<body><h1>{html.escape(title)}</h1>{body}<p><small>支付宝沙箱：不会扣任何钱。</small></p></body></html>")
    return status, {"Content-Type": "text/html; charset=utf-8"}, text.encode()
