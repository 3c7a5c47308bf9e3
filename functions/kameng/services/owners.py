"""The owner console's people and their API tokens: added, issued and revoked with a trace in the audit log,
and a request's token turned back into its owner."""
from __future__ import annotations

import re
from datetime import timedelta

from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, NotFound
from kameng.domain.ids import new_id, new_token
from kameng.domain.owners import TOKEN_PREFIX, InvalidOwnerToken, Owner, OwnerToken, new_owner
from kameng.domain.shopper import hash_token, normalize_email
from kameng.services.audit import record

DEFAULT_TOKEN_DAYS = 90
# A token outlives no year: one forgotten on a laptop stops working by itself.
MAX_TOKEN_DAYS = 366
MAX_LABEL_LENGTH = 100
# Fewer hex digits than this would name several tokens of a shop too often to be worth typing.
MIN_ID_LENGTH = 6
_HEX = re.compile(r"[0-9a-f]+")


def _audit_station(deps: Deps, station: str | None) -> str:
    # The audit log files platform-wide actions under the main station, whose owner is the platform's.
    return deps.settings.main_station if station is None else station


def add_owner(deps: Deps, actor: str, email: str, role: str, station: str | None) -> Owner:
    """Raises InvalidRequest for a bad e-mail, role or station, Duplicate for an e-mail already an owner's."""
    owner = new_owner(new_id(deps.clock()), email, role, station)
    deps.store.owners.add_owner(owner)
    record(deps, actor, _audit_station(deps, owner.station), "owner.add", owner.email, None,
           {"id": owner.id, "role": owner.role.value, "station": owner.station})
    return owner


def issue_token(deps: Deps, actor: str, email: str, label: str,
                days: int = DEFAULT_TOKEN_DAYS) -> tuple[str, OwnerToken]:
    """A new token for the owner of `email`: the plain token, which nothing keeps (show it once), and its record."""
    label = label.strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise InvalidRequest(f"a token's label names where it is used, 1 to {MAX_LABEL_LENGTH} characters")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidRequest(f"a token lasts 1 to {MAX_TOKEN_DAYS} days (got {days})")
    owner = deps.store.owners.owner_by_email(normalize_email(email))
    if owner is None:
        raise NotFound(f"no owner has the e-mail {email}")
    plain = TOKEN_PREFIX + new_token()
    now = deps.clock()
    token = OwnerToken(hash_token(plain), owner.id, label, now, now + timedelta(days=days))
    deps.store.owners.issue_token(token)
    record(deps, actor, _audit_station(deps, owner.station), "owner.token_issue", owner.email, None,
           {"token": token.token_id, "label": label, "expires_at": token.expires_at.isoformat()})
    return plain, token


def _token_hash(deps: Deps, named: str) -> str:
    """The hash a revoke names: by the plain token, its whole hash, or the start of its hash (its id)."""
    named = named.strip()
    if named.startswith(TOKEN_PREFIX):
        return hash_token(named)
    named = named.lower()
    if len(named) < MIN_ID_LENGTH or not _HEX.fullmatch(named):
        raise InvalidRequest(f"name a token by itself, its hash, or at least {MIN_ID_LENGTH} hex digits of its id")
    matches = [t.token_hash for t in deps.store.owners.tokens() if t.token_hash.startswith(named)]
    if not matches:
        raise NotFound(f"no token's id starts with {named}")
    if len(matches) > 1:
        raise InvalidRequest(f"{len(matches)} tokens' ids start with {named}: give more of it")
    return matches[0]


def revoke(deps: Deps, actor: str, named: str) -> OwnerToken:
    """Revoke a token named as `_token_hash` reads it; revoking it again changes nothing and logs nothing."""
    token_hash = _token_hash(deps, named)
    before = next((t for t in deps.store.owners.tokens() if t.token_hash == token_hash), None)
    if before is None:
        raise NotFound("no such token")
    revoked = deps.store.owners.revoke_token(token_hash, deps.clock())
    if before.revoked_at is None:
        owner = deps.store.owners.owner(revoked.owner_id)
        record(deps, actor, _audit_station(deps, owner.station if owner else None), "owner.token_revoke",
               owner.email if owner else revoked.owner_id, {"token": revoked.token_id, "revoked": False},
               {"token": revoked.token_id, "revoked": True})
    return revoked


def reset_second_factor(deps: Deps, actor: str, email: str) -> bool:
    """Forget an owner's TOTP secret (a lost phone): their next sign-in link sets up a new one. False when
    they had none."""
    owner = deps.store.owners.owner_by_email(normalize_email(email))
    if owner is None:
        raise NotFound(f"no owner has the e-mail {email}")
    reset = deps.store.owners.reset_second_factor(owner.id)
    if reset:
        record(deps, actor, _audit_station(deps, owner.station), "owner.second_factor_reset", owner.email,
               {"second_factor": True}, {"second_factor": False})
    return reset


def authenticate(token: str | None, deps: Deps) -> Owner:
    """The owner a request's token belongs to; InvalidOwnerToken (401) for a missing, unknown, revoked or
    expired one."""
    owner = None if not token else deps.store.owners.owner_by_token(hash_token(token), deps.clock())
    if owner is None:
        raise InvalidOwnerToken("管理令牌无效、已吊销或已过期，请重新申请")
    return owner


def roster(deps: Deps, station: str | None = None) -> list[tuple[Owner, list[OwnerToken]]]:
    """Each owner (of one station when given) with their tokens, revoked and expired ones included."""
    tokens = deps.store.owners.tokens()
    return [(owner, [t for t in tokens if t.owner_id == owner.id]) for owner in deps.store.owners.owners(station)]
