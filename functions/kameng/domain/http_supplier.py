"""A supplier described by a file (content/suppliers/<name>.yaml, `kind: http`), and the pure rules to speak to it.

Most Chinese recharge and card platforms (话费/游戏币直充, 卡密) share one shape: form or JSON requests
carrying a merchant id and a signature over the parameters sorted by name, `{"code", "msg", "data"}`
answers, a query endpoint and a signed asynchronous callback. `HttpSupplierSpec` names where each piece
sits; the helpers below sign, read and convert, so the adapter only moves bytes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Mapping
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kameng.domain.errors import InvalidCallback, SupplierRefused, SupplierUnavailable
from kameng.domain.money import MINOR_DIGITS, parse_major
from kameng.domain.supply import SuppliedKey, SupplierOffer, SupplyKind, SupplyRequest, SupplyResult, SupplyStatus

RefusalReason = Literal[
    "unknown_product", "currency", "price_above_limit", "invalid_account", "out_of_stock",
    "insufficient_balance", "request_id_reused", "unknown_request", "refused",
]
# yuan: a decimal in major units ("49.50" or 49.5); fen: a whole number of minor units (4950).
Unit = Literal["yuan", "fen"]
Encoding = Literal["form", "json"]
# As for the simulator's callbacks: a signed message older than this could be a replay.
TOLERANCE = timedelta(minutes=5)
# Names a constant parameter must not have: the file is content, published with the site's sources.
SECRET_WORDS = ("secret", "password", "passwd", "token", "private")


class _Spec(BaseModel):
    # YAML reads 0000 as 0 and 1 as an int; a code or a status value is compared as text.
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class SignatureSpec(_Spec):
    algorithm: Literal["md5", "hmac-sha256", "hmac-md5"]
    sign_field: str = "sign"
    case: Literal["upper", "lower"] = "upper"
    # md5 only: appended to the sorted parameters before hashing; {secret} is replaced by the secret.
    secret_suffix: str = "&key={secret}"
    timestamp_field: str | None = None
    timestamp_unit: Literal["seconds", "milliseconds"] = "seconds"

    @field_validator("secret_suffix")
    @classmethod
    def _names_the_secret(cls, suffix: str) -> str:
        if suffix.count("{secret}") != 1:
            raise ValueError(f"must contain {{secret}} once, e.g. '&key={{secret}}' (got {suffix!r})")
        return suffix


class PlaceFields(_Spec):
    """Our field → the name the supplier gives it."""

    request_id: str
    product_code: str
    quantity: str
    max_unit_cost: str | None = None
    callback_url: str | None = None


class PlaceEndpoint(_Spec):
    path: str
    method: Literal["POST", "GET"] = "POST"
    fields: PlaceFields
    max_unit_cost_unit: Unit = "yuan"
    # A buyer field (phone, game account id, server) → the supplier's name; an unlisted one keeps its name.
    buyer_fields: dict[str, str] = {}


class QueryEndpoint(_Spec):
    path: str
    method: Literal["POST", "GET"] = "POST"
    request_id: str


class BalanceEndpoint(_Spec):
    path: str
    method: Literal["POST", "GET"] = "POST"
    balance: str
    unit: Unit = "yuan"


class CatalogueEndpoint(_Spec):
    path: str
    method: Literal["POST", "GET"] = "POST"
    items: str
    code: str
    title: str
    price: str
    price_unit: Unit = "yuan"
    # Missing, null or negative: the supplier never runs out (a top-up).
    stock: str | None = None
    kind: SupplyKind = "card_key"


class Endpoints(_Spec):
    place: PlaceEndpoint
    query: QueryEndpoint
    balance: BalanceEndpoint
    catalogue: CatalogueEndpoint | None = None
    # 撤单: the platform drops an order it has not finished; a success code means it never will.
    cancel: QueryEndpoint | None = None


class AnswerSpec(_Spec):
    """Where things sit in an answer, as dotted paths (`data.status`, `data.cards.0.no`)."""

    code: str
    message: str | None = None
    success_codes: list[str] = Field(min_length=1)
    # Absent from an accepted answer: the order is in progress (`pending`).
    status: str | None = None
    statuses: dict[str, SupplyStatus] = {}
    request_id: str | None = None
    supplier_ref: str | None = None
    keys: str | None = None
    key_code: str = "code"
    key_password: str | None = None
    receipt: str | None = None
    quantity_delivered: str | None = None
    unit_cost: str | None = None
    amount: str | None = None
    amount_unit: Unit = "yuan"
    refusals: dict[str, RefusalReason] = {}
    definite_refusal: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> AnswerSpec:
        if self.status and not self.statuses:
            raise ValueError("statuses: map the supplier's status values to pending, delivered or failed")
        if not (self.unit_cost or self.amount):
            raise ValueError("unit_cost or amount: name where the answer states what was charged")
        clash = set(self.success_codes) & (set(self.refusals) | set(self.definite_refusal))
        if clash:
            raise ValueError(f"success_codes: {', '.join(sorted(clash))} cannot also be a refusal")
        return self


class CallbackSpec(_Spec):
    encoding: Encoding = "form"
    # None: signed like the requests.
    signature: SignatureSpec | None = None
    request_id: str
    status: str
    # None: the answer's statuses.
    statuses: dict[str, SupplyStatus] | None = None
    amount: str
    amount_unit: Unit = "yuan"
    unit_cost: str | None = None
    quantity: str | None = None
    supplier_ref: str | None = None
    keys: str | None = None
    receipt: str | None = None
    # The text the supplier waits for; anything else and it sends the callback again.
    reply: str = "success"


class HttpSupplierSpec(_Spec):
    kind: Literal["http"]
    title: str | None = None
    base_url: str
    currency: str = "CNY"
    encoding: Encoding = "form"
    signature: SignatureSpec
    # Sent with every request (merchant id, app id): never a secret, which comes from the secret store.
    params: dict[str, str] = {}
    endpoints: Endpoints
    answer: AnswerSpec
    callback: CallbackSpec | None = None

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"must start with https:// (got {url!r})")
        return url.rstrip("/")

    @field_validator("params")
    @classmethod
    def _no_secrets(cls, params: dict[str, str]) -> dict[str, str]:
        for name in params:
            lowered = name.lower()
            if lowered in ("key", "sign") or any(word in lowered for word in SECRET_WORDS):
                raise ValueError(f"{name}: a secret is never written here; it comes from the secret store")
        return params

    @model_validator(mode="after")
    def _callback_statuses(self) -> HttpSupplierSpec:
        if self.callback and self.callback.statuses is None and not self.answer.statuses:
            raise ValueError("callback.statuses: map the supplier's status values to pending, delivered or failed")
        return self

    @property
    def callback_reply(self) -> str:
        return self.callback.reply if self.callback else "success"

    @property
    def callback_signature(self) -> SignatureSpec:
        return self.callback.signature if self.callback and self.callback.signature else self.signature


# --- signing -------------------------------------------------------------------------------------------

def value_text(value: Any) -> str:
    """How a parameter's value is written in the signed text: as sent, nested values as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return str(value)


