"""The Alipay sandbox's identities: the app's key pair and the sandbox's own (standing for Alipay's), made at
first run in the data folder (0600) and kept; apart from the sandbox, so that the shop's side loads only these."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kameng.adapters.private_files import private_folder
from kameng.adapters.secret_file import rsa_key_pair

SANDBOX_APP_ID = "2021000100000001"
KEY_FOLDER = "alipay-sandbox"


@dataclass(frozen=True)
class SandboxKeys:
    app_private: str
    app_public: str
    alipay_private: str
    alipay_public: str


def sandbox_keys(data_dir: Path | str) -> SandboxKeys:
    """The app's and the sandbox's RSA 2048 key pairs, made at first run and kept with mode 0600."""
    folder = private_folder(Path(data_dir) / KEY_FOLDER)
    return SandboxKeys(*rsa_key_pair(folder, "app"), *rsa_key_pair(folder, "alipay"))
