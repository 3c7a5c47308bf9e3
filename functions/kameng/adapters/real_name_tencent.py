"""Tencent Cloud FaceID's 身份证二要素核验 (IdCardVerification, API 3.0, version 2018-03-01).

A JSON POST to faceid.tencentcloudapi.com signed with TC3-HMAC-SHA256; the answer is
{"Response": {"Result": "0", "Description": …, "RequestId": …}} or {"Response": {"Error": {"Code", "Message"}}}.
Result codes: 0 match and -1 mismatch (both charged); -2 bad number, -3 bad name, -5 no such card (not charged,
the shopper's to correct); -4 registry failure, -6 upgrade, -7 over the day's limit (not charged, try later).
Nothing sent or received is logged: it is a person's identity.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urlsplit

from kameng.domain.real_name import Verdict, Verification

ENDPOINT = "https://faceid.tencentcloudapi.com"
SERVICE = "faceid"
ACTION = "IdCardVerification"
VERSION = "2018-03-01"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
# A shopper waits on the account page for this: past it the answer is "try later", never a hang.
TIMEOUT_SECONDS = 8.0
REFUSED = {"-2": "身份证号不合法", "-3": "姓名不合法", "-5": "证件库中无此身份证记录"}


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def canonical_request(host: str, payload: bytes, content_type: str = CONTENT_TYPE) -> str:
    return "\n".join(("POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
                      hashlib.sha256(payload).hexdigest()))


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    return "\n".join((ALGORITHM, str(timestamp), f"{day}/{service}/tc3_request",
                      hashlib.sha256(canonical.encode("utf-8")).hexdigest()))


def signature(secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    signing_key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), day), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign(timestamp, service, canonical).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    return (f"{ALGORITHM} Credential={secret_id}/{day}/{service}/tc3_request, SignedHeaders=content-type;host, "
            f"Signature={signature(secret_key, timestamp, service, canonical)}")


def verdict_of(answer: dict) -> Verification:
    response = answer.get("Response") if isinstance(answer, dict) else None
    if not isinstance(response, dict):
        return Verification(Verdict.UNAVAILABLE, "unreadable answer")
    if isinstance(response.get("Error"), dict):
        # An API error (credentials, quota, a fault of theirs) is the shop's to fix, never the shopper's.
        return Verification(Verdict.UNAVAILABLE, str(response["Error"].get("Code", "error")))
    result = str(response.get("Result", ""))
    description = str(response.get("Description", ""))
    if result == "0":
        return Verification(Verdict.MATCHED, description)
    if result == "-1":
        return Verification(Verdict.MISMATCHED, description)
    if result in REFUSED:
        return Verification(Verdict.INVALID, description or REFUSED[result])
    return Verification(Verdict.UNAVAILABLE, f"Result {result}: {description}")


class TencentRealNameCheck:
    def __init__(self, secret_id: str, secret_key: str, endpoint: str = ENDPOINT,
                 timeout: float = TIMEOUT_SECONDS, clock: Callable[[], float] = time.time):
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._endpoint = endpoint.rstrip("/") + "/"
        self._host = urlsplit(endpoint).netloc
        self._timeout = timeout
        self._clock = clock

    def __repr__(self) -> str:
        return f"TencentRealNameCheck({self._endpoint!r})"

    def verify(self, name: str, id_number: str) -> Verification:
        payload = json.dumps({"IdCard": id_number, "Name": name}, ensure_ascii=False).encode("utf-8")
        timestamp = int(self._clock())
        headers = {
            "Authorization": authorization(self._secret_id, self._secret_key, timestamp, SERVICE,
                                           canonical_request(self._host, payload)),
            "Content-Type": CONTENT_TYPE, "Host": self._host, "X-TC-Action": ACTION,
            "X-TC-Version": VERSION, "X-TC-Timestamp": str(timestamp),
        }
        request = urllib.request.Request(self._endpoint, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            return Verification(Verdict.UNAVAILABLE, f"HTTP {error.code}")
        except (urllib.error.URLError, socket.timeout, TimeoutError, OSError, ValueError) as error:
            return Verification(Verdict.UNAVAILABLE, type(error).__name__)
        return verdict_of(answer)
