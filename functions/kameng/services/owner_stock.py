"""Stock in the owner console: counts and thresholds per station, key files by upload, voided keys.

The main station holds the supply: its keys are imported and voided by its owners, while every station
sees (and sets thresholds for) the SKUs of its own price book. A substation's own goods (独立商品库) are
its own stock: its owner imports and voids their keys, and nobody else's (another station's SKU is 404).
"""
from __future__ import annotations

import codecs
import json
from datetime import timedelta
from typing import Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field

from kameng.deps import Deps
from kameng.domain.card_key import MalformedKey, mask, parse_line
from kameng.domain.errors import (
    InvalidRequest, NotFound, UnknownSku, UnknownStation, UploadMissing, UploadTooLarge, UploadUsed,
)
from kameng.domain.ids import new_id
from kameng.domain.owners import NO_SUCH_RECORD, Owner, Permission, check
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.domain.uploads import UploadTicket
from kameng.ports.outside import Uploads
from kameng.ports.store import RequestClaim, UnknownRecord
from kameng.services import audit, import_keys, notify
from kameng.services.stock import level, sku_counts

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_LIFETIME = timedelta(minutes=15)
# A process that died mid-import leaves its claim; a retry may take it over after this.
IMPORT_LEASE = timedelta(minutes=15)
CLAIM_KEPT = timedelta(days=2)
MAX_VOID = 1000
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=SKU_PATTERN)
    filename: str = Field(min_length=5, max_length=200)
    size: int = Field(ge=1, description="the file's exact size in bytes: the upload URL takes that many")


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upload_id: str = Field(pattern=r"^[0-9A-Z]{26}$")
    # Kept with the import's batch: who supplied the keys, what each cost (fen), a note.
    supplier: str = Field("", max_length=80)
    cost_per_key: int | None = Field(None, ge=0, le=100_000_000)
    note: str = Field("", max_length=200)

    def source(self) -> import_keys.BatchSource:
        return import_keys.BatchSource(self.supplier.strip(), self.cost_per_key, self.note.strip())


class VoidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=SKU_PATTERN)
    codes: list[str] = Field(default_factory=list, max_length=MAX_VOID)
    key_ids: list[str] = Field(default_factory=list, max_length=MAX_VOID)


class ThresholdRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=SKU_PATTERN)
    low_stock: int | None = Field(ge=0, le=1_000_000_000, description="null: back to the content's threshold")


def _book(station: str, deps: Deps) -> PriceBook:
    book = deps.store.price_books.price_book(station)
    if book is None:
        raise UnknownStation(f"站点不存在：{station}")
    return book


def _line_of(book: PriceBook, sku: str):
    line = book.line(sku)
    if line is None:
        raise UnknownSku(f"站点 {book.station} 没有 SKU {sku}")
    return line


def _holder(owner: Owner, permission: Permission, sku: str, deps: Deps) -> tuple[str, PricedSku]:
    """The station whose stock the SKU is, within the owner's scope: a station owner reaches their own
    station's goods only; the platform owner, any station's."""
    try:
        station, line = import_keys.stock_holder(sku, deps, owner.station)
    except UnknownSku:
        if owner.station is None:
            raise
        # Another station's goods answer as a missing record: a guessed SKU tells nothing.
        raise NotFound(NO_SUCH_RECORD) from None
    check(owner, permission, station)
    return station, line


def listed(owner: Owner, station: str, deps: Deps) -> dict:
    check(owner, Permission.VIEW_STOCK, station)
    book = _book(station, deps)
    thresholds = deps.store.inventory.low_stock_thresholds(station)
    rows = []
    for row in sku_counts(book, deps):
        content = book.skus[row["sku"]].low_stock
        low_stock = thresholds.get(row["sku"], content)
        rows.append(row | {"low_stock": low_stock, "low_stock_set": row["sku"] in thresholds,
                           "content_low_stock": content, "level": level(row["available"], low_stock),
                           "low": row["available"] < low_stock,
                           # The station's own goods: its owner imports and voids their keys.
                           "own_goods": book.skus[row["sku"]].owner is not None})
    return {"station": station, "skus": rows}


CSV_HEADER = ("sku", "title", "available", "reserved", "sold", "void", "imported", "low_stock", "low")


def csv_rows(listing: dict) -> Iterator[list]:
    for row in listing["skus"]:
        yield [row[name] for name in CSV_HEADER]


# ---------------------------------------------------------------- key files by upload


def _uploads(deps: Deps) -> Uploads:
    if deps.uploads is None:
        raise NotFound("这个部署不接收上传")
    return deps.uploads


def open_upload(owner: Owner, sku: str, filename: str, size: int, deps: Deps) -> dict:
    _holder(owner, Permission.IMPORT_KEYS, sku, deps)
    import_keys.with_password(filename)
    if size > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"文件 {size} 字节，超过了 {MAX_UPLOAD_BYTES} 字节（20 MB）：请分成几个文件上传")
    now = deps.clock()
    ticket = UploadTicket(new_id(now), owner.id, sku, filename, size, now, now + UPLOAD_LIFETIME)
    target = _uploads(deps).open_upload(ticket)
    return {"upload_id": ticket.upload_id, "url": target.url, "method": target.method, "headers": target.headers,
            "expires_at": ticket.expires_at.isoformat(), "max_bytes": size}


