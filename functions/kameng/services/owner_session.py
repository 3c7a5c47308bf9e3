"""Who an owner request comes from: a console session (an e-mail link, then a TOTP code) or an API token.

Signing in takes two steps. The one-time link proves the mailbox and gives a *pending* session that can
do one thing: set up or type the second factor. Only a code from the owner's authenticator app turns it
into a console session. Every owner and staff account has a second factor: the first sign-in sets it up,
and a link can never replace a secret a code has confirmed (a lost phone takes `kameng owners reset-factor`).

Sessions live in a signed cookie of their own name, path and signing key, so a shopper's session never
stands for an owner's. They last a working day; the owner's role and station are read from the store on
every request, so a changed role applies at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kameng.deps import Deps
from kameng.domain.errors import InvalidSignIn, RateLimited, SignedOut
from kameng.domain.ids import new_token
from kameng.domain.owners import Owner
from kameng.domain.second_factor import InvalidCode, SecondFactor, matching_step, new_secret, provisioning_uri
from kameng.domain.shopper import Email, hash_token
from kameng.ports.store import Conflict, SignInGrant
from kameng.services import signed_cookie
from kameng.services.account import mask_email
from kameng.services.audit import record
from kameng.services.owners import authenticate as by_token

COOKIE = "owner_session"
COOKIE_PATH = "/api/owner"
PURPOSE = "owner-session-cookie/v1"
SIGN_IN_TTL = timedelta(minutes=15)
PENDING_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)
WINDOW_SECONDS = 600
SIGN_INS_PER_ADDRESS = 20
SIGN_INS_PER_OWNER = 5
# Six digits are a million guesses: five tries per ten minutes make guessing one take years.
CODES_PER_OWNER = 5

MAIL_SUBJECT = "登录 Kameng 管理后台 / Sign in to the Kameng console"
MAIL_BODY = (
    "您好：\n\n点击下面的链接登录管理后台（15 分钟内有效，只能使用一次），然后输入身份验证器中的 6 位动态码：\n\n{link}\n\n"
    "如果不是您本人操作，请忽略这封邮件；没有动态码，这个链接无法登录。\n\n"
    "Open this link to sign in to the console (it works once, within 15 minutes), then type the 6-digit code "
    "from your authenticator app. If you did not ask to sign in, ignore this e-mail: without the code the link "
    "signs no one in.\n"
)


class Stage(str, Enum):
    PENDING = "pending"
    SIGNED_IN = "signed_in"


class OwnerSignIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: Email


class OwnerLink(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    token: str = Field(min_length=16, max_length=128)


class OwnerCode(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    code: str = Field(min_length=6, max_length=10)


@dataclass(frozen=True)
class OwnerCookie:
    owner_id: str
    stage: Stage
    expires_at: datetime

    def value(self, deps: Deps) -> str:
        return signed_cookie.sign({"o": self.owner_id, "g": self.stage.value, "x": int(self.expires_at.timestamp())},
                                  PURPOSE, deps)

    @property
    def lasts(self) -> timedelta:
        return SESSION_TTL if self.stage is Stage.SIGNED_IN else PENDING_TTL


def _link_hash(token: str) -> str:
    # Kept apart from shoppers' sign-in links: neither sign-in endpoint can use the other's link.
    return hash_token("owner-console:" + token)


def request_sign_in(request: OwnerSignIn, client: str, deps: Deps) -> None:
    """Mail a one-time link if the address is an owner's; the answer is the same either way."""
    now = deps.clock()
    owner = deps.store.owners.owner_by_email(request.email)
    _limit(f"owner-sign-in:addr:{client}", SIGN_INS_PER_ADDRESS, now, deps)
    _limit(f"owner-sign-in:email:{hash_token(request.email)}", SIGN_INS_PER_OWNER, now, deps)
    if owner is None:
        return
    token = new_token()
    deps.store.sign_ins.put_sign_in(_link_hash(token), SignInGrant(
        shopper_key=owner.id, station=owner.station or "", email_masked=mask_email(owner.email),
        expires_at=now + SIGN_IN_TTL))
    link = f"{deps.settings.console_url.rstrip('/')}/#signin={token}"
    deps.mail.send(owner.email, MAIL_SUBJECT, MAIL_BODY.format(link=link))


def _limit(bucket: str, limit: int, now: datetime, deps: Deps) -> None:
    if deps.store.counters.count_hit(bucket, WINDOW_SECONDS, now) > limit:
        raise RateLimited("尝试次数过多，请 10 分钟后再试", retry_after=WINDOW_SECONDS)


