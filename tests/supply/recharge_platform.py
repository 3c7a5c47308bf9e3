"""A fake upstream of the common Chinese recharge/card-platform family, served on 127.0.0.1.

It signs and checks with its own code (not kameng's), so a test against it shows that a file alone
teaches HttpSupplier a platform. Two dialects: CLASSIC (form POST, MD5 over the sorted parameters
+ `&key=`, upper-case hex, yuan, `{"code": "0000", "msg", "data"}`) and NEBULA (JSON, HMAC-SHA256,
lower-case hex, millisecond timestamps, fen, `{"errcode": 0, "errmsg", "result"}`).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


def _text(value: Any) -> str:
    # Nested values (a list of cards) are signed as compact JSON with sorted keys.
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return str(value)


def _sorted_text(params: dict[str, Any], sign_field: str) -> str:
    return "&".join(f"{k}={_text(v)}" for k, v in sorted(params.items()) if k != sign_field and _text(v) != "")


def classic_sign(params: dict[str, Any], secret: str) -> str:
    return hashlib.md5((_sorted_text(params, "sign") + "&key=" + secret).encode()).hexdigest().upper()


def nebula_sign(params: dict[str, Any], secret: str) -> str:
    return hmac.new(secret.encode(), _sorted_text(params, "signature").encode(), hashlib.sha256).hexdigest()


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@dataclass(frozen=True)
class Dialect:
    encoding: str
    sign: Callable[[dict[str, Any], str], str]
    sign_field: str
    envelope: tuple[str, str, str]
    codes: dict[str, Any]
    names: dict[str, str]
    statuses: dict[str, str]
    money: Callable[[int], Any]
    paths: dict[str, str]
    timestamp: tuple[str, int] | None


CLASSIC = Dialect(
    encoding="form", sign=classic_sign, sign_field="sign", envelope=("code", "msg", "data"),
    codes={"ok": "0000", "bad_sign": "1001", "no_goods": "1002", "no_stock": "1003", "no_balance": "1004",
           "reused": "1005", "no_order": "1006", "bad_account": "2001", "busy": "9999", "done": "3001"},
    names={"request_id": "out_trade_no", "product": "goods_id", "quantity": "num", "account": "account",
           "notify_url": "notify_url", "order_no": "order_no", "status": "status", "price": "price",
           "amount": "amount", "cards": "cards", "card_no": "card_no", "card_pwd": "card_pwd",
           "balance": "balance", "items": "list", "title": "goods_name", "stock": "stock"},
    statuses={"pending": "0", "delivered": "1", "failed": "2"}, money=yuan,
    paths={"place": "/api/order/create", "query": "/api/order/query", "balance": "/api/user/balance",
           "catalogue": "/api/goods/list", "cancel": "/api/order/cancel"},
    timestamp=("timestamp", 1),
)

NEBULA = Dialect(
    encoding="json", sign=nebula_sign, sign_field="signature", envelope=("errcode", "errmsg", "result"),
    codes={"ok": 0, "bad_sign": 40001, "no_goods": 40004, "no_stock": 40009, "no_balance": 40010,
           "reused": 40020, "no_order": 40044, "bad_account": 40030, "busy": 50000},
    names={"request_id": "merchantOrderNo", "product": "sku", "quantity": "count", "account": "rechargeAccount",
           "notify_url": "callbackUrl", "order_no": "orderId", "status": "state", "price": "unitPrice",
           "amount": "totalFee", "cards": "cardList", "card_no": "no", "card_pwd": "secret",
           "balance": "availableFee", "items": "skus", "title": "name", "stock": "inventory"},
    statuses={"pending": "PROCESSING", "delivered": "SUCCESS", "failed": "FAIL"}, money=lambda fen: fen,
    paths={"place": "/v2/orders", "query": "/v2/orders/detail", "balance": "/v2/account",
           "catalogue": "/v2/skus"},
    timestamp=("ts", 1000),
)


@dataclass
class Goods:
    title: str
    price: int
    stock: int | None = None
    direct: bool = False


@dataclass
class Order:
    params: dict[str, Any]
    goods: Goods
    number: str
    quantity: int
    status: str = "pending"
    cards: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Switches:
    http_500: bool = False
    busy: bool = False
    delay: float = 0.0
    out_of_stock: bool = False
    bad_callback_signature: bool = False


class RechargePlatform:
    def __init__(self, dialect: Dialect, merchant: str, secret: str, goods: dict[str, Goods], balance: int):
        self.dialect, self.merchant, self.secret = dialect, merchant, secret
        self.goods, self.balance = goods, balance
        self.orders: dict[str, Order] = {}
        self.switches = Switches()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    # --- the HTTP face ---------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        if self.switches.delay:
            time.sleep(self.switches.delay)
        if self.switches.http_500:
            start_response("500 Internal Server Error", [("content-type", "text/html")])
            return [b"<html>502 Bad Gateway</html>"]
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        params = self._params(raw)
        with self._lock:
            self.requests.append(params)
            code, data = self._route(environ["PATH_INFO"], params)
        name_code, name_msg, name_data = self.dialect.envelope
        body = json.dumps({name_code: self.dialect.codes[code], name_msg: code, name_data: data}).encode()
        start_response("200 OK", [("content-type", "application/json")])
        return [body]

    def _params(self, raw: bytes) -> dict[str, Any]:
        if self.dialect.encoding == "form":
            return dict(urllib.parse.parse_qsl(raw.decode()))
        return json.loads(raw or b"{}", parse_float=Decimal)

    def _route(self, path: str, params: dict[str, Any]) -> tuple[str, Any]:
        given = str(params.get(self.dialect.sign_field, ""))
        if given != self.dialect.sign(params, self.secret) or params.get(self._merchant_field) != self.merchant:
            return "bad_sign", None
        if self.switches.busy:
            return "busy", None
        names, paths = self.dialect.names, self.dialect.paths
        if path == paths["place"]:
            return self._place(params)
        if path == paths["query"]:
            order = self.orders.get(str(params.get(names["request_id"])))
            return ("ok", self._order_data(order)) if order else ("no_order", None)
        if path == paths.get("cancel"):
            return self._cancel(str(params.get(names["request_id"])))
        if path == paths["balance"]:
            return "ok", {names["balance"]: self.dialect.money(self.balance)}
        if path == paths["catalogue"]:
            return "ok", {names["items"]: [
                {names["product"]: code, names["title"]: g.title, names["price"]: self.dialect.money(g.price),
                 names["stock"]: -1 if g.stock is None else g.stock} for code, g in self.goods.items()]}
        return "no_goods", None

    @property
    def _merchant_field(self) -> str:
        return "merchant_id" if self.dialect is CLASSIC else "appId"

    def _place(self, params: dict[str, Any]) -> tuple[str, Any]:
        names = self.dialect.names
        request_id, code = str(params[names["request_id"]]), str(params[names["product"]])
        quantity = int(params[names["quantity"]])
        mine = {k: str(v) for k, v in params.items() if k not in (self.dialect.sign_field, self.dialect.timestamp[0])}
        if request_id in self.orders:
            order = self.orders[request_id]
            return ("ok", self._order_data(order)) if order.params == mine else ("reused", None)
        goods = self.goods.get(code)
        if goods is None:
            return "no_goods", None
        if self.switches.out_of_stock or (goods.stock is not None and goods.stock < quantity):
            return "no_stock", None
        if goods.direct and not str(params.get(names["account"], "")).isdigit():
            return "bad_account", None
        if self.balance < goods.price * quantity:
            return "no_balance", None
        self.balance -= goods.price * quantity
        order = Order(mine, goods, f"P{len(self.orders) + 1:08d}", quantity)
        if not goods.direct:
            goods.stock = None if goods.stock is None else goods.stock - quantity
            order.cards = [(f"{code.upper()}-{order.number}-{i}", f"{i:04d}{len(self.orders):04d}")
                           for i in range(quantity)]
            order.status = "delivered"
        self.orders[request_id] = order
        return "ok", self._order_data(order)

    def _cancel(self, request_id: str) -> tuple[str, Any]:
        """撤单: an order still in progress is dropped and paid back; a finished one cannot be."""
        order = self.orders.get(request_id)
        if order is None:
            return "ok", None
        if order.status != "pending":
            return "done", None
        del self.orders[request_id]
        self.balance += order.goods.price * order.quantity
        return "ok", None

    def _order_data(self, order: Order) -> dict[str, Any]:
        names, money = self.dialect.names, self.dialect.money
        delivered = order.quantity if order.status == "delivered" else 0
        return {
            names["order_no"]: order.number, names["request_id"]: order.params[names["request_id"]],
            names["status"]: self.dialect.statuses[order.status], names["quantity"]: delivered,
            names["price"]: money(order.goods.price), names["amount"]: money(order.goods.price * delivered),
            names["cards"]: [{names["card_no"]: no, names["card_pwd"]: pwd} for no, pwd in order.cards],
        }

    # --- the asynchronous callback ---------------------------------------------------------------------

    def finish(self, request_id: str, succeeded: bool = True) -> None:
        """The top-up is done (or failed, and the money goes back), as the platform decides on its own."""
        order = self.orders[request_id]
        order.status = "delivered" if succeeded else "failed"
        if not succeeded:
            self.balance += order.goods.price * order.quantity

    def callback_body(self, request_id: str, now: float | None = None, **overrides: Any) -> bytes:
        """The signed callback for an order, as it would be POSTed; overrides change fields before signing."""
        names, order = self.dialect.names, self.orders[request_id]
        data = self._order_data(order)
        params: dict[str, Any] = {self._merchant_field: self.merchant, **data}
        stamp_field, scale = self.dialect.timestamp
        params[stamp_field] = int((time.time() if now is None else now) * scale)
        if self.dialect.encoding == "form":
            params[names["cards"]] = json.dumps(params[names["cards"]]) if order.cards else ""
        params.update(overrides)
        params[self.dialect.sign_field] = self.dialect.sign(params, self.secret)
        if self.switches.bad_callback_signature:
            params[self.dialect.sign_field] = "0" * len(params[self.dialect.sign_field])
        if self.dialect.encoding == "form":
            return urllib.parse.urlencode(params).encode()
        return json.dumps(params).encode()

    def notify(self, request_id: str) -> str:
        """POST the callback to the order's notify URL; the text the shop answered."""
        order = self.orders[request_id]
        url = order.params[self.dialect.names["notify_url"]]
        kind = "application/x-www-form-urlencoded" if self.dialect.encoding == "form" else "application/json"
        request = urllib.request.Request(url, data=self.callback_body(request_id), headers={"content-type": kind})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.read().decode()


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    # A slow answer must not hold up the next request (the adapter gives up and asks again).
    daemon_threads = True
    block_on_close = False


class Served:
    """A WSGI app on 127.0.0.1, any free port, in a thread until stop()."""

    def __init__(self, app: Callable) -> None:
        self.server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
