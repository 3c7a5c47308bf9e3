"""`kameng remote` against the real local server: only a console URL and an owner token, never the data folder.

The owners and their tokens are made with the local `kameng owners` commands (the store's credentials);
every `kameng remote` runs as a subprocess whose environment holds no KAMENG_DATA_DIR, so whatever it
shows came over the owner API, scoped by the token's owner.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
from dataclasses import dataclass

import pytest

from tests.support.local_shop import REPO, Shop, served_shop

STATION, OTHER, SKU = "game-zone", "main", "qq-coin-10"


@pytest.fixture(autouse=True)
def _cli_tests_cannot_open_a_socket():
    # This module talks to a real local server over 127.0.0.1, by design: the no-network guard is off.
    yield


@dataclass
class World:
    shop: Shop
    order_id: str
    tokens: dict[str, str]


def _issue(shop: Shop, email: str, role: str, station: str | None) -> str:
    added = shop.kameng("owners", "add", email, "--role", role, *(["--station", station] if station else []))
    assert added.returncode == 0, added.stderr
    issued = shop.kameng("owners", "token", email, "--label", "remote test")
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.splitlines()[0].strip()


def _place_paid_order(shop: Shop) -> str:
    body = {"station": STATION, "sku": SKU, "quantity": 1, "email": "player@example.com", "query_password": "8888", "rail": "stripe"}
    placed = shop.post("/api/checkout", json=body, headers={"Host": shop.host(STATION)})
    assert placed.status_code == 201, placed.text
    paid = shop.post(shop.pay_page(placed.json()), data={"action": "pay", "method": "card"},
                     headers={"Host": f"localhost:{shop.port}"})
    assert paid.status_code < 400, paid.text
    return placed.json()["order_id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("remote")
    with served_shop(tmp) as shop:
        shop.import_keys(SKU, [f"REMOTE-{secrets.token_hex(6).upper()}" for _ in range(3)], tmp)
        order_id = _place_paid_order(shop)
        tokens = {"boss": _issue(shop, "boss@example.com", "platform_owner", None),
                  "zhang": _issue(shop, "zhang@example.com", "station_owner", STATION),
                  "li": _issue(shop, "li@example.com", "staff", STATION),
                  "gone": _issue(shop, "gone@example.com", "station_owner", STATION)}
        yield World(shop, order_id, tokens)


@dataclass
class Ran:
    code: int
    out: str
    err: str


def remote(world: World, who: str | None, *args: str, url: str | None = None, extra_env: dict | None = None) -> Ran:
    """`kameng remote ARGS` with only the console's URL and a token: no data folder, no store credentials."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("KAMENG_") and name.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["KAMENG_CONSOLE_URL"] = url or world.shop.base
    if who is not None:
        env["KAMENG_OWNER_TOKEN"] = world.tokens[who]
    env.update(extra_env or {})
    done = subprocess.run([str(REPO / ".venv/bin/kameng"), "remote", *args], env=env, cwd=REPO / "tests",
                          capture_output=True, text=True, timeout=60)
    for token in world.tokens.values():
        assert token not in done.stdout and token not in done.stderr, "an owner token was printed"
    return Ran(done.returncode, done.stdout, done.stderr)


def test_whoami_names_the_tokens_owner_and_station(world):
    ran = remote(world, "zhang", "whoami")
    assert ran.code == 0, ran.err
    assert "zhang@example.com" in ran.out and "station_owner" in ran.out and STATION in ran.out
    as_json = json.loads(remote(world, "zhang", "whoami", "--json").out)
    assert as_json["email"] == "zhang@example.com" and as_json["stations"] == [STATION]


