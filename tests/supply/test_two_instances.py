"""Two Kameng shops on one machine: the upstream sells its keys wholesale to the downstream (货源对接),
which reaches it through KamengSupplier over HTTP, signed both ways."""
from __future__ import annotations

import dataclasses
import json
import re
import secrets

import pytest

from kameng import wiring
from kameng.adapters.supplier_directory import SupplierDirectory
from kameng.adapters.supplier_kameng import KamengSupplier
from kameng.domain.fulfilment import SupplyOffer
from kameng.domain.order import OrderStatus
from kameng.domain.price_book import PricedSku
from kameng.domain.errors import SupplierRefused, SupplierUnavailable
from kameng.domain.supply import SupplierSource, SupplyRequest
from kameng.services.checkout import CheckoutRequest, place
from kameng.services.lookup import open_key
from tests.support.local_shop import served_shop

pytestmark = pytest.mark.slow
SKU, WHOLESALE = "qq-coin-10", 960  # content/main/products/qq-coin.md


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    with served_shop(tmp_path_factory.mktemp("upstream")) as upstream, \
            served_shop(tmp_path_factory.mktemp("downstream")) as downstream:
        yield upstream, downstream


@pytest.fixture(scope="module")
def account(shops, tmp_path_factory):
    """A reseller of the upstream, added and topped up with its CLI, and the keys it may buy."""
    upstream, _ = shops
    codes = [f"UP-{secrets.token_hex(6).upper()}" for _ in range(6)]
    upstream.import_keys(SKU, codes, tmp_path_factory.mktemp("keys"))
    added = upstream.kameng("resellers", "add", "下游卡盟", "--credit-limit", "0.00")
    assert added.returncode == 0, added.stderr
    reseller_id = re.search(r"^reseller id: (\S+)$", added.stdout, re.MULTILINE).group(1)
    secret = re.search(r"^secret: +(\S+)$", added.stdout, re.MULTILINE).group(1)
    topped = upstream.kameng("resellers", "top-up", reseller_id, "50.00", "--reference", "bank-1")
    assert topped.returncode == 0, topped.stderr
    return reseller_id, secret.encode(), codes


def supplier(shop, reseller_id: str, secret: bytes) -> KamengSupplier:
    return KamengSupplier("upstream", shop.base, reseller_id, secret, timeout=20)


def test_the_downstream_buys_keys_once_per_request_id(shops, account):
    upstream, _ = shops
    reseller_id, secret, codes = account
    upstream_supplier = supplier(upstream, reseller_id, secret)
    request = SupplyRequest("down-order-1", SKU, 2, max_unit_cost=1000, currency="CNY")

    first = upstream_supplier.place(request)
    again = upstream_supplier.place(request)
    queried = upstream_supplier.query("down-order-1")

    assert first.status == "delivered"
    assert {key.code for key in first.keys} <= set(codes) and first.quantity_delivered == 2
    assert first.keys == again.keys == queried.keys
    assert first.unit_cost == WHOLESALE
    assert upstream_supplier.balance() == 5000 - 2 * WHOLESALE


def test_the_price_and_stock_feed_match_the_upstreams_own_stock(shops, account):
    upstream, _ = shops
    reseller_id, secret, _ = account
    offers = {offer.product_code: offer for offer in supplier(upstream, reseller_id, secret).catalogue()}
    listed = upstream.kameng("stock", "--json")
    assert listed.returncode == 0, listed.stderr
    own = next(row for row in json.loads(listed.stdout)["skus"] if row["sku"] == SKU)

    assert offers[SKU].unit_cost == WHOLESALE
    assert offers[SKU].stock == own["available"] > 0


def test_a_forged_secret_is_refused_and_buys_nothing(shops, account):
    upstream, _ = shops
    reseller_id, secret, _ = account
    before = supplier(upstream, reseller_id, secret).balance()
    forged = supplier(upstream, reseller_id, b"kws_" + b"x" * 43)

    with pytest.raises(SupplierRefused) as refused:
        forged.place(SupplyRequest("forged-1", SKU, 1, max_unit_cost=1000, currency="CNY"))

    assert refused.value.reason == "bad_signature"
    assert supplier(upstream, reseller_id, secret).balance() == before


def test_an_answer_from_a_shop_that_does_not_hold_the_secret_is_not_believed(shops, account):
    """The downstream shop knows no such reseller: its unsigned refusal is a 401 (refused), and a
    request id it never took is never read as delivered."""
    _, downstream = shops
    reseller_id, secret, _ = account
    elsewhere = supplier(downstream, reseller_id, secret)
    with pytest.raises(SupplierRefused) as refused:
        elsewhere.query("down-order-1")
    assert refused.value.reason == "unknown_reseller"


def test_an_upstream_that_does_not_answer_is_unavailable(account):
    reseller_id, secret, _ = account
    with pytest.raises(SupplierUnavailable):
        KamengSupplier("gone", "http://127.0.0.1:9", reseller_id, secret, timeout=2).balance()


def test_a_downstream_shops_order_is_routed_to_its_upstream_and_delivered_with_its_keys(shops, account, deps, stations):
    """The downstream shop here runs in this process; its SKU names the upstream (kind kameng) as supplier."""
    upstream, _ = shops
    reseller_id, secret, codes = account
    source = SupplierSource(name="upstream-shop", kind="kameng", settings={"url": upstream.base, "reseller": reseller_id})
    resold = PricedSku(sku="qq-coin-10-resold", product="qq-coin", title="Q 币 10 (货源对接)", price=1100,
                       wholesale=1000, min_quantity=1, max_quantity=5, low_stock=0,
                       supply=(SupplyOffer(supplier="upstream-shop", product=SKU, cost=WHOLESALE),))
    stations.add(resold, 1150)
    main = deps.store.price_books.price_book(stations.main)
    deps.store.price_books.put_price_book(main.model_copy(update={"suppliers": {"upstream-shop": source}}))
    directory = SupplierDirectory(lambda: {"upstream-shop": source},
                                  environ={"KAMENG_SUPPLIER_UPSTREAM_SHOP_SECRET": secret.decode()})
    downstream = dataclasses.replace(deps, suppliers=directory)
    wiring.use(downstream)

    order = place(CheckoutRequest(station=stations.substation, sku=resold.sku, quantity=1, email="buyer@example.com",
                                  query_password="8642"), downstream).order
    downstream.gateway.pay(downstream.store.orders.order(order.id).payment_session, "card")

    delivered = downstream.store.orders.order(order.id)
    assert delivered.status is OrderStatus.DELIVERED
    [key] = downstream.store.inventory.sealed_keys(delivered)
    assert open_key(key, downstream).code in codes
    batch = downstream.store.key_batches.batch(key.batch_id)
    assert (batch.supplier, batch.cost_per_key) == ("upstream-shop", WHOLESALE)