def import_upload(owner: Owner, upload_id: str, deps: Deps,
                  source: import_keys.BatchSource = import_keys.BatchSource()) -> dict:
    uploads = _uploads(deps)
    now = deps.clock()
    claim = RequestClaim(deps.cipher.keyed_hash("key-upload", upload_id), upload_id, now, now + IMPORT_LEASE,
                         now + CLAIM_KEPT)
    # The claim makes an upload importable once, even by two requests at the same moment.
    recorded = deps.store.idempotent_requests.begin(claim)
    ticket = uploads.ticket(upload_id)
    if recorded is not None:
        used_by = json.loads(recorded.response)["owner_id"] if recorded.response else getattr(ticket, "owner_id", None)
        if used_by == owner.id:
            raise UploadUsed("这个上传已经导入过了（或正在导入）")
        raise NotFound("上传不存在")
    if ticket is None or ticket.owner_id != owner.id:
        deps.store.idempotent_requests.abandon(claim)
        raise NotFound("上传不存在")
    try:
        # Checked again at import: the owner's role or the SKU's station may have changed since the upload.
        _holder(owner, Permission.IMPORT_KEYS, ticket.sku, deps)
    except BaseException:
        deps.store.idempotent_requests.abandon(claim)
        raise
    try:
        report = _import(ticket, uploads, deps, source)
    except BaseException:
        # Keys are imported idempotently by fingerprint: a failed import may simply be tried again.
        deps.store.idempotent_requests.abandon(claim)
        raise
    import_keys.record_import(deps, owner.email, ticket.sku, ticket.filename, report)
    answer = {"upload_id": upload_id, "sku": ticket.sku, "batch_id": report.batch_id, "added": report.imported, "duplicates": report.duplicates,
              "rejected": report.malformed, "rejected_lines": [{"line": n, "reason": why}
                                                               for n, why in report.malformed_lines]}
    deps.store.idempotent_requests.finish(claim, json.dumps({"owner_id": owner.id, "report": answer}).encode())
    uploads.discard(upload_id)
    return answer


def _import(ticket: UploadTicket, uploads: Uploads, deps: Deps,
            source: import_keys.BatchSource) -> import_keys.ImportReport:
    try:
        chunks = uploads.chunks(ticket.upload_id)
    except UnknownRecord:
        raise UploadMissing("文件还没有上传：请先按 url 上传文件，再导入") from None
    try:
        return import_keys.import_lines(ticket.sku, lines_of(chunks), import_keys.with_password(ticket.filename), deps,
                                        source=source)
    except UnicodeDecodeError as error:
        raise import_keys.not_utf8(ticket.filename, error) from None


def lines_of(chunks: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 lines of a byte stream, each with its line end, holding one piece at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    rest = ""
    for piece in chunks:
        text = rest + decoder.decode(piece)
        lines = text.split("\n")
        rest = lines.pop()
        for line in lines:
            yield line + "\n"
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


# ---------------------------------------------------------------- voiding keys, thresholds


def void(owner: Owner, sku: str, codes: list[str], key_ids: list[str], deps: Deps) -> dict:
    station, line = _holder(owner, Permission.MANAGE_STOCK, sku, deps)
    if len(codes) + len(key_ids) > MAX_VOID or not (codes or key_ids):
        raise InvalidRequest(f"一次作废 1 到 {MAX_VOID} 个卡密")
    by_code = _fingerprints(codes, deps)
    found = deps.store.inventory.key_ids_of(sku, by_code) if by_code else {}
    asked = list(key_ids) + list(found.values())
    result = deps.store.inventory.void_keys(sku, asked)
    unknown = list(result.unknown) + [mask(code) for fp, code in by_code.items() if fp not in found]
    audit.record(deps, owner.email, station, "keys.void", sku, None,
                 {"voided": len(result.voided), "held": len(result.held), "unknown": len(unknown)})
    if result.voided:
        notify.check_low_stock(sku, line.low_stock, deps, owner=line.owner)
    return {"sku": sku, "voided": list(result.voided),
            "held": [{"key_id": key_id, "status": status} for key_id, status in sorted(result.held.items())],
            "unknown": unknown}


def _fingerprints(codes: list[str], deps: Deps) -> dict[str, str]:
    by_fingerprint = {}
    for code in codes:
        try:
            card_key = parse_line(code, False)
        except MalformedKey as error:
            raise InvalidRequest(f"卡密格式不对：{error}", fields=[{"loc": "codes", "msg": str(error)}]) from None
        if card_key is not None:
            by_fingerprint[import_keys.fingerprint(card_key, deps)] = card_key.code
    return by_fingerprint


def set_threshold(owner: Owner, station: str, sku: str, low_stock: int | None, deps: Deps) -> dict:
    check(owner, Permission.MANAGE_STOCK, station)
    line = _line_of(_book(station, deps), sku)
    before = deps.store.inventory.set_low_stock(station, sku, low_stock)
    audit.record(deps, owner.email, station, "stock.threshold", sku, {"low_stock": before}, {"low_stock": low_stock})
    in_force = line.low_stock if low_stock is None else low_stock
    if station == deps.settings.main_station:
        # Only the supply's threshold moves the shop's one alert per SKU (notify.check_low_stock).
        notify.check_low_stock(sku, line.low_stock, deps, owner=line.owner)
    return {"station": station, "sku": sku, "low_stock": in_force, "low_stock_set": low_stock is not None,
            "content_low_stock": line.low_stock}
