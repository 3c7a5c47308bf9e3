"""A supplier described by a file: two platforms of different dialects, one adapter, no code per platform."""
from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from kameng.adapters.supplier_http import HttpSupplier
from kameng.domain.errors import InvalidCallback, SupplierRefused, SupplierUnavailable
from kameng.domain.http_supplier import HttpSupplierSpec, SignatureSpec, result_from_answer, signature, to_minor
from kameng.domain.supply import SupplyRequest
from tests.supply.recharge_platform import CLASSIC, NEBULA, Goods, RechargePlatform, Served

FIXTURES = Path(__file__).parent / "fixtures"
SECRETS = {"classic": "k3y-of-classic", "nebula": "nebula-hmac-secret"}


def spec_data(name: str) -> dict:
    return yaml.safe_load((FIXTURES / f"{name}.yaml").read_text(encoding="utf-8"))


def goods() -> dict[str, Goods]:
    return {"steam-100": Goods("Steam 100 元卡", price=9250, stock=5),
            "cmcc-50": Goods("移动话费 50 元", price=4980, direct=True)}


class Callbacks:
    """The shop's callback route in miniature: verify, then answer the supplier's expected reply."""

    def __init__(self) -> None:
        self.supplier: HttpSupplier | None = None
        self.applied: list = []
        self.refused: list[str] = []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            self.applied.append(self.supplier.verify_callback(body, {}))
            reply = self.supplier.callback_reply
        except InvalidCallback as error:
            self.refused.append(error.message)
            reply = "fail"
        start_response("200 OK", [("content-type", "text/plain")])
        return [reply.encode()]


@pytest.fixture(params=["classic", "nebula"])
def world(request):
    name = request.param
    platform = RechargePlatform(CLASSIC if name == "classic" else NEBULA,
                                "10086" if name == "classic" else "neb-2048", SECRETS[name], goods(), balance=50_000)
    upstream, callbacks = Served(platform), Callbacks()
    receiver = Served(callbacks)
    spec = HttpSupplierSpec.model_validate({**spec_data(name), "base_url": upstream.url})
    supplier = HttpSupplier(name, spec, SECRETS[name].encode(), timeout=0.5, callback_url=receiver.url + "/notify")
    callbacks.supplier = supplier
    yield platform, supplier, callbacks
    upstream.stop()
    receiver.stop()


def cards(request_id: str, quantity: int = 2) -> SupplyRequest:
    return SupplyRequest(request_id, "steam-100", quantity, 9500, "CNY")


def top_up(request_id: str, phone: str = "13800138000") -> SupplyRequest:
    return SupplyRequest(request_id, "cmcc-50", 1, 5000, "CNY", {"phone": phone})


def test_card_keys_are_bought_and_a_repeated_request_id_buys_nothing_more(world):
    platform, supplier, _ = world

    placed = supplier.place(cards("r-1"))
    again = supplier.place(cards("r-1"))

    assert placed.status == "delivered" and placed.quantity_delivered == 2 and len(placed.keys) == 2
    assert all(key.code and key.password for key in placed.keys)
    assert placed.unit_cost == 9250 and placed.charged == 18_500 and placed.supplier_ref
    assert again == placed and supplier.query("r-1") == placed
    assert platform.balance == 50_000 - 18_500 and len(platform.orders) == 1
    assert supplier.balance() == 31_500


def test_a_top_up_is_pending_until_the_callback_says_delivered(world):
    platform, supplier, callbacks = world

    placed = supplier.place(top_up("t-1"))
    assert placed.status == "pending" and placed.quantity_delivered == 0
    platform.finish("t-1")
    reply = platform.notify("t-1")

    assert reply == supplier.callback_reply and callbacks.refused == []
    [result] = callbacks.applied
    assert (result.request_id, result.status, result.quantity_delivered, result.unit_cost) == ("t-1", "delivered", 1, 4980)
    assert supplier.query("t-1").status == "delivered"


def test_the_account_is_sent_under_the_suppliers_own_name(world):
    platform, supplier, _ = world
    supplier.place(top_up("t-2", phone="13900139000"))
    [sent] = platform.requests
    assert sent[platform.dialect.names["account"]] == "13900139000"
    assert sent[platform.dialect.names["notify_url"]].endswith("/notify")


def test_the_catalogue_lists_prices_in_fen_and_unlimited_stock(world):
    _, supplier, _ = world
    offers = {offer.product_code: offer for offer in supplier.catalogue()}
    assert offers["steam-100"].unit_cost == 9250 and offers["steam-100"].stock == 5
    assert offers["cmcc-50"].unit_cost == 4980 and offers["cmcc-50"].stock is None


