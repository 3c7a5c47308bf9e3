"""The whole purchase over HTTP with the DynamoDB store, against moto in server mode.

The local server, the build and the CLI reach DynamoDB only through the
configured endpoint, as they would reach the real service.
"""
from __future__ import annotations

import secrets

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.dynamo_table import FAKE_CREDENTIALS, REGION, create_table
from tests.support.local_shop import free_port, served_shop

STATION, SKU = "game-zone", "qq-coin-10"


@pytest.fixture(scope="module")
def dynamodb_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    create_table(client, "kameng-e2e")
    yield endpoint, client
    server.stop()


@pytest.fixture(scope="module")
def shop(dynamodb_endpoint, tmp_path_factory):
    endpoint, _ = dynamodb_endpoint
    env = {**FAKE_CREDENTIALS, "KAMENG_STORE": "dynamodb", "KAMENG_TABLE": "kameng-e2e",
           "KAMENG_DYNAMODB_ENDPOINT": endpoint}
    with served_shop(tmp_path_factory.mktemp("dynamo-shop"), env) as running:
        yield running


def test_a_purchase_on_the_dynamodb_store_delivers_the_imported_key(shop, dynamodb_endpoint, tmp_path):
    keys = [f"DDB-{secrets.token_hex(6).upper()}" for _ in range(3)]
    shop.import_keys(SKU, keys, tmp_path)
    placed = shop.post("/api/checkout", headers={"Host": shop.host(STATION)}, json={
        "station": STATION, "sku": SKU, "quantity": 2, "email": "ddb@example.com", "query_password": "8888", "rail": "stripe"}).json()

    paid = shop.post(shop.pay_page(placed), data={"action": "pay", "method": "alipay"},
                     headers={"Host": f"localhost:{shop.port}"})
    assert paid.status_code == 303

    token = placed["order_url"].split("#t=", 1)[1]
    order = shop.get(STATION, f"/api/orders/{placed['order_id']}", headers={"Authorization": f"Bearer {token}"}).json()["order"]
    assert order["status"] == "delivered"
    assert {k["code"] for k in order["keys"]} <= set(keys) and len(order["keys"]) == 2

    stock = shop.get(STATION, f"/api/stock?station={STATION}").json()["skus"][SKU]
    assert stock["available"] == 1

    _, client = dynamodb_endpoint
    stored = client.get_item(TableName="kameng-e2e", Key={"pk": {"S": f"ORDER#{placed['order_id']}"}, "sk": {"S": "ORDER"}})
    assert stored["Item"]["status"]["S"] == "delivered"
    # The keys sit in the table sealed: no plain key in any item the order points at.
    assert not any(key in str(stored) for key in keys)


def test_the_price_books_were_published_to_dynamodb_by_the_build(shop, dynamodb_endpoint):
    _, client = dynamodb_endpoint
    book = client.get_item(TableName="kameng-e2e", Key={"pk": {"S": f"STATION#{STATION}"}, "sk": {"S": "PRICEBOOK"}})
    assert "Item" in book
