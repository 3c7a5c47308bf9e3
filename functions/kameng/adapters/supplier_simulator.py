"""A supplier that lives in the process: the Supplier port with an upstream's bad days made to order.

Latency, outages, timeouts after the order was taken, partial fills, duplicate callbacks, a prepaid
balance and a catalogue with stock, all decided by one seeded random sequence, so a run repeats.
Time passes through the `clock` and `sleep` hooks, which a test turns by hand.
Its callbacks, and its HTTP face (supplier_simulator_http.py), are signed as docs/supply.md says.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

from kameng.domain.errors import InvalidCallback, SupplierRefused, SupplierUnavailable
from kameng.domain.supply import SuppliedKey, SupplierOffer, SupplyKind, SupplyRequest, SupplyResult

TIMESTAMP_HEADER = "x-kameng-supply-timestamp"
SIGNATURE_HEADER = "x-kameng-supply-signature"
# As Stripe does: a signed message older than this is refused, so a captured one cannot be replayed later.
TOLERANCE = timedelta(minutes=5)


def signature(secret: bytes, timestamp: int, payload: bytes) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + payload, hashlib.sha256).hexdigest()


def signed_headers(secret: bytes, now: datetime, payload: bytes) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, payload)}


def check_signature(secret: bytes, headers: Mapping[str, str], payload: bytes, now: datetime) -> None:
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp, given = lowered.get(TIMESTAMP_HEADER), lowered.get(SIGNATURE_HEADER)
    if not timestamp or not given:
        raise InvalidCallback("消息未签名")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise InvalidCallback("签名的时间戳无效") from None
    if not hmac.compare_digest(signature(secret, int(timestamp), payload), given):
        raise InvalidCallback("签名不符")
    if abs(now - signed_at) > TOLERANCE:
        raise InvalidCallback("签名已过期（超过 5 分钟）")


def result_json(result: SupplyResult) -> dict[str, Any]:
    return {
        "request_id": result.request_id, "status": result.status,
        "keys": [{"code": key.code, "password": key.password} for key in result.keys],
        "receipt": result.receipt, "quantity_delivered": result.quantity_delivered,
        "unit_cost": result.unit_cost, "amount": result.charged,
        "supplier_ref": result.supplier_ref, "message": result.message,
    }


def result_from_json(data: Any) -> SupplyResult:
    """Raises ValueError on anything but the shape result_json writes."""
    try:
        keys = tuple(SuppliedKey(str(key["code"]), key.get("password")) for key in data["keys"])
        fields = {name: data[name] for name in ("request_id", "status", "quantity_delivered", "unit_cost")}
        result = SupplyResult(keys=keys, receipt=data.get("receipt"), supplier_ref=str(data.get("supplier_ref", "")),
                              message=str(data.get("message", "")), **fields)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a supply result: {error}") from None
    if not all(isinstance(value, int) and value >= 0 for value in (result.quantity_delivered, result.unit_cost)):
        raise ValueError("quantity_delivered and unit_cost must be whole numbers ≥ 0")
    if data.get("amount") != result.charged:
        raise ValueError("amount is not unit_cost × quantity_delivered")
    return result


def offer_json(offer: SupplierOffer) -> dict[str, Any]:
    return {"product_code": offer.product_code, "title": offer.title, "unit_cost": offer.unit_cost,
            "currency": offer.currency, "stock": offer.stock, "kind": offer.kind}


@dataclass(frozen=True)
class SimulatedProduct:
    product_code: str
    title: str
    unit_cost: int
    currency: str = "CNY"
    stock: int | None = None
    kind: SupplyKind = "card_key"
    # The buyer fields a direct top-up must carry (a phone number, a game account id).
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class SimulatorSettings:
    latency: float = 0.0            # seconds every call takes
    timeout: float = 10.0           # seconds a caller waits: a slower call raises SupplierUnavailable
    failure_rate: float = 0.0       # share of calls answered like a 5xx: nothing is taken
    timeout_rate: float = 0.0       # share of new orders taken upstream whose answer never comes in time
    hang_rate: float = 0.0          # share of new orders whose call hangs past the timeout before anything is taken
    partial_rate: float = 0.0       # share of card-key orders (quantity ≥ 2) filled half now, the rest later
    completion_delay: float = 0.0   # seconds before a partial fill's rest, or a top-up, completes
    duplicate_callbacks: int = 1    # how many times each callback is sent
    seed: int = 0


@dataclass(frozen=True)
class Callback:
    body: bytes
    headers: dict[str, str]


@dataclass
class _Order:
    request: SupplyRequest
    product: SimulatedProduct
    ref: str
    placed_at: datetime
    keys: list[SuppliedKey]
    held_back: list[SuppliedKey] = field(default_factory=list)
    receipt: str | None = None
    delivered: int = 0

    @property
    def done(self) -> bool:
        return self.delivered == self.request.quantity

    def result(self) -> SupplyResult:
        return SupplyResult(
            self.request.request_id, "delivered" if self.done else "pending", tuple(self.keys), self.receipt,
            self.delivered, self.product.unit_cost, self.ref, "" if self.done else "部分发货，其余稍后送达",
        )


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SupplierSimulator:
    def __init__(
        self,
        products: list[SimulatedProduct],
        balance: int,
        secret: bytes,
        settings: SimulatorSettings = SimulatorSettings(),
        name: str = "simulator",
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not secret:
            raise ValueError("the simulator signs its callbacks: give it a secret")
        self._name = name
        self._products = {product.product_code: product for product in products}
        self._balance = balance
        self._secret = secret
        self.settings = settings
        self._clock, self._sleep = clock, sleep
        self._random = random.Random(settings.seed)
        self._orders: dict[str, _Order] = {}
        self._outbox: list[Callback] = []
        # The local server calls it from many threads; sleeps happen outside the lock.
        self._lock = threading.RLock()

    @property
    def name(self) -> str:
        return self._name

    def place(self, request: SupplyRequest) -> SupplyResult:
        outage, slow, partial = (self._random.random() for _ in range(3))
        if outage < self.settings.failure_rate:
            self._wait(self.settings.latency)
            raise SupplierUnavailable(f"供货商 {self._name} 暂不可用（HTTP 503）")
        # Drawn only when asked for, so every seeded run without it repeats as before.
        if self.settings.hang_rate and self._random.random() < self.settings.hang_rate:
            self._wait(self.settings.timeout + 1)
        with self._lock:
            order = self._orders.get(request.request_id)
            taken = order is None
            if order is not None and order.request != request:
                raise SupplierRefused("request_id_reused", "同一请求号已用于另一笔订单")
            if order is not None:
                self._settle(order)
            else:
                order = self._take(request, partial_fill=partial < self.settings.partial_rate)
        if taken and slow < self.settings.timeout_rate:
            self._wait(self.settings.timeout + 1)
        self._wait(self.settings.latency)
        with self._lock:
            return order.result()

    def query(self, request_id: str) -> SupplyResult:
        self._wait(self.settings.latency)
        with self._lock:
            order = self._orders.get(request_id)
            if order is None:
                raise SupplierRefused("unknown_request", f"供货商 {self._name} 没有此请求号的订单")
            self._settle(order)
            return order.result()

    def cancel(self, request_id: str) -> bool:
        # Like every call, it is carried out at once; only its answer may come too late.
        with self._lock:
            order = self._orders.get(request_id)
            cancelled = order is None or self._drop(order)
        self._wait(self.settings.latency)
        return cancelled

    def _drop(self, order: _Order) -> bool:
        """Cancel an order nothing of which was delivered: what it held of the balance and stock comes back."""
        self._settle(order)
        if order.delivered:
            return False
        del self._orders[order.request.request_id]
        if order.product.stock is not None:
            product = self._products[order.product.product_code]
            self._products[product.product_code] = replace(product, stock=(product.stock or 0) + order.request.quantity)
        return True

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> SupplyResult:
        check_signature(self._secret, headers, body, self._clock())
        try:
            result = result_from_json(json.loads(body))
        except ValueError as error:
            raise InvalidCallback(f"回调内容无效：{error}") from None
        order = self._orders.get(result.request_id)
        if order is None:
            raise InvalidCallback("回调的请求号不是本店下的单")
        if result.unit_cost != order.product.unit_cost or result.quantity_delivered > order.request.quantity:
            raise InvalidCallback("回调的金额与供货商所收不符")
        return result

    def balance(self) -> int:
        return self._balance

    def now(self) -> datetime:
        return self._clock()

    def catalogue(self) -> list[SupplierOffer]:
        return [SupplierOffer(p.product_code, p.title, p.unit_cost, p.currency, p.stock, p.kind)
                for p in self._products.values()]

    def take_callbacks(self) -> list[Callback]:
        """The callbacks sent since last asked, each as often as duplicate_callbacks says, oldest first."""
        with self._lock:
            self.settle_all()
            sent, self._outbox = self._outbox, []
            return sent

    def settle_all(self) -> None:
        """Complete every order whose time has come, as the upstream would on its own."""
        with self._lock:
            for order in list(self._orders.values()):
                self._settle(order)

    def _wait(self, seconds: float) -> None:
        if seconds > self.settings.timeout:
            self._sleep(self.settings.timeout)
            raise SupplierUnavailable(f"供货商 {self._name} 超时未应答（{self.settings.timeout:g} 秒）")
        if seconds > 0:
            self._sleep(seconds)

    def _held(self) -> int:
        return sum((o.request.quantity - o.delivered) * o.product.unit_cost for o in self._orders.values())

    def _check(self, request: SupplyRequest) -> SimulatedProduct:
        product = self._products.get(request.product_code)
        if product is None:
            raise SupplierRefused("unknown_product", f"供货商没有商品 {request.product_code}")
        if product.currency != request.currency:
            raise SupplierRefused("currency", f"供货商以 {product.currency} 结算")
        if product.unit_cost > request.max_unit_cost:
            raise SupplierRefused("price_above_limit", f"进价 {product.unit_cost} 高于上限 {request.max_unit_cost}")
        missing = [name for name in product.fields if not str(request.buyer_fields.get(name, "")).strip()]
        if missing:
            raise SupplierRefused("invalid_account", f"缺少充值信息：{'、'.join(missing)}")
        if product.stock is not None and product.stock < request.quantity:
            raise SupplierRefused("out_of_stock", f"供货商库存不足（剩 {product.stock}）")
        if self._balance - self._held() < product.unit_cost * request.quantity:
            raise SupplierRefused("insufficient_balance", "在供货商处的预付余额不足")
        return product

    def _take(self, request: SupplyRequest, partial_fill: bool) -> _Order:
        product = self._check(request)
        if product.stock is not None:
            self._products[product.product_code] = replace(product, stock=product.stock - request.quantity)
        ref = f"SIM{len(self._orders) + 1:06d}"
        order = _Order(request, product, ref, self._clock(), keys=[])
        self._orders[request.request_id] = order
        if product.kind == "direct":
            if self.settings.completion_delay <= 0:
                self._deliver(order, [], receipt=f"{ref}-OK")
            return order
        keys = [SuppliedKey(f"SIM-{self._random.getrandbits(64):016X}", f"{self._random.getrandbits(24):06d}")
                for _ in range(request.quantity)]
        now = len(keys) // 2 if partial_fill and len(keys) > 1 else len(keys)
        order.held_back = keys[now:]
        self._deliver(order, keys[:now])
        return order

    def _settle(self, order: _Order) -> None:
        if order.done or self._clock() < order.placed_at + timedelta(seconds=self.settings.completion_delay):
            return
        rest, order.held_back = order.held_back, []
        self._deliver(order, rest, receipt=f"{order.ref}-OK" if order.product.kind == "direct" else None)

    def _deliver(self, order: _Order, keys: list[SuppliedKey], receipt: str | None = None) -> None:
        count = order.request.quantity if receipt else len(keys)
        order.keys.extend(keys)
        order.receipt = receipt or order.receipt
        order.delivered += count
        self._balance -= count * order.product.unit_cost
        body = json.dumps(result_json(order.result()), ensure_ascii=False, sort_keys=True).encode()
        headers = signed_headers(self._secret, self._clock(), body)
        self._outbox.extend(Callback(body, dict(headers)) for _ in range(max(1, self.settings.duplicate_callbacks)))
