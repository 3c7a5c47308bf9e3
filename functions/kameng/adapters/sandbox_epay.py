"""A local 易支付: the aggregator's pages and API, mounted by the local server under /_sandbox/epay/.

It speaks the protocol gateway_epay.py speaks to a real aggregator: `submit.php` (the browser
form), `mapi.php` (the server call), `api.php?act=order` and `api.php?act=refund`, all checked
with the merchant key it made at first run (`sandbox_keys`). Its trades live in its own SQLite
file. Paying sends the signed GET notification to `notify_url`, as 易支付 does, and sends the
browser back to `return_url` with the same signed fields; a notification not answered with the
plain text `success` waits in the outbox (sandbox_outbox.py) and goes again from `resend_due`.
"""
from __future__ import annotations

import hmac
import html
import json
import logging
import secrets
import time
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qsl, urlencode

from kameng.adapters import sandbox_outbox
from kameng.adapters.gateway_epay import METHODS, PAID, fen, signature_matches, signed, yuan
from kameng.adapters.secret_file import load_or_create
from kameng.adapters.sandbox_send import Send, http_send
from kameng.adapters.sqlite_file import SqliteFile

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS epay_trades (
    trade_no TEXT PRIMARY KEY, out_trade_no TEXT NOT NULL UNIQUE, status TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epay_refunds (
    out_refund_no TEXT PRIMARY KEY, trade_no TEXT NOT NULL, amount INTEGER NOT NULL);
"""
# What the shop answers a notification with once it has recorded it.
TAKEN = b"success"
MAX_BODY = 64 * 1024
REQUIRED = ("pid", "type", "out_trade_no", "notify_url", "name", "money")

# send(method, url, body, headers) → the status, or (status, body) when the sender can read the answer:
# only a sender that returns the body lets the sandbox hold out for exactly `success`.


def sandbox_keys(data_dir: Path | str) -> tuple[str, str]:
    """The sandbox merchant's pid and key, made at first run and kept in the data folder."""
    secret = load_or_create(Path(data_dir) / "sandbox-epay.key", 16)
    return str(1000 + int.from_bytes(secret[:2], "big") % 9000), secret.hex()


class Refused(Exception):
    """The shop did not take the notification."""


class EpaySandbox:
    def __init__(self, data_dir: Path | str, base_url: str, send: Send | None = None):
        self.pid, self.key = sandbox_keys(data_dir)
        self.db = SqliteFile(Path(data_dir) / "sandbox-epay.sqlite3", SCHEMA + sandbox_outbox.SCHEMA)
        self.outbox = sandbox_outbox.WebhookOutbox(self.db)
        self.base_url = base_url.rstrip("/")
        self.send = send or http_send

    def __repr__(self) -> str:
        return f"EpaySandbox(base_url={self.base_url!r}, pid={self.pid!r})"

    # the WSGI app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if method == "POST":
            size = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            params |= dict(parse_qsl(environ["wsgi.input"].read(size).decode("utf-8", "replace"),
                                     keep_blank_values=True))
        page = environ.get("PATH_INFO", "").rstrip("/").rsplit("/", 1)[-1]
        status, content_type, body, headers = self.route(method, page, params)
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
        return [body]

    def route(self, method: str, page: str, params: dict) -> tuple[str, str, bytes, list]:
        if page == "submit.php":
            trade, error = self.open_trade(params)
            return _page("400 Bad Request", error) if error else _html("200 OK", self.pay_page(trade))
        if page == "mapi.php":
            return _json(self.mapi(params))
        if page == "api.php":
            act = params.get("act")
            if act == "order":
                return _json(self.order(params))
            if act == "refund" and method == "POST":
                return _json(self.refund(params))
            return _json({"code": -5, "msg": "不支持的操作"})
        if page == "pay.php":
            return self.pay_step(method, params)
        return _page("404 Not Found", "没有这个页面")

    # what the merchant's server calls

    def open_trade(self, params: dict) -> tuple[dict | None, str]:
        """The trade for a signed pay request, made once per out_trade_no; or the reason it is refused."""
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            return None, f"缺少参数：{', '.join(missing)}"
        if params["pid"] != self.pid:
            return None, "商户不存在"
        if not signature_matches(params, self.key):
            return None, "签名校验失败"
        if params["type"] not in METHODS:
            return None, "不支持的支付方式"
        try:
            total = fen(params["money"])
        except ValueError:
            return None, "金额不正确"
        if total <= 0:
            return None, "金额不正确"
        fields = {name: params.get(name, "") for name in (*REQUIRED, "return_url", "param", "sitename")}
        with self.db.write() as conn:
            row = conn.execute("SELECT trade_no, status, body FROM epay_trades WHERE out_trade_no = ?",
                               (params["out_trade_no"],)).fetchone()
            if row is not None:
                if row[1] != "open" or json.loads(row[2])["money"] != params["money"]:
                    return None, "订单号已存在"
                return self._trade(row), ""
            trade_no = time.strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(1000):03d}"
            body = fields | {"total": total, "addtime": time.strftime("%Y-%m-%d %H:%M:%S")}
            conn.execute("INSERT INTO epay_trades (trade_no, out_trade_no, status, body) VALUES (?, ?, 'open', ?)",
                         (trade_no, params["out_trade_no"], json.dumps(body)))
        return self.trade(trade_no), ""

    def mapi(self, params: dict) -> dict:
        trade, error = self.open_trade(params)
        if error:
            return {"code": -1, "msg": error}
        link = f"{self.base_url}/pay.php?{urlencode({'trade_no': trade['trade_no']})}"
        # Aggregators hand WeChat Pay out as a code to scan, the others as a page to open.
        shown = {"qrcode": link} if trade["type"] == "wxpay" else {"payurl": link}
        return {"code": 1, "msg": "success", "trade_no": trade["trade_no"], **shown}

    def order(self, params: dict) -> dict:
        if not self._merchant(params):
            return {"code": -2, "msg": "KEY校验失败"}
        trade = self._find(params)
        if trade is None:
            return {"code": -1, "msg": "订单号不存在"}
        paid = trade.get("paid") is not None
        return {"code": 1, "msg": "查询订单号成功！", "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"],
                "type": trade["type"], "pid": self.pid, "addtime": trade["addtime"],
                "endtime": trade.get("endtime", ""),
                "name": trade["name"], "money": yuan(trade["paid"]) if paid else trade["money"],
                "status": 1 if paid else 0, "param": trade["param"], "buyer": ""}

    def refund(self, params: dict) -> dict:
        if not self._merchant(params):
            return {"code": -2, "msg": "KEY校验失败"}
        trade = self._find(params)
        if trade is None or trade.get("paid") is None:
            return {"code": -1, "msg": "订单号不存在或未支付"}
        try:
            amount = fen(params.get("money", ""))
        except ValueError:
            return {"code": -1, "msg": "退款金额不正确"}
        request_no = params.get("out_refund_no") or f"auto-{secrets.token_hex(8)}"
        with self.db.write() as conn:
            earlier = conn.execute("SELECT trade_no, amount FROM epay_refunds WHERE out_refund_no = ?",
                                   (request_no,)).fetchone()
            if earlier is not None:
                if earlier != (trade["trade_no"], amount):
                    return {"code": -1, "msg": "退款单号已用于另一笔退款"}
                return {"code": 1, "msg": "退款成功"}
            refunded = conn.execute("SELECT COALESCE(SUM(amount), 0) FROM epay_refunds WHERE trade_no = ?",
                                    (trade["trade_no"],)).fetchone()[0]
            if amount <= 0 or refunded + amount > trade["paid"]:
                return {"code": -1, "msg": "退款金额超过可退金额"}
            conn.execute("INSERT INTO epay_refunds (out_refund_no, trade_no, amount) VALUES (?, ?, ?)",
                         (request_no, trade["trade_no"], amount))
        return {"code": 1, "msg": "退款成功"}

    def refunds(self, out_trade_no: str) -> list[int]:
        """What was refunded of the order's trade, in fen, oldest first."""
        rows = self.db.conn().execute(
            "SELECT r.amount FROM epay_refunds r JOIN epay_trades t ON t.trade_no = r.trade_no"
            " WHERE t.out_trade_no = ? ORDER BY r.rowid", (out_trade_no,)).fetchall()
        return [amount for (amount,) in rows]

    # what the payer does

    def pay_step(self, method: str, params: dict) -> tuple[str, str, bytes, list]:
        trade = self.trade(params.get("trade_no", ""))
        if trade is None:
            return _page("404 Not Found", "订单不存在")
        if method != "POST":
            return _html("200 OK", self.pay_page(trade))
        if params.get("action") == "close":
            self.close(trade["trade_no"])
            return _page("200 OK", "订单已关闭，未付款")
        try:
            amount = int(params.get("amount", trade["total"]))
        except ValueError:
            return _page("400 Bad Request", "金额不正确")
        back = self.pay(trade["trade_no"], amount)
        if back is None:
            return _page("409 Conflict", "订单已不能支付")
        if not back:
            return _page("200 OK", "支付成功")
        return "302 Found", "text/plain; charset=utf-8", b"", [("Location", back)]

    def pay(self, trade_no: str, amount: int) -> str | None:
        """Take `amount` fen for an open trade and notify the shop; returns where the browser goes back
        to ("" when the merchant gave no return_url), None when the trade is not open.
        A refused notification is logged and waits in the outbox, as the aggregator would retry it."""
        with self.db.write() as conn:
            row = conn.execute("SELECT trade_no, status, body FROM epay_trades WHERE trade_no = ? AND status = 'open'",
                               (trade_no,)).fetchone()
            if row is None:
                return None
            trade = self._trade(row) | {"paid": amount, "endtime": time.strftime("%Y-%m-%d %H:%M:%S")}
            body = {name: value for name, value in trade.items() if name not in ("trade_no", "status")}
            conn.execute("UPDATE epay_trades SET status = 'paid', body = ? WHERE trade_no = ?",
                         (json.dumps(body), trade_no))
            fields = self.notification_fields(trade)
            seq = self.outbox.add(conn, trade_no, PAID, _with_query(trade["notify_url"], fields).encode())
        try:
            self.outbox.send_now([seq], self._deliver)
        except Exception as error:
            log.warning("sandbox epay notification refused; it will be sent again", extra={"error": repr(error)[:200]})
        return _with_query(trade["return_url"], fields) if trade["return_url"] else ""

    def close(self, trade_no: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE epay_trades SET status = 'closed' WHERE trade_no = ? AND status = 'open'", (trade_no,))

    def notification_fields(self, trade: dict) -> dict[str, str]:
        """Every field 易支付 sends to notify_url and return_url, signed."""
        return signed({"pid": self.pid, "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"],
                       "type": trade["type"], "name": trade["name"], "money": yuan(trade["paid"]),
                       "trade_status": PAID, "param": trade["param"]}, self.key)

    def resend_due(self, now: float | None = None) -> int:
        """Send again the notifications the shop has not taken whose wait is over; returns how many it took."""
        return self.outbox.send_due(self._deliver, now)

    def pay_page(self, trade: dict) -> str:
        e = html.escape
        total = trade["total"]
        return (f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>易支付收银台（沙箱）</title>"
                f"<h1>易支付收银台（沙箱）</h1><p>商品：{e(trade['name'])}</p><p>金额：¥{e(trade['money'])}</p>"
                f"<p>方式：{e(trade['type'])}　订单号：{e(trade['out_trade_no'])}</p>"
                f"<form method=\"post\" action=\"pay.php\"><input type=\"hidden\" name=\"trade_no\" "
                f"value=\"{e(trade['trade_no'])}\">"
                f"<button name=\"amount\" value=\"{total}\">支付成功</button> "
                f"<button name=\"amount\" value=\"{total - 1}\">少付一分</button> "
                f"<button name=\"action\" value=\"close\">关闭</button></form></html>")

    # the records

    def trade(self, trade_no: str) -> dict | None:
        row = self.db.conn().execute("SELECT trade_no, status, body FROM epay_trades WHERE trade_no = ?",
                                     (trade_no,)).fetchone()
        return None if row is None else self._trade(row)

    def _find(self, params: dict) -> dict | None:
        if params.get("trade_no"):
            return self.trade(params["trade_no"])
        row = self.db.conn().execute("SELECT trade_no, status, body FROM epay_trades WHERE out_trade_no = ?",
                                     (params.get("out_trade_no", ""),)).fetchone()
        return None if row is None else self._trade(row)

    def _merchant(self, params: dict) -> bool:
        return params.get("pid") == self.pid and hmac.compare_digest(params.get("key", "").encode(), self.key.encode())

    @staticmethod
    def _trade(row: tuple) -> dict:
        return json.loads(row[2]) | {"trade_no": row[0], "status": row[1]}

    def _deliver(self, payload: bytes) -> None:
        answer = self.send("GET", payload.decode(), b"", {})
        status, body = answer
        if not 200 <= status < 300:
            raise Refused(f"the shop answered {status}")
        # 易支付 counts a notification as taken only when the answer is the text `success`.
        if body is not None and body.strip() != TAKEN:
            raise Refused(f"the shop answered {body[:40]!r}, not success")


def _with_query(url: str, fields: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(fields)}"


def _json(answer: dict) -> tuple[str, str, bytes, list]:
    return "200 OK", "application/json; charset=utf-8", json.dumps(answer, ensure_ascii=False).encode(), []


def _html(status: str, text: str) -> tuple[str, str, bytes, list]:
    return status, "text/html; charset=utf-8", text.encode(), []


def _page(status: str, message: str) -> tuple[str, str, bytes, list]:
    return _html(status, f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>易支付（沙箱）</title>"
                         f"<p>{html.escape(message)}</p></html>")