def sign_text(params: Mapping[str, Any], rule: SignatureSpec) -> str:
    # These platforms leave out empty values and the signature itself, then sort by name.
    kept = {name: value_text(value) for name, value in params.items() if name != rule.sign_field}
    return "&".join(f"{name}={text}" for name, text in sorted(kept.items()) if text != "")


def signature(params: Mapping[str, Any], rule: SignatureSpec, secret: bytes) -> str:
    text = sign_text(params, rule)
    if rule.algorithm == "md5":
        digest = hashlib.md5((text + rule.secret_suffix.replace("{secret}", secret.decode())).encode()).hexdigest()
    else:
        algorithm = hashlib.sha256 if rule.algorithm == "hmac-sha256" else hashlib.md5
        digest = hmac.new(secret, text.encode(), algorithm).hexdigest()
    return digest.upper() if rule.case == "upper" else digest


def timestamp(now: datetime, rule: SignatureSpec) -> int:
    seconds = now.timestamp()
    return int(seconds * 1000) if rule.timestamp_unit == "milliseconds" else int(seconds)


def signed(params: Mapping[str, Any], rule: SignatureSpec, secret: bytes, now: datetime) -> dict[str, Any]:
    out = dict(params)
    if rule.timestamp_field:
        out[rule.timestamp_field] = timestamp(now, rule)
    out[rule.sign_field] = signature(out, rule, secret)
    return out


def check_signed(params: Mapping[str, Any], rule: SignatureSpec, secret: bytes, now: datetime) -> None:
    given = params.get(rule.sign_field)
    if not isinstance(given, str) or not given:
        raise InvalidCallback("消息未签名")
    if not hmac.compare_digest(signature(params, rule, secret).lower(), given.lower()):
        raise InvalidCallback("签名不符")
    if rule.timestamp_field:
        _check_fresh(params.get(rule.timestamp_field), rule, now)


