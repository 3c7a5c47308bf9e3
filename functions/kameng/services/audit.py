"""Owner actions into the audit log, and the log read back whole for listing and verifying."""
from __future__ import annotations

from typing import Callable, Iterator

from kameng.deps import Deps
from kameng.domain.audit import AuditDraft, AuditEntry, Json, Problem, verify
from kameng.domain.errors import InvalidRequest
from kameng.domain.owners import Owner, Permission, check
from kameng.domain.price_book import PriceBook

# The console's pages of the log: enough to read, few enough to answer fast.
MAX_OWNER_PAGE = 200
# The audit log of the whole platform is filed under the stations it happened at; None reads them all.
PLATFORM = None
# An action no person started (a test, a script that names nobody) is still recorded, as this.
SYSTEM = "system"
PAGE = 500


def record(deps: Deps, actor: str, station: str, action: str, subject: str, before: Json = None,
           after: Json = None) -> AuditEntry:
    return deps.store.audit_log.append(AuditDraft(deps.clock(), actor, station, action, subject, before, after))


def entries(deps: Deps, station: str | None = None, after: int = 0) -> Iterator[AuditEntry]:
    while True:
        page = deps.store.audit_log.entries(station, after, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].seq


def verify_log(deps: Deps) -> tuple[int, list[Problem]]:
    """How many entries the log holds and every break in its chain ([]: it is whole)."""
    whole = list(entries(deps))
    head = deps.store.audit_log.head()
    # Entries are read before the head, so an append racing the read only leaves the head ahead of
    # them: the entries it missed are read again, never taken for deleted ones.
    for _ in range(3):
        last = whole[-1].seq if whole else 0
        if head is None or head.seq <= last:
            break
        whole += entries(deps, after=last)
        head = deps.store.audit_log.head()
    return len(whole), verify(whole, head)


def publishing_price_books(deps: Deps, actor: str) -> Callable[[PriceBook], None]:
    """`put_price_book` that also records each station's version before and after."""

    def put(book: PriceBook) -> None:
        before = deps.store.price_books.price_book(book.station)
        deps.store.price_books.put_price_book(book)
        record(deps, actor, book.station, "price_book.publish", "price_book",
               {"version": None if before is None else before.version}, {"version": book.version})

    return put


def owner_page(owner: Owner, station: str | None, after: int, limit: int, deps: Deps) -> dict[str, Json]:
    """A page of the log for the console, oldest first after entry `after`: one station's entries, or every
    station's (None) for the platform owner; `next_after` is where the next page starts, None at the end."""
    check(owner, Permission.VIEW_AUDIT, station)
    if after < 0 or not 1 <= limit <= MAX_OWNER_PAGE:
        raise InvalidRequest(f"after ≥ 0 and limit 1–{MAX_OWNER_PAGE}（got after={after}, limit={limit}）")
    found = deps.store.audit_log.entries(station, after, limit)
    return {"entries": [entry.as_json() for entry in found],
            "next_after": found[-1].seq if len(found) == limit else None}


def owner_export(owner: Owner, station: str | None, deps: Deps) -> Iterator[AuditEntry]:
    check(owner, Permission.VIEW_AUDIT, station)
    return entries(deps, station)


def owner_verify(owner: Owner, deps: Deps) -> dict[str, Json]:
    """The whole chain checked: only the platform owner sees every station's entries, so only they can."""
    check(owner, Permission.VIEW_AUDIT, PLATFORM)
    count, problems = verify_log(deps)
    return {"entries": count, "whole": not problems, "problems": [str(problem) for problem in problems]}