@pytest.mark.parametrize("request_for, reason", [
    (lambda: SupplyRequest("x-1", "no-such-goods", 1, 9500, "CNY"), "unknown_product"),
    (lambda: cards("x-2", quantity=6), "out_of_stock"),
    (lambda: top_up("x-3", phone="not-a-phone"), "invalid_account"),
])
def test_a_refusal_says_why(world, request_for, reason):
    _, supplier, _ = world
    with pytest.raises(SupplierRefused) as refused:
        supplier.place(request_for())
    assert refused.value.reason == reason


def test_one_request_id_for_another_order_is_refused_and_an_unknown_one_is_unknown(world):
    _, supplier, _ = world
    supplier.place(cards("r-9", quantity=1))
    with pytest.raises(SupplierRefused) as reused:
        supplier.place(cards("r-9", quantity=2))
    with pytest.raises(SupplierRefused) as unknown:
        supplier.query("never-placed")
    assert (reused.value.reason, unknown.value.reason) == ("request_id_reused", "unknown_request")


def test_too_little_balance_is_a_refusal(world):
    platform, supplier, _ = world
    platform.balance = 100
    with pytest.raises(SupplierRefused) as refused:
        supplier.place(cards("r-poor"))
    assert refused.value.reason == "insufficient_balance"


def test_a_wrong_secret_is_a_definite_refusal(world):
    platform, supplier, _ = world
    forger = HttpSupplier("forger", supplier.spec, b"wrong-secret", timeout=0.5)
    with pytest.raises(SupplierRefused) as refused:
        forger.place(cards("r-forged"))
    assert refused.value.reason == "refused" and platform.orders == {}


@pytest.mark.parametrize("switch", ["http_500", "busy"])
def test_an_outage_or_an_unmapped_code_is_unavailable_not_refused(world, switch):
    platform, supplier, _ = world
    setattr(platform.switches, switch, True)
    with pytest.raises(SupplierUnavailable):
        supplier.place(cards("r-down"))


def test_a_supplier_slower_than_the_timeout_is_unavailable_and_the_order_can_be_queried(world):
    platform, supplier, _ = world
    platform.switches.delay = 0.8
    started = time.monotonic()
    with pytest.raises(SupplierUnavailable):
        supplier.place(cards("r-slow"))
    assert time.monotonic() - started < 0.8
    platform.switches.delay = 0
    time.sleep(0.5)  # the platform finishes the order it took
    assert supplier.query("r-slow").status == "delivered"


def test_a_callback_with_a_forged_signature_is_refused(world):
    platform, supplier, callbacks = world
    supplier.place(top_up("t-f"))
    platform.finish("t-f")
    platform.switches.bad_callback_signature = True
    assert platform.notify("t-f") == "fail"
    assert callbacks.applied == [] and callbacks.refused == ["签名不符"]


def test_an_unsigned_callback_is_refused(world):
    platform, supplier, _ = world
    supplier.place(top_up("t-u"))
    body = platform.callback_body("t-u")
    unsigned = body.replace(platform.dialect.sign_field.encode(), b"unsigned_field")
    with pytest.raises(InvalidCallback, match="未签名"):
        supplier.verify_callback(unsigned, {})


def test_a_stale_callback_is_refused(world):
    platform, supplier, _ = world
    supplier.place(top_up("t-s"))
    platform.finish("t-s")
    body = platform.callback_body("t-s", now=time.time() - 6 * 60)
    with pytest.raises(InvalidCallback, match="过期"):
        supplier.verify_callback(body, {})
    assert supplier.verify_callback(platform.callback_body("t-s"), {}).status == "delivered"


def test_a_callback_whose_amount_is_not_quantity_times_unit_cost_is_refused(world):
    platform, supplier, _ = world
    supplier.place(cards("r-a", quantity=2))
    names = platform.dialect.names
    wrong = platform.dialect.money(9250 * 3)
    with pytest.raises(InvalidCallback, match="回调内容无效"):
        supplier.verify_callback(platform.callback_body("r-a", **{names["amount"]: wrong}), {})


def test_a_callback_brings_the_card_keys(world):
    platform, supplier, _ = world
    placed = supplier.place(cards("r-k", quantity=2))
    result = supplier.verify_callback(platform.callback_body("r-k"), {})
    assert result.keys == placed.keys and result.charged == 18_500


