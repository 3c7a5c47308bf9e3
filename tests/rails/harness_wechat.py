"""WeChat Pay API v3: WechatGateway over wechatpayv3, talking over HTTP to WechatSandbox on 127.0.0.1."""
from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

from kameng.adapters.gateway_wechat import WechatGateway
from kameng.adapters.private_files import private_folder, write_private
from kameng.adapters.sandbox_wechat import MOUNT, WechatSandbox
from kameng.adapters.sandbox_wechat_keys import FOLDER, sandbox_keys
from kameng.ports.outside import Notification, PaymentSession, SessionRequest
from tests.rails.harness import Harness

NOTIFY_URL = "https://shop.example/api/webhooks/wechat"
STALE_SECONDS = 600


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@dataclass
class Recorder:
    """Stands in for the shop's webhook: keeps what the sandbox sent, answers `statuses` in turn, then 200."""

    statuses: list[int] = field(default_factory=list)
    sent: list[Notification] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, method: str, url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        with self.lock:
            self.sent.append(Notification(body=body, headers={k.lower(): v for k, v in headers.items()}))
            self.urls.append(url)
            return (self.statuses.pop(0) if self.statuses else 200), b""

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Notification]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.sent)


@dataclass
class WechatWorld:
    sandbox: WechatSandbox
    gateway: WechatGateway
    webhook: Recorder
    base_url: str
    server: WSGIServer

    def pay_page(self, session: PaymentSession, action: str = "paid") -> requests.Response:
        return requests.post(f"{self.base_url}/pay/{session.id}", data={"action": action}, timeout=10)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(app) -> tuple[WSGIServer, str]:
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


_made_keys: dict[str, str] = {}


def _reuse_keys(data_dir: Path) -> None:
    """Lay down the key files made by the first sandbox of the run: a 2048-bit key pair takes a while to make."""
    folder = data_dir / FOLDER
    if _made_keys:
        private_folder(folder)
        for name, text in _made_keys.items():
            write_private(folder / name, text.encode())
        return
    sandbox_keys(data_dir)
    _made_keys.update({path.name: path.read_text() for path in folder.iterdir()})


def make_world(tmp_path: Path, **gateway_args) -> WechatWorld:
    _reuse_keys(tmp_path / "sandbox")
    webhook = Recorder()
    holder: dict = {}
    server, root = serve(lambda environ, start_response: holder["app"](environ, start_response))
    base_url = root + MOUNT
    sandbox = WechatSandbox(tmp_path / "sandbox", base_url, send=webhook)
    holder["app"] = sandbox
    args = {**sandbox.keys.gateway_args(), "gateway_url": base_url, "notify_url": NOTIFY_URL,
            "oauth_urls": (base_url, base_url), "sandbox_pages": base_url, **gateway_args}
    return WechatWorld(sandbox, WechatGateway(**args), webhook, base_url, server)


def reseal(world: WechatWorld, notification: Notification, change) -> bytes:
    """The notification's body with its resource decrypted, changed by `change`, and sealed again."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    envelope = json.loads(notification.body)
    resource = envelope["resource"]
    aes = AESGCM(world.sandbox.keys.apiv3_key.encode())
    clear = json.loads(aes.decrypt(resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]),
                                   resource["associated_data"].encode()))
    change(clear)
    resource["ciphertext"] = base64.b64encode(aes.encrypt(resource["nonce"].encode(), json.dumps(clear).encode(),
                                                          resource["associated_data"].encode())).decode()
    return json.dumps(envelope).encode()


def make_harness(tmp_path: Path) -> Harness:
    world = make_world(tmp_path)

    def pay(session: PaymentSession, request: SessionRequest, amount: int | None) -> Notification:
        before = len(world.webhook.sent)
        if amount is None:
            world.pay_page(session, "paid").raise_for_status()
        else:
            assert world.sandbox.pay(session.id, amount)
        return world.webhook.wait_for(before + 1)[before]

    def forge(notification: Notification) -> Notification:
        signature = notification.headers["wechatpay-signature"]
        broken = ("A" if signature[0] != "A" else "B") + signature[1:]
        return replace(notification, headers={**notification.headers, "wechatpay-signature": broken})

    def unsigned(notification: Notification) -> Notification:
        return replace(notification, headers={k: v for k, v in notification.headers.items()
                                              if k != "wechatpay-signature"})

    def tamper(notification: Notification) -> Notification:
        return replace(notification, body=reseal(world, notification, lambda trade: trade["amount"].update(total=1)))

    def stale(session: PaymentSession, request: SessionRequest) -> Notification:
        sent_at = time.time() - STALE_SECONDS
        resource = {"appid": world.sandbox.keys.appid, "mchid": world.sandbox.keys.mchid, "out_trade_no": session.id,
                    "transaction_id": "4200000000000000000000000001", "trade_type": "NATIVE", "trade_state": "SUCCESS",
                    "amount": {"total": request.total, "currency": "CNY"}}
        body = world.sandbox.notification_body("TRANSACTION.SUCCESS", "transaction", "支付成功", resource, sent_at)
        headers = {k.lower(): v for k, v in world.sandbox.notification_headers(body, sent_at).items()}
        return Notification(body=body, headers=headers)

    return Harness(rail="wechat", gateway=world.gateway, pay=pay, forge=forge, unsigned=unsigned, tamper=tamper,
                   stale=stale, close=world.close)
