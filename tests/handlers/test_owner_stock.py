"""The console's stock API: counts per station, key files by upload, voided keys and thresholds, each
within the owner's role and station."""
from __future__ import annotations

import io
import json
import secrets
from urllib.parse import urlsplit

import pytest

from kameng.domain.card_key import CardKey
from kameng.local import uploads as local_uploads
from kameng.services import audit, notify
from kameng.services.checkout import CheckoutRequest, place
from kameng.services.import_keys import fingerprint
from tests.support.owners import make_owner


def put_file(target: dict, data: bytes) -> tuple[int, dict]:
    """PUT the file to the local server's upload route as a browser would (in-process, no socket)."""
    url = urlsplit(target["url"])
    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": url.path, "QUERY_STRING": url.query,
               "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data)}
    status, _, body = local_uploads.receive(environ, url.path)
    return status, (json.loads(body) if body else {})


def key_file(n: int) -> tuple[list[str], bytes]:
    codes = [f"UPL{secrets.token_hex(8).upper()}" for _ in range(n)]
    return codes, ("\n".join(codes) + "\n").encode()


@pytest.fixture
def world(deps, stations, sku_with_keys):
    main_only = sku_with_keys(4, substation_price=None, low_stock=2)
    shared = sku_with_keys(6, low_stock=3)
    return {
        "main_only": main_only.sku, "shared": shared.sku, "shared_codes": shared.codes,
        "main_owner": make_owner(deps, "owner@shop.example", "station_owner", stations.main),
        "platform": make_owner(deps, "root@shop.example", "platform_owner", None),
        "main_staff": make_owner(deps, "staff@shop.example", "staff", stations.main),
        "sub_owner": make_owner(deps, "owner@game-zone.example", "station_owner", stations.substation),
        "sub_staff": make_owner(deps, "staff@game-zone.example", "staff", stations.substation),
    }


def upload(owner, sku: str, data: bytes, filename: str = "keys.txt") -> dict:
    opened = owner.call("POST", "/api/owner/stock/uploads", {"sku": sku, "filename": filename, "size": len(data)})
    assert opened.status == 201, opened.body
    return opened.json


# ---------------------------------------------------------------- counts


def test_the_main_owner_sees_every_sku_with_its_four_counts(world):
    answer = world["main_owner"].call("GET", "/api/owner/stations/main/stock")
    rows = {row["sku"]: row for row in answer.json["skus"]}
    assert answer.status == 200 and set(rows) == {world["main_only"], world["shared"]}
    assert {k: rows[world["shared"]][k] for k in ("available", "reserved", "sold", "void", "low_stock", "low")} == {
        "available": 6, "reserved": 0, "sold": 0, "void": 0, "low_stock": 3, "low": False}


def test_a_substation_owner_sees_the_skus_of_their_own_price_book_only(world):
    answer = world["sub_owner"].call("GET", "/api/owner/stations/game-zone/stock")
    assert [row["sku"] for row in answer.json["skus"]] == [world["shared"]]


def test_a_substation_owner_asking_for_the_main_stations_stock_gets_404(world):
    assert world["sub_owner"].call("GET", "/api/owner/stations/main/stock").status == 404


def test_staff_may_not_see_stock(world):
    assert world["sub_staff"].call("GET", "/api/owner/stations/game-zone/stock").status == 403


def test_the_stock_table_exports_as_csv(world):
    answer = world["main_owner"].call("GET", "/api/owner/stations/main/stock", query={"format": "csv"})
    lines = answer.body.lstrip("\ufeff").splitlines()
    assert answer.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("sku,title,available,reserved,sold,void") and len(lines) == 3


# ---------------------------------------------------------------- uploads


