"""No secret is ever in infra/: Stripe keys and the hash key live in Secrets Manager only."""
from __future__ import annotations

import re

import pytest

from tests.infra.conftest import INFRA

SECRET_LOOKING = [
    re.compile(r"\b[sr]k_(live|test)_[A-Za-z0-9]{8,}"),  # Stripe secret and restricted keys
    re.compile(r"\bwhsec_[A-Za-z0-9]{8,}"),  # Stripe webhook signing secrets
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]
# A base64 blob of 32+ characters: a key such as KAMENG_HASH_KEY (openssl rand -base64 32).
# Paths and words use the same alphabet, so a blob must also mix digits, upper and lower case.
BLOB = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{32,}={0,2}(?![A-Za-z0-9+/=_-])")


def secret_looking(text: str) -> list[str]:
    found = [m.group(0) for pattern in SECRET_LOOKING for m in pattern.finditer(text)]
    for match in BLOB.finditer(text):
        blob = match.group(0)
        if re.search(r"[0-9]", blob) and re.search(r"[A-Z]", blob) and re.search(r"[a-z]", blob):
            found.append(blob)
    return found


def infra_files() -> list:
    return sorted(p for p in INFRA.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", infra_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_no_file_in_infra_holds_a_secret(path):
    assert secret_looking(path.read_text(encoding="utf-8", errors="replace")) == []


@pytest.mark.parametrize("sample", [
    "STRIPE_SECRET_KEY: sk_live_51H8exampleexampleexample",
    "key: rk_test_51H8exampleexample",
    "whsec_4Rj0exampleexampleexample",
    "KAMENG_HASH_KEY=q3T0cB9vWm8xZ1yN4pL7rK2sD6fG5hJ0aQeRtYuIoP8=",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
])
def test_the_scan_finds_what_it_looks_for(sample):
    assert secret_looking(sample)


@pytest.mark.parametrize("sample", [
    "CodeUri: ../functions/kameng/handlers/checkout",
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions.html",
    "CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6",
    "SecretsArn: arn:aws:secretsmanager:ap-east-1:111122223333:secret:kameng/prod-AbC123",
])
def test_the_scan_leaves_ordinary_text_alone(sample):
    assert secret_looking(sample) == []