def _check_fresh(stamp: Any, rule: SignatureSpec, now: datetime) -> None:
    try:
        seconds = int(str(stamp)) / (1000 if rule.timestamp_unit == "milliseconds" else 1)
        signed_at = datetime.fromtimestamp(seconds, timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise InvalidCallback("签名的时间戳无效") from None
    if abs(now - signed_at) > TOLERANCE:
        raise InvalidCallback("签名已过期（超过 5 分钟）")


# --- amounts and answers -------------------------------------------------------------------------------

def to_minor(value: Any, unit: Unit) -> int:
    """A supplier's amount → minor units, exactly; ValueError if it is not one."""
    if unit == "yuan":
        return parse_major(value)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a whole number of fen (got {value!r})")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected a whole number of fen (got {value!r})") from None
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise ValueError(f"expected a whole number of fen (got {value!r})")
    return int(amount)


def whole_number(value: Any) -> int:
    """A count (quantity, stock) as the supplier wrote it: 3 or "3"; ValueError otherwise."""
    try:
        return to_minor(value, "fen")
    except ValueError:
        raise ValueError(f"expected a whole number (got {value!r})") from None


def from_minor(minor: int, unit: Unit) -> str | int:
    if unit == "fen":
        return minor
    return str(Decimal(minor).scaleb(-MINOR_DIGITS).quantize(Decimal(1).scaleb(-MINOR_DIGITS)))


def parse_body(raw: bytes, encoding: Encoding) -> dict[str, Any]:
    """A body as the supplier sent it; JSON decimals stay Decimal, never float. ValueError if unreadable."""
    text = raw.decode("utf-8")
    if encoding == "form":
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    try:
        data = json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise ValueError("nested deeper than a body can be") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


_MISSING = object()


def read_path(data: Any, path: str | None) -> Any:
    """The value at a dotted path (`data.cards.0.no`), or None where nothing is."""
    if not path:
        return None
    value = data
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is _MISSING:
            return None
    return value


def check_accepted(answer: AnswerSpec, data: Mapping[str, Any], supplier: str) -> None:
    """Raise unless the result code says the request was accepted."""
    code = read_path(data, answer.code)
    message = str(read_path(data, answer.message) or "")
    if code is None:
        raise SupplierUnavailable(f"供货商 {supplier} 的应答没有结果码")
    code = str(code)
    if code in answer.success_codes:
        return
    if code in answer.refusals:
        raise SupplierRefused(answer.refusals[code], f"供货商 {supplier} 拒绝（{code}）：{message}")
    if code in answer.definite_refusal:
        raise SupplierRefused("refused", f"供货商 {supplier} 拒绝（{code}）：{message}")
    # Any other code may hide an order that was taken: the caller queries it or reconciles later.
    raise SupplierUnavailable(f"供货商 {supplier} 应答 {code}：{message}")


def read_keys(value: Any, code_field: str, password_field: str | None) -> tuple[SuppliedKey, ...]:
    # A form callback carries its list of keys as JSON text.
    if isinstance(value, str):
        value = json.loads(value, parse_float=Decimal) if value.strip() else []
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("keys: expected a list")
    keys = []
    for item in value:
        if isinstance(item, dict):
            code, password = item.get(code_field), item.get(password_field) if password_field else None
        else:
            code, password = item, None
        if code is None or str(code) == "":
            raise ValueError("keys: a key without its code")
        keys.append(SuppliedKey(str(code), None if password in (None, "") else str(password)))
    return tuple(keys)


def _status(value: Any, statuses: Mapping[str, SupplyStatus], default: SupplyStatus | None) -> SupplyStatus:
    if value is None and default:
        return default
    if str(value) not in statuses:
        raise ValueError(f"status {value!r} is not one the file maps")
    return statuses[str(value)]


def _unit_cost(unit_cost: Any, amount: Any, unit: Unit, quantity: int) -> int:
    cost = to_minor(unit_cost, unit) if unit_cost is not None else None
    if amount is None:
        return cost or 0
    total = to_minor(amount, unit)
    if cost is not None:
        if cost * quantity != total:
            raise ValueError(f"amount {total} is not {quantity} × unit cost {cost}")
        return cost
    if quantity == 0:
        return 0
    if total % quantity:
        raise ValueError(f"amount {total} does not divide among {quantity}")
    return total // quantity


def _quantity(value: Any, keys: tuple[SuppliedKey, ...], status: SupplyStatus, ordered: int | None) -> int:
    if value is not None:
        quantity = whole_number(value)
    elif keys:
        quantity = len(keys)
    else:
        # A top-up answer rarely counts: delivered means all that was ordered (one, when not known).
        quantity = (ordered or 1) if status == "delivered" else 0
    if keys and len(keys) != quantity:
        raise ValueError(f"{len(keys)} keys for a quantity of {quantity}")
    return quantity