def test_an_uploaded_key_file_is_imported_and_counted(deps, world):
    codes, data = key_file(50)
    target = upload(world["main_owner"], world["main_only"], data + b"\n" + codes[0].encode() + b"\nbad key here\n")
    assert put_file(target, data + b"\n" + codes[0].encode() + b"\nbad key here\n")[0] == 200

    answer = world["main_owner"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]})

    assert answer.status == 200, answer.body
    assert (answer.json["added"], answer.json["duplicates"], answer.json["rejected"]) == (50, 1, 1)
    assert deps.store.inventory.stock([world["main_only"]])[world["main_only"]].available == 54
    logged = [e for e in audit.entries(deps) if e.action == "keys.import"][-1]
    assert logged.actor == "owner@shop.example" and logged.after["imported"] == 50
    assert codes[0] not in str(logged.after)


def test_an_upload_is_imported_once(world):
    _, data = key_file(3)
    target = upload(world["platform"], world["main_only"], data)
    put_file(target, data)
    first = world["platform"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]})
    again = world["platform"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]})
    assert (first.status, again.status, again.code) == (200, 409, "upload_used")


def test_another_owners_upload_id_answers_404(world):
    _, data = key_file(3)
    target = upload(world["main_owner"], world["main_only"], data)
    put_file(target, data)
    answer = world["platform"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]})
    assert answer.status == 404
    assert world["main_owner"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]}).status == 200


def test_importing_before_the_file_is_put_says_so_and_can_be_retried(world):
    _, data = key_file(2)
    target = upload(world["main_owner"], world["main_only"], data)
    early = world["main_owner"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]})
    put_file(target, data)
    later = world["main_owner"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]})
    assert (early.status, early.code, later.status, later.json["added"]) == (409, "upload_missing", 200, 2)


def test_a_file_over_20_mb_is_refused_before_any_upload(world):
    answer = world["main_owner"].call("POST", "/api/owner/stock/uploads",
                                      {"sku": world["main_only"], "filename": "k.txt", "size": 20 * 1024 * 1024 + 1})
    assert (answer.status, answer.code) == (413, "upload_too_large")


def test_the_upload_address_takes_no_more_than_the_size_asked_for(world):
    target = upload(world["main_owner"], world["main_only"], b"AAAA1111\n")
    assert put_file(target, b"AAAA1111\nBBBB2222\n")[0] == 413


def test_a_forged_or_expired_upload_address_is_refused(world, clock):
    _, data = key_file(2)
    target = upload(world["main_owner"], world["main_only"], data)
    forged = dict(target, url=target["url"].replace("signature=", "signature=0"))
    assert put_file(forged, data)[0] == 403
    clock.advance(minutes=16)
    assert put_file(target, data)[0] == 403


def test_a_file_that_is_neither_txt_nor_csv_is_refused(world):
    answer = world["main_owner"].call("POST", "/api/owner/stock/uploads",
                                      {"sku": world["main_only"], "filename": "keys.xlsx", "size": 10})
    assert answer.status == 400


def test_a_substation_owner_cannot_import_into_the_main_stations_supply(world):
    answer = world["sub_owner"].call("POST", "/api/owner/stock/uploads",
                                     {"sku": world["shared"], "filename": "k.txt", "size": 10})
    assert answer.status == 404


def test_main_station_staff_may_not_import_keys(world):
    answer = world["main_staff"].call("POST", "/api/owner/stock/uploads",
                                      {"sku": world["shared"], "filename": "k.txt", "size": 10})
    assert answer.status == 403


# ---------------------------------------------------------------- voids


def test_keys_are_voided_by_code_and_reserved_ones_are_reported(deps, world):
    order = place(CheckoutRequest(station="main", sku=world["shared"], quantity=1, email="b@example.com",
                                  query_password="8642"), deps).order
    reserved_id = order.key_ids[0]
    answer = world["main_owner"].call("POST", "/api/owner/stock/void", {
        "sku": world["shared"], "codes": world["shared_codes"][:2] + ["NOSUCHKEY123"], "key_ids": [reserved_id]})
    counted = deps.store.inventory.stock([world["shared"]])[world["shared"]]

    assert answer.status == 200, answer.body
    assert answer.json["held"] == [{"key_id": reserved_id, "status": "reserved"}]
    coded = deps.store.inventory.key_ids_of(
        world["shared"], [fingerprint(CardKey(code), deps) for code in world["shared_codes"][:2]])
    assert set(answer.json["voided"]) == set(coded.values()) - {reserved_id}
    assert "NOSUCHKEY123" not in answer.body and len(answer.json["unknown"]) == 1
    assert counted.void == len(answer.json["voided"]) and counted.reserved == 1
    logged = [e for e in audit.entries(deps) if e.action == "keys.void"][-1]
    assert logged.after["voided"] == counted.void
    assert not any(code in str(logged.after) for code in world["shared_codes"])


