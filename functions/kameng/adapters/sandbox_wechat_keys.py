"""The WeChat Pay sandbox's identities: the merchant's API key pair, the platform's key pair and id,
the APIv3 key. Made at first run in the data folder (0600) and kept, so a shop restarted keeps
verifying what the sandbox signed before."""
from __future__ import annotations

import base64
import os
import secrets
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kameng.adapters.private_files import private_folder

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

    def gateway_args(self) -> dict:
        """What WechatGateway takes to pay against this sandbox."""
        return {"mchid": self.mchid, "appid": self.appid, "cert_serial_no": self.merchant_serial,
                "private_key_pem": self.merchant_private_pem, "apiv3_key": self.apiv3_key,
                "public_key_pem": self.platform_public_pem, "public_key_id": self.public_key_id}


def sandbox_keys(data_dir: Path | str) -> SandboxKeys:
    folder = private_folder(Path(data_dir) / FOLDER)
    merchant_private = _load_or_write(folder / "merchant_private.pem", _new_private_pem)
    platform_private = _load_or_write(folder / "platform_private.pem", _new_private_pem)
    alphabet = string.ascii_letters + string.digits
    apiv3_key = _load_or_write(folder / "apiv3_key", lambda: "".join(secrets.choice(alphabet) for _ in range(32)))
    merchant_serial = _load_or_write(folder / "merchant_serial", lambda: secrets.token_hex(20).upper())
    public_key_id = _load_or_write(folder / "public_key_id",
                                   lambda: "PUB_KEY_ID_SANDBOX" + secrets.token_hex(10).upper())
    return SandboxKeys(MCHID, APPID, merchant_serial, public_key_id, merchant_private, _public_pem(merchant_private),
                       platform_private, _public_pem(platform_private), apiv3_key)


def _new_private_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _load_or_write(path: Path, make) -> str:
    if not path.exists():
        # Written whole to a private temp file, then linked into place: of two processes starting
        # together, one value wins and both read it.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w") as file:
                file.write(make())
            try:
                os.link(temp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temp)
    return path.read_text()


def nonce() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()
