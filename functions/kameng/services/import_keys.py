"""Import card keys for a SKU from a .txt (one key a line) or .csv (key[,password]) file."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from kameng.deps import Deps
from kameng.domain.card_key import CardKey, MalformedKey, parse_line
from kameng.domain.errors import InvalidRequest, UnknownSku
from kameng.domain.ids import new_id
from kameng.domain.price_book import PricedSku
from kameng.ports.store import KeyBatch, SealedKey
from kameng.services import audit
from kameng.services.lookup import key_context
from kameng.services.notify import after_restock

BATCH = 2000
MALFORMED_SHOWN = 20


@dataclass(frozen=True)
class BatchSource:
    """Where an import's keys came from: kept with its batch."""

    supplier: str = ""
    cost_per_key: int | None = None  # minor units (fen); None when not told
    note: str = ""


@dataclass
class ImportReport:
    batch_id: str = ""
    imported: int = 0
    duplicates: int = 0
    malformed: int = 0
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)


def stock_holder(sku: str, deps: Deps, station: str | None = None) -> tuple[str, PricedSku]:
    """The station whose goods the SKU is, and its line: the main station for its supply, a substation for
    its own goods (独立商品库). `station` looks at that station alone (a station owner's scope)."""
    main = deps.settings.main_station
    if station in (None, main):
        book = deps.store.price_books.price_book(main)
        if book is not None and (line := book.line(sku)) is not None:
            return main, line
    for name in deps.store.price_books.stations() if station is None else [station]:
        book = deps.store.price_books.price_book(name) if name != main else None
        line = None if book is None else book.line(sku)
        if line is not None and line.owner == name:
            return name, line
    raise UnknownSku(f"unknown SKU {sku!r}: it must be a SKU of the main station's published catalog, or of a "
                     "substation's own goods (run the build first)")


def owner_note(station: str, note: str, deps: Deps) -> str:
    """A batch of a substation's own goods says whose they are in its note."""
    if station == deps.settings.main_station:
        return note
    return f"{station} 自有商品" + (f"：{note}" if note else "")


def fingerprint(card_key: CardKey, deps: Deps) -> str:
    # Keyed, so the store never holds a plain hash an attacker could test guesses against.
    return deps.cipher.keyed_hash("card-key", card_key.code)


def import_lines(
    sku: str, lines: Iterable[str], with_password: bool, deps: Deps,
    progress: Callable[[int], None] = lambda n: None, source: BatchSource = BatchSource(),
) -> ImportReport:
    """Import the keys as one new batch (kept first, so every key added names a batch that exists)."""
    report = ImportReport()

    def parsed() -> Iterator[CardKey]:
        for number, line in enumerate(lines, start=1):
            progress(len(line.encode()))
            try:
                card_key = parse_line(line, with_password)
            except MalformedKey as error:
                report.malformed += 1
                if len(report.malformed_lines) < MALFORMED_SHOWN:
                    report.malformed_lines.append((number, str(error)))
                continue
            if card_key is not None:
                yield card_key

    return import_card_keys(sku, parsed(), deps, source, report)


def import_card_keys(sku: str, card_keys: Iterable[CardKey], deps: Deps, source: BatchSource = BatchSource(),
                     report: ImportReport | None = None) -> ImportReport:
    """Seal and add the keys as one new batch; a key held already is counted a duplicate."""
    station, _ = stock_holder(sku, deps)
    if source.cost_per_key is not None and source.cost_per_key < 0:
        raise InvalidRequest("the cost per key cannot be negative")
    now = deps.clock()
    report = report or ImportReport()
    report.batch_id = new_id(now)
    deps.store.key_batches.add_batch(KeyBatch(report.batch_id, sku, source.supplier, source.cost_per_key, now,
                                              owner_note(station, source.note, deps)))
    batch: list[SealedKey] = []

    def flush() -> None:
        result = deps.store.inventory.add_card_keys(batch)
        report.imported += result.added
        report.duplicates += result.duplicates
        batch.clear()

    for card_key in card_keys:
        key_id = new_id(now)
        batch.append(SealedKey(
            key_id=key_id, sku=sku, fingerprint=fingerprint(card_key, deps),
            ciphertext=deps.cipher.seal(card_key.to_bytes(), key_context(sku, key_id)), batch_id=report.batch_id,
        ))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    if report.imported:
        after_restock(sku, deps, station)
    return report


def import_file(sku: str, path: Path, deps: Deps, progress: Callable[[int], None] = lambda n: None,
                actor: str = audit.SYSTEM, source: BatchSource = BatchSource()) -> ImportReport:
    passwords = with_password(str(path))
    try:
        with path.open(encoding="utf-8", newline="") as lines:
            report = import_lines(sku, lines, passwords, deps, progress, source)
        record_import(deps, actor, sku, path.name, report)
        return report
    except UnicodeDecodeError as error:
        raise not_utf8(str(path), error) from None


def record_import(deps: Deps, actor: str, sku: str, filename: str, report: ImportReport) -> None:
    # Counts only: the log never holds a card key. Filed under the station whose goods they are.
    station = stock_holder(sku, deps)[0] if report.batch_id else deps.settings.main_station
    audit.record(deps, actor, station, "keys.import", sku, None,
                 {"file": filename, "batch_id": report.batch_id, "imported": report.imported,
                  "duplicates": report.duplicates, "malformed": report.malformed})


def not_utf8(name: str, error: UnicodeDecodeError) -> InvalidRequest:
    return InvalidRequest(
        f"{name}: not UTF-8 text ({error.reason}); keys read before that point were imported. "
        "Save the file as UTF-8 and import it again: keys already imported are skipped as duplicates"
    )


def with_password(filename: str) -> bool:
    """.csv lines are key[,password], .txt lines one key; anything else is refused."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".txt", ".csv"):
        raise InvalidRequest(f"{filename}: expected a .txt (one key per line) or .csv (key[,password]) file")
    return suffix == ".csv"