def test_staff_may_not_void_keys(world):
    answer = world["main_staff"].call("POST", "/api/owner/stock/void", {"sku": world["shared"],
                                                                        "codes": world["shared_codes"][:1]})
    assert answer.status == 403


def test_a_substation_owner_cannot_void_the_main_stations_keys(world):
    answer = world["sub_owner"].call("POST", "/api/owner/stock/void", {"sku": world["shared"],
                                                                       "codes": world["shared_codes"][:1]})
    assert answer.status == 404


# ---------------------------------------------------------------- thresholds


def test_an_owners_threshold_overrides_the_contents_and_is_audited(deps, world):
    path = "/api/owner/stations/game-zone/stock/thresholds"
    answer = world["sub_owner"].call("POST", path, {"sku": world["shared"], "low_stock": 10})
    listed = world["sub_owner"].call("GET", "/api/owner/stations/game-zone/stock").json["skus"][0]

    assert answer.status == 200
    assert (listed["low_stock"], listed["low_stock_set"], listed["low"]) == (10, True, True)
    logged = [e for e in audit.entries(deps) if e.action == "stock.threshold"][-1]
    assert (logged.station, logged.before, logged.after) == ("game-zone", {"low_stock": None}, {"low_stock": 10})


def test_clearing_a_threshold_falls_back_to_the_contents(world):
    path = "/api/owner/stations/main/stock/thresholds"
    world["main_owner"].call("POST", path, {"sku": world["shared"], "low_stock": 10})
    world["main_owner"].call("POST", path, {"sku": world["shared"], "low_stock": None})
    rows = {r["sku"]: r for r in world["main_owner"].call("GET", "/api/owner/stations/main/stock").json["skus"]}
    assert (rows[world["shared"]]["low_stock"], rows[world["shared"]]["low_stock_set"]) == (3, False)


def test_the_low_stock_alert_uses_the_main_stations_threshold(deps, world):
    world["main_owner"].call("POST", "/api/owner/stations/main/stock/thresholds",
                             {"sku": world["shared"], "low_stock": 20})
    deps.store.inventory.set_low_stock_alert(world["shared"], False)
    assert notify.check_low_stock(world["shared"], 3, deps) is True


def test_a_substations_threshold_neither_raises_nor_silences_the_shops_alert(deps, world):
    # The alert is one per SKU for the whole shop, about the main station's supply: a substation's
    # threshold only marks the SKU low in its own console.
    sent = len(deps.mail.sent())
    answer = world["sub_owner"].call("POST", "/api/owner/stations/game-zone/stock/thresholds",
                                     {"sku": world["shared"], "low_stock": 1_000_000})
    assert answer.status == 200
    rows = {r["sku"]: r for r in world["sub_owner"].call("GET", "/api/owner/stations/game-zone/stock").json["skus"]}
    assert rows[world["shared"]]["low"] is True
    assert len(deps.mail.sent()) == sent
    assert notify.check_low_stock(world["shared"], 3, deps) is False
    assert deps.store.inventory.stock([world["shared"]])[world["shared"]].low_alerted is False


def test_a_station_owner_cannot_set_another_stations_threshold(world):
    answer = world["sub_owner"].call("POST", "/api/owner/stations/main/stock/thresholds",
                                     {"sku": world["shared"], "low_stock": 1})
    assert answer.status == 404


def test_staff_may_not_set_thresholds(world):
    answer = world["sub_staff"].call("POST", "/api/owner/stations/game-zone/stock/thresholds",
                                     {"sku": world["shared"], "low_stock": 1})
    assert answer.status == 403
