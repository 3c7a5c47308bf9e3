"""A key file of 100,000 keys through the local path, as the console sends it: the upload address from the
API, an HTTP PUT to the local server on 127.0.0.1, then the import."""
from __future__ import annotations

import secrets
import threading
from urllib.parse import urlsplit

import pytest
import requests
import waitress

from kameng.local.server import LocalServer
from tests.support.owners import make_owner


@pytest.fixture
def local_server(deps, tmp_path):
    (tmp_path / "site").mkdir()
    server = waitress.create_server(LocalServer(tmp_path / "site", lambda: deps.gateway, 0), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


def test_a_hundred_thousand_keys_are_uploaded_over_http_and_imported(deps, data_dir, stations, sku_with_keys,
                                                                      local_server):
    sku = sku_with_keys(1, substation_price=None).sku
    owner = make_owner(deps, "owner@shop.example", "station_owner", stations.main)
    data = "".join(f"BULK{secrets.token_hex(10).upper()}\n" for _ in range(100_000)).encode()
    opened = owner.call("POST", "/api/owner/stock/uploads", {"sku": sku, "filename": "bulk.txt", "size": len(data)})
    address = urlsplit(opened.json["url"])

    put = requests.put(f"{local_server}{address.path}?{address.query}", data=data, headers=opened.json["headers"],
                       timeout=60)
    imported = owner.call("POST", "/api/owner/stock/imports", {"upload_id": opened.json["upload_id"]})

    assert put.status_code == 200, put.text
    assert (imported.status, imported.json["added"], imported.json["duplicates"]) == (200, 100_000, 0)
    counted = deps.store.inventory.stock([sku])[sku]
    assert (counted.available, counted.imported) == (100_001, 100_001)
    assert not list((data_dir / "uploads").glob(f"{opened.json['upload_id']}.*"))


def test_the_local_server_refuses_a_put_to_an_address_it_did_not_sign(deps, local_server):
    answer = requests.put(f"{local_server}/_uploads/01JABCDEFGHJKMNPQRSTVWXYZ0?expires=9999999999&size=5&signature=00",
                          data=b"hello", timeout=10)
    assert answer.status_code == 403