def result_from_answer(
    spec: HttpSupplierSpec, data: Mapping[str, Any], request_id: str, ordered: int | None = None,
) -> SupplyResult:
    """An accepted answer to place or query → the result; SupplierUnavailable if it cannot be read."""
    answer = spec.answer
    try:
        status = _status(read_path(data, answer.status), answer.statuses, "pending")
        keys = read_keys(read_path(data, answer.keys), answer.key_code, answer.key_password)
        quantity = _quantity(read_path(data, answer.quantity_delivered), keys, status, ordered)
        unit_cost = _unit_cost(read_path(data, answer.unit_cost), read_path(data, answer.amount),
                               answer.amount_unit, quantity)
        stated_id = read_path(data, answer.request_id)
        if stated_id is not None and str(stated_id) != request_id:
            raise ValueError(f"the answer is for request {stated_id}, not {request_id}")
        receipt = read_path(data, answer.receipt)
        return SupplyResult(request_id, status, keys, None if receipt in (None, "") else str(receipt), quantity,
                            unit_cost, str(read_path(data, answer.supplier_ref) or ""),
                            str(read_path(data, answer.message) or ""))
    except ValueError as error:
        raise SupplierUnavailable(f"供货商 {spec.title or spec.base_url} 的应答无法读取：{error}") from None


def callback_result(spec: HttpSupplierSpec, body: bytes, secret: bytes, now: datetime) -> SupplyResult:
    """A callback's body → its result, once signed, fresh and its amount adds up; InvalidCallback otherwise."""
    callback = spec.callback
    if callback is None:
        raise InvalidCallback("此供货商不发回调")
    try:
        data = parse_body(body, callback.encoding)
    except (ValueError, UnicodeDecodeError):
        raise InvalidCallback("回调内容无法读取") from None
    check_signed(data, spec.callback_signature, secret, now)
    request_id = read_path(data, callback.request_id)
    try:
        if request_id in (None, ""):
            raise ValueError("no request id")
        status = _status(read_path(data, callback.status), callback.statuses or spec.answer.statuses, None)
        keys = read_keys(read_path(data, callback.keys), spec.answer.key_code, spec.answer.key_password)
        amount = read_path(data, callback.amount)
        if amount is None:
            raise ValueError("no amount")
        quantity = _quantity(read_path(data, callback.quantity), keys, status, None)
        unit_cost = _unit_cost(read_path(data, callback.unit_cost), amount, callback.amount_unit, quantity)
        receipt = read_path(data, callback.receipt)
        return SupplyResult(str(request_id), status, keys, None if receipt in (None, "") else str(receipt),
                            quantity, unit_cost, str(read_path(data, callback.supplier_ref) or ""))
    except ValueError as error:
        raise InvalidCallback(f"回调内容无效：{error}") from None


def place_params(spec: HttpSupplierSpec, request: SupplyRequest, callback_url: str | None) -> dict[str, Any]:
    place = spec.endpoints.place
    if request.currency != spec.currency:
        raise SupplierRefused("currency", f"供货商以 {spec.currency} 结算")
    params: dict[str, Any] = {**spec.params, place.fields.request_id: request.request_id,
                              place.fields.product_code: request.product_code,
                              place.fields.quantity: request.quantity}
    if place.fields.max_unit_cost:
        params[place.fields.max_unit_cost] = from_minor(request.max_unit_cost, place.max_unit_cost_unit)
    if place.fields.callback_url and callback_url:
        params[place.fields.callback_url] = callback_url
    for name, value in request.buyer_fields.items():
        params[place.buyer_fields.get(name, name)] = value
    return params


def balance_from_answer(spec: HttpSupplierSpec, data: Mapping[str, Any]) -> int:
    endpoint = spec.endpoints.balance
    try:
        return to_minor(read_path(data, endpoint.balance), endpoint.unit)
    except ValueError as error:
        raise SupplierUnavailable(f"供货商的余额无法读取：{error}") from None


def offers_from_answer(spec: HttpSupplierSpec, endpoint: CatalogueEndpoint, data: Mapping[str, Any]) -> list[SupplierOffer]:
    items = read_path(data, endpoint.items)
    try:
        if not isinstance(items, list):
            raise ValueError(f"{endpoint.items}: expected a list")
        offers = []
        for item in items:
            stock = read_path(item, endpoint.stock)
            stock = None if stock in (None, "") or Decimal(str(stock)) < 0 else whole_number(stock)
            offers.append(SupplierOffer(str(read_path(item, endpoint.code)), str(read_path(item, endpoint.title) or ""),
                                        to_minor(read_path(item, endpoint.price), endpoint.price_unit), spec.currency,
                                        stock, endpoint.kind))
        return offers
    except (ValueError, InvalidOperation) as error:
        raise SupplierUnavailable(f"供货商的商品目录无法读取：{error}") from None
