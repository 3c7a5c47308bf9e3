"""Key files by presigned S3 upload, under moto: the URL bounds the file, the import streams it back once
and deletes it."""
from __future__ import annotations

import dataclasses
import secrets
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config

from kameng import config, wiring
from kameng.adapters.uploads_s3 import PREFIX, S3Uploads
from kameng.services import owner_stock
from tests.support.owners import make_owner

BUCKET = "kameng-uploads"


@pytest.fixture
def s3_deps(aws, deps):
    client = boto3.client("s3", config=Config(signature_version="s3v4"))
    client.create_bucket(Bucket=BUCKET)
    chosen = dataclasses.replace(deps, uploads=S3Uploads(client, BUCKET))
    wiring.use(chosen)
    yield chosen, client
    wiring.use(deps)


@pytest.fixture
def owner_and_sku(s3_deps, stations, sku_with_keys):
    chosen, _ = s3_deps
    return make_owner(chosen, "owner@shop.example", "station_owner", stations.main), sku_with_keys(2).sku


def key_file(n: int) -> bytes:
    return "".join(f"S3K{secrets.token_hex(8).upper()}\n" for _ in range(n)).encode()


def test_the_presigned_url_signs_the_files_length_and_expires_with_the_ticket(s3_deps, owner_and_sku):
    owner, sku = owner_and_sku
    opened = owner.call("POST", "/api/owner/stock/uploads", {"sku": sku, "filename": "k.txt", "size": 1234}).json
    query = parse_qs(urlsplit(opened["url"]).query)
    assert "content-length" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Expires"] == ["900"]
    assert PREFIX in urlsplit(opened["url"]).path
    assert (opened["method"], opened["headers"]["content-length"]) == ("PUT", "1234")


def test_a_file_put_to_the_presigned_url_is_imported_then_deleted(s3_deps, owner_and_sku):
    chosen, client = s3_deps
    owner, sku = owner_and_sku
    data = key_file(300)
    opened = owner.call("POST", "/api/owner/stock/uploads", {"sku": sku, "filename": "k.txt", "size": len(data)}).json
    assert requests.put(opened["url"], data=data, headers=opened["headers"], timeout=10).status_code == 200

    answer = owner.call("POST", "/api/owner/stock/imports", {"upload_id": opened["upload_id"]})

    assert (answer.status, answer.json["added"]) == (200, 300)
    assert chosen.store.inventory.stock([sku])[sku].available == 302
    assert client.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX).get("KeyCount", 0) == 0
    again = owner.call("POST", "/api/owner/stock/imports", {"upload_id": opened["upload_id"]})
    assert again.code == "upload_used"


def test_an_object_bigger_than_its_ticket_is_refused_and_nothing_imported(s3_deps, owner_and_sku):
    chosen, client = s3_deps
    owner, sku = owner_and_sku
    data = key_file(10)
    opened = owner.call("POST", "/api/owner/stock/uploads", {"sku": sku, "filename": "k.txt", "size": 20}).json
    # moto does not check signatures: put the oversized body the way a forged request would land.
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}{opened['upload_id']}.keys", Body=data)
    answer = owner.call("POST", "/api/owner/stock/imports", {"upload_id": opened["upload_id"]})
    assert (answer.status, answer.code) == (413, "upload_too_large")
    assert chosen.store.inventory.stock([sku])[sku].available == 2


def test_uploads_go_to_s3_when_a_bucket_is_configured(aws, tmp_path):
    chosen = wiring.uploads(config.load({"KAMENG_DATA_DIR": str(tmp_path), "KAMENG_UPLOADS_BUCKET": BUCKET}))
    assert isinstance(chosen, S3Uploads)


def test_the_streamed_lines_keep_multibyte_characters_split_across_pieces():
    text = "卡密一\n卡密二\r\nlast"
    raw = text.encode()
    pieces = [raw[i:i + 1] for i in range(len(raw))]
    assert list(owner_stock.lines_of(pieces)) == ["卡密一\n", "卡密二\r\n", "last"]
