"""AWS under moto: no network, no credentials, the same boto3 calls the adapters make in production."""
from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from kameng import wiring
from kameng.sitegen import build

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch) -> Iterator[None]:
    # Fake credentials, so nothing on the machine is ever read or used.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield



@pytest.fixture
def publish_bucket(aws, tmp_path, monkeypatch):
    """The bucket `kameng publish` writes to in these tests, with the CLI's data folder in the test's own."""
    monkeypatch.setenv("KAMENG_DATA_DIR", str(tmp_path / "var"))
    wiring.use(None)
    client = boto3.client("s3")
    client.create_bucket(Bucket="sites")
    yield client
    wiring.use(None)

class Calls:
    """AWS operations in the order the client made them, recorded with their API parameters
    by botocore's before-parameter-build hook."""

    def __init__(self) -> None:
        self.log: list[tuple[str, dict]] = []

    def watch(self, client, *operations: str) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        for operation in operations:
            client.meta.events.register(f"before-parameter-build.{service}.{operation}", self._recorder(operation))

    def _recorder(self, operation: str):
        def record(params, **kwargs):
            self.log.append((operation, params))
        return record

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.log if name == operation)

    def clear(self) -> None:
        self.log.clear()


@pytest.fixture
def calls() -> Calls:
    return Calls()


# ---------------------------------------------------------------- KMS


@pytest.fixture
def kms(aws):
    return boto3.client("kms", region_name=REGION)


@pytest.fixture
def kms_key(kms) -> str:
    key_id = kms.create_key(Description="kameng card keys")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/kameng-card-keys", TargetKeyId=key_id)
    return key_id


# ---------------------------------------------------------------- S3 + CloudFront


BUCKET = "kameng-site"


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def cloudfront(aws):
    return boto3.client("cloudfront", region_name=REGION)


@pytest.fixture
def distribution_id(cloudfront) -> str:
    origin = f"{BUCKET}.s3.{REGION}.amazonaws.com"
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "kameng stations",
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["shop.kameng.example"]},
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "site", "DomainName": origin, "OriginPath": "/main",
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        },
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The demo content, built once per session (without publishing price books)."""
    out = tmp_path_factory.mktemp("built") / "site"
    build(REPO / "content", out, REPO / "templates")
    return out


@pytest.fixture
def site(built_site, tmp_path) -> Path:
    """A copy of the build this test may edit."""
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    return copy


@pytest.fixture
def content_bucket(aws):
    """The repository's content/ in a content bucket (under content/), and an empty bucket for the sites."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="content")
    s3.create_bucket(Bucket="sites")
    for path in (REPO / "content").rglob("*"):
        if path.is_file():
            s3.put_object(Bucket="content", Key="content/" + path.relative_to(REPO / "content").as_posix(),
                          Body=path.read_bytes())
    return s3