def test_a_token_file_signs_in_as_the_variable_does(world, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(world.tokens["li"] + "\n")
    token_file.chmod(0o600)
    ran = remote(world, None, "whoami", "--token-file", str(token_file))
    assert ran.code == 0, ran.err
    assert "li@example.com" in ran.out and "staff" in ran.out


def test_a_station_owner_lists_their_orders_and_stock(world):
    orders = remote(world, "zhang", "orders", STATION)
    assert orders.code == 0, orders.err
    assert world.order_id in orders.out and "p***r@example.com" in orders.out
    exported = remote(world, "zhang", "orders", STATION, "--csv", "-")
    assert exported.code == 0, exported.err
    assert exported.out.startswith("id,created_at,") and world.order_id in exported.out
    stock = remote(world, "zhang", "stock", STATION, "--json")
    assert stock.code == 0, stock.err
    assert SKU in {row["sku"] for row in json.loads(stock.out)["skus"]}
    assert SKU in remote(world, "zhang", "stock", STATION).out


def test_another_stations_records_answer_not_found(world):
    ran = remote(world, "zhang", "orders", OTHER)
    assert ran.code == 1
    assert ran.err.startswith("kameng: not_found: ") and ran.out == ""


def test_staff_may_not_refund(world):
    ran = remote(world, "li", "refund", world.order_id, "--reason", "key did not work")
    assert ran.code == 1
    assert ran.err.startswith("kameng: forbidden: ")
    order = json.loads(remote(world, "zhang", "order", world.order_id, "--json").out)["order"]
    assert order["status"] != "refunded"


def test_import_keys_goes_through_the_upload_and_prints_the_counts(world, tmp_path):
    keys = [f"UPLOAD-{n:05d}-{secrets.token_hex(4).upper()}" for n in range(3000)]
    path = tmp_path / "keys.txt"
    path.write_text("\n".join(keys + keys[:2]) + "\n")
    before = _available(world)
    ran = remote(world, "boss", "import-keys", str(path), "--sku", SKU)
    assert ran.code == 0, ran.err
    assert "imported 3000, duplicates 2, malformed 0" in ran.out
    assert _available(world) == before + 3000
    again = remote(world, "boss", "import-keys", str(path), "--sku", SKU, "--json")
    assert json.loads(again.out) | {"upload_id": None, "batch_id": None} == {
        "upload_id": None, "batch_id": None, "sku": SKU, "added": 0, "duplicates": 3002, "rejected": 0, "rejected_lines": []}


def _available(world: World) -> int:
    listing = json.loads(remote(world, "boss", "stock", OTHER, "--json").out)
    return next(row["available"] for row in listing["skus"] if row["sku"] == SKU)


def test_a_revoked_token_is_refused_naming_the_cause(world):
    revoked = world.shop.kameng("owners", "revoke", world.tokens["gone"])
    assert revoked.returncode == 0, revoked.stderr
    ran = remote(world, "gone", "whoami")
    assert ran.code == 1
    assert ran.err.startswith("kameng: invalid_owner_token: ") and "revoked" in ran.err


def test_plain_http_to_another_host_is_refused_before_any_request(world):
    # Every http request would go through this "proxy": it hears nothing when the URL is refused first.
    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen(1)
        proxy.setblocking(False)
        address = f"http://127.0.0.1:{proxy.getsockname()[1]}"
        ran = remote(world, "zhang", "whoami", url="http://console.shop.example.com",
                     extra_env={"HTTP_PROXY": address, "http_proxy": address, "NO_PROXY": ""})
        with pytest.raises(BlockingIOError):
            proxy.accept()
    assert ran.code == 2
    assert "KAMENG_CONSOLE_URL" in ran.err and "https://" in ran.err


def test_an_unreachable_console_names_where_it_tried(world):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    ran = remote(world, "zhang", "whoami", url=f"http://127.0.0.1:{port}")
    assert ran.code == 1
    assert f"http://127.0.0.1:{port}/api/owner" in ran.err and "KAMENG_CONSOLE_URL" in ran.err


def test_a_missing_token_is_a_usage_mistake(world):
    ran = remote(world, None, "whoami")
    assert ran.code == 2 and "KAMENG_OWNER_TOKEN" in ran.err


def test_staff_may_not_approve_a_held_order_and_an_owner_approving_one_not_held_changes_nothing(world):
    ran = remote(world, "li", "approve", world.order_id)
    assert ran.code == 1 and ran.err.startswith("kameng: forbidden: ")
    approved = remote(world, "zhang", "approve", world.order_id)
    assert approved.code == 0, approved.err
    assert approved.out.strip() == f"order {world.order_id} is delivered"
