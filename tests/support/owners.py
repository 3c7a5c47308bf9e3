"""Owner requests as the console and the remote CLI send them: an owner of a role and station, and the
API Gateway events of their calls to /api/owner routes."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from kameng import routes
from kameng.deps import Deps
from kameng.services import owners

from tests.conftest import build_api_event


@dataclass(frozen=True)
class OwnerClient:
    """One owner's API token, and a way to call any owner route with it."""

    email: str
    token: str

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> "Answer":
        return call_route(method, path, body, query, {"authorization": f"Bearer {self.token}", **(headers or {})})


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    set_cookies: list[str] = ()

    def cookie(self, name: str) -> str | None:
        """The value this answer sets for cookie `name` ("" when it clears it), or None when it sets none."""
        for line in self.set_cookies:
            key, _, rest = line.partition("=")
            if key == name:
                return rest.split(";", 1)[0]
        return None

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        return self.json.get("error", {}).get("code") if self.headers.get("content-type", "").startswith(
            "application/json") else None


def call_route(method: str, path: str, body: Any = None, query: dict[str, str] | None = None,
               headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> Answer:
    """Send a request through the route table, as API Gateway would: the route's handler gets its v2 event."""
    path_only = path.split("?", 1)[0]
    route, params, _ = routes.match(method, path_only)
    assert route is not None, f"no route {method} {path_only}"
    event = build_api_event(method, path_only, body, headers, path_params=params or None, query=query,
                            route=route.path)
    # The recorded event is a shop page's request; owners call from the console's own origin.
    event["headers"]["origin"] = "http://console.localhost:8000"
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    if cookies:
        event["cookies"] = [f"{name}={value}" for name, value in cookies.items()]
    raw = route.handler()(event)
    return Answer(raw["statusCode"], raw.get("headers") or {}, raw.get("body") or "", raw.get("cookies") or [])


def make_owner(deps: Deps, email: str, role: str, station: str | None) -> OwnerClient:
    """Add an owner (as the CLI's `kameng owners add` does) and issue them an API token."""
    owners.add_owner(deps, "test", email, role, station)
    token, _ = owners.issue_token(deps, "test", email, "tests")
    return OwnerClient(email, token)


OwnerFactory = Callable[[str, str | None], OwnerClient]
