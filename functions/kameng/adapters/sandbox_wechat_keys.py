"""The WeChat Pay sandbox's identities: the merchant's API key pair, the platform's key pair and id,
the APIv3 key. Made at first run in the data folder (0600) and kept, so a shop restarted keeps
verifying what the sandbox signed before."""
from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

from kameng.adapters.private_files import private_folder
from kameng.adapters.secret_file import load_or_write_text, rsa_key_pair

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
FOLDER = "wechat-sandbox-keys"


@dataclass(frozen=True)
class SandboxKeys:
    mchid: str
    appid: str
    merchant_serial: str
    public_key_id: str
    merchant_private_pem: str = field(repr=False)
    merchant_public_pem: str = field(repr=False)
    platform_private_pem: str = field(repr=False)
    platform_public_pem: str = field(repr=False)
    apiv3_key: str = field(repr=False)
    app_secret: str = field(default="", repr=False)  # the 公众号's AppSecret, for 网页授权's code exchange

    def gateway_args(self) -> dict:
        """What WechatGateway takes to pay against this sandbox."""
        return {"mchid": self.mchid, "appid": self.appid, "cert_serial_no": self.merchant_serial,
                "private_key_pem": self.merchant_private_pem, "apiv3_key": self.apiv3_key,
                "public_key_pem": self.platform_public_pem, "public_key_id": self.public_key_id,
                "app_secret": self.app_secret}


def sandbox_keys(data_dir: Path | str) -> SandboxKeys:
    folder = private_folder(Path(data_dir) / FOLDER)
    merchant_private, merchant_public = rsa_key_pair(folder, "merchant")
    platform_private, platform_public = rsa_key_pair(folder, "platform")
    alphabet = string.ascii_letters + string.digits
    apiv3_key = load_or_write_text(folder / "apiv3_key", lambda: "".join(secrets.choice(alphabet) for _ in range(32)))
    merchant_serial = load_or_write_text(folder / "merchant_serial", lambda: secrets.token_hex(20).upper())
    public_key_id = load_or_write_text(folder / "public_key_id",
                                   lambda: "PUB_KEY_ID_SANDBOX" + secrets.token_hex(10).upper())
    app_secret = load_or_write_text(folder / "app_secret", lambda: secrets.token_hex(16))
    return SandboxKeys(MCHID, APPID, merchant_serial, public_key_id, merchant_private, merchant_public,
                       platform_private, platform_public, apiv3_key, app_secret)








def nonce() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()
