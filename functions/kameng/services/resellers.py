"""The owner's side of wholesale: add resellers, top up their balance, list them; each action audited."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, UnknownStation
from kameng.domain.wholesale import SECRET_PURPOSE, Reseller, new_secret, secret_context
from kameng.services.audit import record

MAX_NAME_LENGTH = 60
MAX_REFERENCE_LENGTH = 80


@dataclass(frozen=True)
class Standing:
    reseller: Reseller
    balance: int

    @property
    def available(self) -> int:
        return self.balance + self.reseller.credit_limit


def add_reseller(deps: Deps, actor: str, name: str, credit_limit: int) -> tuple[Reseller, str]:
    """A new reseller of the main station and its API secret, which nothing keeps in plain: show it once."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(f"a reseller's name is 1 to {MAX_NAME_LENGTH} characters")
    if credit_limit < 0:
        raise InvalidRequest("the credit limit must not be negative")
    station = deps.settings.main_station
    book = deps.store.price_books.price_book(station)
    if book is None:
        raise UnknownStation(f"the main station {station} is not published yet: run `kameng publish` first")
    reseller_id = "r" + secrets.token_hex(5)
    secret = new_secret()
    reseller = Reseller(
        id=reseller_id, name=name, station=station, key_id="k" + secrets.token_hex(4),
        sealed_secret=deps.cipher.seal_record(SECRET_PURPOSE, reseller_id, secret.encode(), secret_context(reseller_id)),
        credit_limit=credit_limit, currency=book.currency, created_at=deps.clock())
    deps.store.resellers.add_reseller(reseller)
    record(deps, actor, station, "reseller.add", reseller_id, None,
           {"name": name, "credit_limit": credit_limit, "currency": reseller.currency, "key_id": reseller.key_id})
    return reseller, secret


def top_up(deps: Deps, actor: str, reseller_id: str, amount: int, reference: str) -> tuple[bool, int]:
    """Add money the reseller paid in, once per reference: (whether it counted now, the balance after)."""
    reference = reference.strip()
    if amount < 1:
        raise InvalidRequest("a top-up adds at least 0.01")
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidRequest(f"a top-up's reference (the bank or transfer reference) is 1 to {MAX_REFERENCE_LENGTH} characters")
    before, _ = deps.store.resellers.balance(reseller_id)
    added = deps.store.resellers.top_up(reseller_id, amount, reference, deps.clock())
    after, _ = deps.store.resellers.balance(reseller_id)
    if added:
        record(deps, actor, deps.settings.main_station, "reseller.top_up", reseller_id, {"balance": before},
               {"balance": after, "amount": amount, "reference": reference})
    return added, after


def roster(deps: Deps) -> list[Standing]:
    return [Standing(reseller, deps.store.resellers.balance(reseller.id)[0])
            for reseller in deps.store.resellers.resellers()]
