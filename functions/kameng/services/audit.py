"""Owner actions into the audit log, and the log read back whole for listing and verifying."""
from __future__ import annotations

from typing import Callable, Iterator

from kameng.deps import Deps
from kameng.domain.audit import AuditDraft, AuditEntry, Json, Problem, verify
from kameng.domain.price_book import PriceBook

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
