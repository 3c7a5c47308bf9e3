"""Alipay's RSA2: SHA256withRSA (PKCS#1 v1.5) over the sorted `key=value` pairs, base64.

The notification is checked here with `cryptography` rather than through python-alipay-sdk: the webhook
function then never loads the SDK (and its own crypto library) for a notification, only for a call to Alipay.
The sandbox signs with the same functions, so what it sends is what the check reads.
"""
from __future__ import annotations

import base64
from typing import Iterable

# What the signature covers: every parameter but these.
UNSIGNED = ("sign", "sign_type")


def signed_text(params: dict[str, str], leave_out: Iterable[str] = UNSIGNED) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in leave_out)


def load_public_key(key: str | bytes):
    """A PEM text, or the bare base64 (DER) Alipay's key tool hands out; ValueError for anything else."""
    from cryptography.hazmat.primitives import serialization

    if isinstance(key, str):
        return serialization.load_pem_public_key(key.encode())
    return serialization.load_der_public_key(key)


def rsa2_sign(private_key, text: str) -> str:
    """`private_key`: a loaded key, or a PEM text."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = private_key
    if isinstance(private_key, str):
        key = serialization.load_pem_private_key(private_key.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(public_key, text: str, signature: str) -> bool:
    """`public_key`: a loaded key (load_public_key) or a PEM text."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    try:
        key.verify(base64.b64decode(signature, validate=True), text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True
