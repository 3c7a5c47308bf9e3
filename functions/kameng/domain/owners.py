"""Who may act in the owner console and the remote CLI: roles, their permissions, and the station scope.

One table says which role may do what; `check` is the one place a request is let through. Another
station's resource answers NotFound, never Forbidden, so an owner cannot learn which ids exist elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from kameng.domain.errors import Forbidden, InvalidRequest, NotFound, SignedOut
from kameng.domain.shopper import is_email, normalize_email

# What a plain owner token starts with, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "kmo_"
# How many hex digits of a token's hash name it in listings and in `revoke`: short, yet unique among a shop's few.
TOKEN_ID_LENGTH = 12


class Role(str, Enum):
    PLATFORM_OWNER = "platform_owner"
    STATION_OWNER = "station_owner"
    STAFF = "staff"


class Permission(str, Enum):
    VIEW_ORDERS = "view_orders"
    AFTER_SALES = "after_sales"
    VIEW_STOCK = "view_stock"
    VIEW_STATS = "view_stats"
    REFUND = "refund"
    SETTLE_WITHDRAWALS = "settle_withdrawals"
    IMPORT_KEYS = "import_keys"
    MANAGE_STOCK = "manage_stock"  # void keys, set low-stock thresholds
    PUBLISH = "publish"
    GIVE_COUPON = "give_coupon"
    VIEW_AUDIT = "view_audit"
    MANAGE_OWNERS = "manage_owners"
    DELIVER = "deliver"  # deliver a needs_attention order by hand, from stock
    VIEW_MONEY = "view_money"  # the settlement statement and the station's payouts
    REQUEST_PAYOUT = "request_payout"
    APPROVE_PAYOUT = "approve_payout"
    REVIEW_ORDERS = "review_orders"  # approve or reject an order the risk rules hold (staff only see them)


# Staff answer shoppers: they see orders and resend or explain keys, but never move money, prices or content.
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_OWNER: frozenset(Permission),
    # A station owner asks for the station's money; only the platform, which pays it, decides.
    Role.STATION_OWNER: frozenset(Permission) - {Permission.APPROVE_PAYOUT},
    Role.STAFF: frozenset({Permission.VIEW_ORDERS, Permission.AFTER_SALES}),
}


# The one answer for a record that does not exist and for another station's: a guessed id tells nothing.
NO_SUCH_RECORD = "没有这条记录"
ROLE_NAMES = {Role.PLATFORM_OWNER: "平台所有者", Role.STATION_OWNER: "站长", Role.STAFF: "客服"}


class InvalidOwnerToken(SignedOut):
    """An owner token that is unknown, revoked or expired: one answer for all three."""

    code = "invalid_owner_token"


@dataclass(frozen=True)
class Owner:
    id: str
    email: str
    role: Role
    station: str | None  # None for the platform owner, who sees every station

    def __post_init__(self) -> None:
        if (self.role is Role.PLATFORM_OWNER) != (self.station is None):
            raise InvalidRequest(_scope_mistake(self.role))


def _scope_mistake(role: Role) -> str:
    if role is Role.PLATFORM_OWNER:
        return "a platform owner sees every station: give no station"
    return f"a {role.value} belongs to one station: give its station"


def new_owner(owner_id: str, email: str, role: str, station: str | None) -> Owner:
    """An owner from what a person typed, checked: the e-mail, the role's name and its station."""
    if not is_email(email.strip()):
        raise InvalidRequest(f"not an e-mail address: {email!r}")
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidRequest(f"unknown role {role!r}: expected one of {', '.join(r.value for r in Role)}") from None
    return Owner(owner_id, normalize_email(email), parsed, station or None)


def check(owner: Owner, permission: Permission, station: str | None) -> None:
    """Let the owner do `permission` on a resource of `station` (None: the whole platform), or raise."""
    if owner.role is not Role.PLATFORM_OWNER:
        if station is None:
            raise Forbidden("只有平台所有者可以操作全平台")
        if station != owner.station:
            raise NotFound(NO_SUCH_RECORD)
    if permission not in PERMISSIONS[owner.role]:
        raise Forbidden(f"{ROLE_NAMES[owner.role]}无权执行此操作（{permission.value}）")


def may(owner: Owner, permission: Permission) -> bool:
    """Whether the owner's role has the permission (their station's scope aside)."""
    return permission in PERMISSIONS[owner.role]


def check_found(owner: Owner, permission: Permission, station: str | None) -> None:
    """`check` for a record looked up by its id (station None: there is none): a missing record and another
    station's answer in the same words."""
    if station is None:
        raise NotFound(NO_SUCH_RECORD)
    check(owner, permission, station)


def check_grant(actor: Owner, granted: Owner) -> None:
    """Let `actor` add `granted`: within their own scope, so no one grants more than they hold
    (a platform owner's scope is the whole platform, which only a platform owner has)."""
    check(actor, Permission.MANAGE_OWNERS, granted.station)


@dataclass(frozen=True)
class OwnerToken:
    """An API token as the store keeps it: by the hash of the token, never the token."""

    token_hash: str
    owner_id: str
    label: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    @property
    def token_id(self) -> str:
        return self.token_hash[:TOKEN_ID_LENGTH]

    def valid_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