def test_a_classic_callback_signed_by_hand_is_read():
    # The signing rule written out, as a platform's API document gives it.
    spec = HttpSupplierSpec.model_validate(spec_data("classic"))
    params = {"out_trade_no": "t-9", "order_no": "P1", "status": "1", "num": "1", "price": "49.80",
              "amount": "49.80", "timestamp": "1767225600", "cards": ""}
    text = "amount=49.80&num=1&order_no=P1&out_trade_no=t-9&price=49.80&status=1&timestamp=1767225600&key=s3"
    params["sign"] = hashlib.md5(text.encode()).hexdigest().upper()
    assert signature(params, spec.signature, b"s3") == params["sign"]
    supplier = HttpSupplier("classic", spec, b"s3", clock=lambda: datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc))
    body = "&".join(f"{k}={v}" for k, v in params.items()).encode()
    result = supplier.verify_callback(body, {})
    assert (result.status, result.unit_cost, result.supplier_ref) == ("delivered", 4980, "P1")


def test_amounts_convert_exactly_never_through_float():
    assert to_minor("0.29", "yuan") == 29 and to_minor("1234.50", "yuan") == 123_450
    assert to_minor(4950, "fen") == 4950
    with pytest.raises(ValueError):
        to_minor("49.505", "yuan")
    with pytest.raises(ValueError):
        to_minor("49.5", "fen")


def test_the_md5_suffix_must_name_the_secret():
    with pytest.raises(ValidationError) as error:
        SignatureSpec(algorithm="md5", secret_suffix="&key=")
    assert error.value.errors()[0]["loc"] == ("secret_suffix",)


def _errors(data: dict) -> list[tuple]:
    with pytest.raises(ValidationError) as error:
        HttpSupplierSpec.model_validate(data)
    return [e["loc"] for e in error.value.errors()]


def test_a_missing_endpoint_is_named():
    data = spec_data("classic")
    del data["endpoints"]["query"]
    assert ("endpoints", "query") in _errors(data)


def test_a_status_mapped_to_something_we_do_not_know_is_named():
    data = spec_data("nebula")
    data["answer"]["statuses"]["REFUNDED"] = "refunded"
    assert ("answer", "statuses", "REFUNDED") in _errors(data)


def test_an_unknown_refusal_reason_and_an_unknown_field_are_named():
    data = spec_data("classic")
    data["answer"]["refusals"]["3001"] = "too_busy"
    data["endpoints"]["balance"]["currency"] = "CNY"
    assert {("answer", "refusals", "3001"), ("endpoints", "balance", "currency")} <= set(_errors(data))


def test_a_secret_among_the_constant_parameters_is_refused():
    data = spec_data("classic")
    data["params"]["app_secret"] = "do-not-publish-me"
    assert ("params",) in _errors(data)


def test_the_callback_reply_is_what_the_file_says():
    assert HttpSupplierSpec.model_validate(spec_data("classic")).callback_reply == "success"
    assert HttpSupplierSpec.model_validate(spec_data("nebula")).callback_reply == "OK"


def test_a_request_in_another_currency_is_refused_before_anything_is_sent(world):
    platform, supplier, _ = world
    with pytest.raises(SupplierRefused) as refused:
        supplier.place(SupplyRequest("r-usd", "steam-100", 1, 1400, "USD"))
    assert refused.value.reason == "currency" and platform.requests == []


def test_an_answer_about_another_request_is_not_trusted():
    spec = HttpSupplierSpec.model_validate(spec_data("classic"))
    answer = {"code": "0000", "data": {"out_trade_no": "r-other", "status": "1", "num": 0, "price": "1.00"}}
    assert result_from_answer(spec, answer, "r-other").status == "delivered"
    with pytest.raises(SupplierUnavailable):
        result_from_answer(spec, answer, "r-mine")


@pytest.mark.parametrize("world", ["classic"], indirect=True)  # its file names a cancel endpoint
def test_a_top_up_in_progress_is_cancelled_and_a_finished_one_cannot_be(world):
    platform, supplier, _ = world
    supplier.place(top_up("c-1"))
    supplier.place(top_up("c-2"))
    platform.finish("c-2")

    assert supplier.cancel("c-1") is True
    with pytest.raises(SupplierRefused):
        supplier.query("c-1")  # gone there: never delivered
    assert supplier.cancel("c-2") is False
    assert supplier.cancel("never-sent") is True


@pytest.mark.parametrize("world", ["nebula"], indirect=True)  # its file names none
def test_a_platform_without_a_cancel_endpoint_never_says_cancelled(world):
    platform, supplier, _ = world
    supplier.place(top_up("n-1"))
    assert supplier.cancel("n-1") is False
