"""The owners' second factor: a TOTP secret (RFC 6238, 30-second steps, 6 digits) as authenticator apps
read it, and the check of a typed code that refuses a code's second use."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from kameng.domain.errors import InvalidSignIn

STEP_SECONDS = 30
DIGITS = 6
# A code from the step before or after still counts: phones' clocks drift, and people type slowly.
DRIFT_STEPS = 1
ISSUER = "Kameng"


class InvalidCode(InvalidSignIn):
    """A code that is not the owner's current one, or was accepted once already."""

    code = "invalid_code"


@dataclass(frozen=True)
class SecondFactor:
    """As the store keeps it: the secret sealed by the cipher, whether a code has confirmed it, and the last
    step whose code was accepted (each step's code works once)."""

    owner_id: str
    sealed_secret: bytes
    confirmed: bool = False
    last_step: int = 0


def _pyotp():
    # Imported when a code is made or checked: the store's adapters name SecondFactor in every function,
    # and only sign-ins need the library.
    import pyotp

    return pyotp


def new_secret() -> str:
    return _pyotp().random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// link an authenticator app scans from the QR code."""
    return _pyotp().TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is, within the allowed drift of `now`; None when it is no such code."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = _pyotp().TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None