def use_link(request: OwnerLink, deps: Deps) -> tuple[dict[str, Any], OwnerCookie]:
    """Use a sign-in link (once): a pending session, and what the second step needs — a new secret to
    set up (the first time) or only a code."""
    now = deps.clock()
    grant = deps.store.sign_ins.use_sign_in(_link_hash(request.token), now)
    owner = None if grant is None else deps.store.owners.owner(grant.shopper_key)
    if owner is None:
        raise InvalidSignIn("登录链接无效、已使用或已过期，请重新获取")
    pending = OwnerCookie(owner.id, Stage.PENDING, now + PENDING_TTL)
    factor = deps.store.owners.second_factor(owner.id)
    if factor is not None and factor.confirmed:
        return {"stage": "verify", "email_masked": mask_email(owner.email)}, pending
    secret = new_secret()
    try:
        deps.store.owners.start_second_factor(SecondFactor(owner.id, _seal(secret, owner.id, deps)))
    except Conflict:
        # Confirmed by a code typed in another tab since we read it: that secret stands.
        return {"stage": "verify", "email_masked": mask_email(owner.email)}, pending
    # Only a first sign-in draws a QR code: every other owner request skips the import.
    import segno

    uri = provisioning_uri(secret, owner.email)
    return {"stage": "enrol", "email_masked": mask_email(owner.email), "secret": secret, "otpauth_uri": uri,
            "qr_svg": segno.make(uri, error="m").svg_inline(scale=4)}, pending


# Sealed under a key derived from the shop's secret for this owner alone: no KMS call on sign-in.
SEAL_PURPOSE = "owner-totp-secret/v1"


def _seal(secret: str, owner_id: str, deps: Deps) -> bytes:
    return deps.cipher.seal_record(SEAL_PURPOSE, owner_id, secret.encode(), owner_id.encode())


def _open(factor: SecondFactor, deps: Deps) -> str:
    return deps.cipher.open_record(SEAL_PURPOSE, factor.owner_id, factor.sealed_secret,
                                   factor.owner_id.encode()).decode()


def verify_code(request: OwnerCode, pending_cookie: str | None, deps: Deps) -> tuple[Owner, OwnerCookie]:
    """Turn a pending session into a console session with a code of the owner's authenticator app."""
    pending = _read(pending_cookie, Stage.PENDING, deps)
    now = deps.clock()
    _limit(f"owner-totp:{pending.owner_id}", CODES_PER_OWNER, now, deps)
    owner = deps.store.owners.owner(pending.owner_id)
    factor = deps.store.owners.second_factor(pending.owner_id)
    if owner is None or factor is None:
        raise SignedOut("请重新登录")
    secret = _open(factor, deps)
    step = matching_step(secret, request.code, now)
    # Only the secret the code was checked against is confirmed: one a second link put there since is not.
    if step is None or not deps.store.owners.use_second_factor_step(owner.id, step, factor.sealed_secret):
        # A wrong code, or a right one typed a second time (someone who watched it being typed).
        raise InvalidCode("动态码不正确或已使用，请输入身份验证器中的新动态码")
    if not factor.confirmed:
        record(deps, owner.email, _station_of(owner, deps), "owner.second_factor_set", owner.email,
               None, {"confirmed": True})
    return owner, OwnerCookie(owner.id, Stage.SIGNED_IN, now + SESSION_TTL)


def _station_of(owner: Owner, deps: Deps) -> str:
    # The audit log files platform-wide actions under the main station, whose owner is the platform's.
    return owner.station or deps.settings.main_station


def _read(value: str | None, stage: Stage, deps: Deps) -> OwnerCookie:
    fields = signed_cookie.read(value, PURPOSE, deps)
    try:
        found = OwnerCookie(fields["o"], Stage(fields["g"]), datetime.fromtimestamp(fields["x"], timezone.utc))
    except (TypeError, KeyError, ValueError, OverflowError):
        raise SignedOut("请先登录管理后台") from None
    if found.stage is not stage or found.expires_at <= deps.clock():
        raise SignedOut("登录已过期，请重新登录管理后台")
    return found


def authenticate(token: str | None, session: str | None, deps: Deps) -> Owner:
    """The owner behind an API token (when one is sent) or a console session; SignedOut (401) when neither
    proves anyone, and for a session whose second step is not done."""
    if token is not None or session is None:
        return by_token(token, deps)
    owner = deps.store.owners.owner(_read(session, Stage.SIGNED_IN, deps).owner_id)
    if owner is None:
        raise SignedOut("请先登录管理后台")
    return owner


def whoami(owner: Owner, deps: Deps) -> dict:
    """The signed-in owner and the stations the console may show them."""
    stations = deps.store.price_books.stations() if owner.station is None else [owner.station]
    return {"email": owner.email, "role": owner.role.value, "station": owner.station, "stations": stations,
            "main_station": deps.settings.main_station}
