"""Tencent Cloud FaceID's IdCardVerification, spoken to by a local server that answers in its documented format."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from kameng.adapters.real_name_tencent import TencentRealNameCheck, canonical_request, signature, string_to_sign
from kameng.domain.real_name import Verdict

SECRET_ID = "AKIDexampleexampleexample1234"
SECRET_KEY = "exampleSecretKeyForTheFakeServer"
NOW = 1765000000

# The worked example of Tencent Cloud's API 3.0 signing guide (CVM DescribeInstances, 2019-02-25).
DOC_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'


def test_the_signer_reproduces_the_worked_example_of_tencent_clouds_guide():
    canonical = canonical_request("cvm.tencentcloudapi.com", DOC_PAYLOAD)
    assert canonical.endswith("\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    assert string_to_sign(1551113065, "cvm", canonical) == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    assert signature("Gu5t9xGARNpq86cd98joQYCN3*******", 1551113065, "cvm", canonical) == (
        "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")


class FakeFaceId:
    """Checks each request's TC3 signature as Tencent Cloud does, then answers what the test set."""

    def __init__(self) -> None:
        self.answer: dict = {}
        self.delay = 0.0
        self.requests: list[dict] = []

    def check(self, headers, body: bytes) -> dict | None:
        timestamp = int(headers["X-TC-Timestamp"])
        day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
        key = b"TC3" + SECRET_KEY.encode()
        for part in (day, "faceid", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        canonical = "\n".join(("POST", "/", "", f"content-type:{headers['Content-Type']}\nhost:{headers['Host']}\n",
                               "content-type;host", hashlib.sha256(body).hexdigest()))
        to_sign = "\n".join(("TC3-HMAC-SHA256", str(timestamp), f"{day}/faceid/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()))
        expected = (f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{day}/faceid/tc3_request, SignedHeaders=content-type;host, "
                    f"Signature={hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()}")
        if headers["Authorization"] != expected or headers["X-TC-Action"] != "IdCardVerification" \
                or headers["X-TC-Version"] != "2018-03-01":
            return {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "签名错误"},
                                 "RequestId": "r-0"}}
        return None


@pytest.fixture
def faceid() -> Iterator[tuple[FakeFaceId, str]]:
    fake = FakeFaceId()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
            time.sleep(fake.delay)
            answer = fake.check(self.headers, body) or fake.answer
            data = json.dumps(answer, ensure_ascii=False).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def check(endpoint: str, timeout: float = 5.0, secret_key: str = SECRET_KEY) -> TencentRealNameCheck:
    return TencentRealNameCheck(SECRET_ID, secret_key, endpoint=endpoint, timeout=timeout, clock=lambda: NOW)


def result(code: str, description: str) -> dict:
    return {"Response": {"Result": code, "Description": description, "RequestId": "94b54cdf-d975-4718-b091-32f8d79d6397"}}


def test_a_matching_name_and_number_are_sent_signed_and_answer_matched(faceid):
    fake, endpoint = faceid
    fake.answer = result("0", "姓名和身份证号一致")
    assert check(endpoint).verify("张三", "11010519491231002X").verdict is Verdict.MATCHED
    assert fake.requests[0]["body"] == {"IdCard": "11010519491231002X", "Name": "张三"}


def test_result_minus_one_is_a_mismatch(faceid):
    fake, endpoint = faceid
    fake.answer = result("-1", "姓名和身份证号不一致")
    assert check(endpoint).verify("张三", "110101199003070070").verdict is Verdict.MISMATCHED


@pytest.mark.parametrize("code, verdict", [("-2", Verdict.INVALID), ("-3", Verdict.INVALID), ("-5", Verdict.INVALID),
                                           ("-4", Verdict.UNAVAILABLE), ("-6", Verdict.UNAVAILABLE),
                                           ("-7", Verdict.UNAVAILABLE), ("9", Verdict.UNAVAILABLE)])
def test_the_other_result_codes_are_the_shoppers_to_correct_or_to_try_later(faceid, code, verdict):
    fake, endpoint = faceid
    fake.answer = result(code, "证件库中无此身份证记录" if code == "-5" else "其他")
    answered = check(endpoint).verify("张三", "11010519491231002X")
    assert answered.verdict is verdict
    if code == "-5":
        assert answered.reason == "证件库中无此身份证记录"


def test_a_wrong_secret_key_meets_tencents_error_and_is_unavailable_not_a_mismatch(faceid):
    fake, endpoint = faceid
    fake.answer = result("-1", "姓名和身份证号不一致")
    answered = check(endpoint, secret_key="not-the-key-at-all-xxxxxxxx").verify("张三", "11010519491231002X")
    assert (answered.verdict, answered.reason) == (Verdict.UNAVAILABLE, "AuthFailure.SignatureFailure")


def test_a_provider_that_does_not_answer_in_time_is_unavailable(faceid):
    fake, endpoint = faceid
    fake.answer, fake.delay = result("0", "姓名和身份证号一致"), 1.0
    assert check(endpoint, timeout=0.2).verify("张三", "11010519491231002X").verdict is Verdict.UNAVAILABLE


def test_a_provider_that_cannot_be_reached_is_unavailable():
    assert check("http://127.0.0.1:9", timeout=1.0).verify("张三", "11010519491231002X").verdict is Verdict.UNAVAILABLE
