"""Uploads on one machine: files in the data folder's private uploads/ folder, put through the local server
at a signed, expiring address (PUT /_uploads/<id>?expires=…&signature=…), as a presigned S3 URL works."""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import urlencode

from kameng.adapters import secret_file
from kameng.adapters.private_files import private_folder
from kameng.domain.errors import Forbidden, NotFound, UploadMissing, UploadTooLarge, UploadUsed
from kameng.domain.uploads import UploadTarget, UploadTicket
from kameng.ports.store import UnknownRecord

CHUNK = 1 << 20
UPLOAD_ID = re.compile(r"^[0-9A-Z]{26}$")


class LocalUploads:
    def __init__(self, folder: Path, base_url: str):
        self._folder = folder
        self._base_url = base_url.rstrip("/")
        self._secret: bytes | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path, base_url: str) -> "LocalUploads":
        return cls(data_dir / "uploads", base_url)

    def _key(self) -> bytes:
        # Read on the first upload: a process that never takes one needs no secret file.
        if self._secret is None:
            self._secret = secret_file.load_or_create(self._folder / "uploads.secret", 32)
        return self._secret

    def _signature(self, upload_id: str, expires: int, size: int) -> str:
        return hmac.new(self._key(), f"{upload_id}\n{expires}\n{size}".encode(), hashlib.sha256).hexdigest()

    def _path(self, upload_id: str, kind: str) -> Path:
        if not UPLOAD_ID.match(upload_id):
            raise UnknownRecord(upload_id)
        return self._folder / f"{upload_id}.{kind}"

    def open_upload(self, ticket: UploadTicket) -> UploadTarget:
        private_folder(self._folder)
        _write_new(self._path(ticket.upload_id, "json"), ticket.to_json())
        expires = int(ticket.expires_at.timestamp())
        query = urlencode({"expires": expires, "size": ticket.size,
                           "signature": self._signature(ticket.upload_id, expires, ticket.size)})
        return UploadTarget(f"{self._base_url}/_uploads/{ticket.upload_id}?{query}", "PUT",
                            {"content-type": "text/plain; charset=utf-8"})

    def ticket(self, upload_id: str) -> UploadTicket | None:
        try:
            return UploadTicket.from_json(self._path(upload_id, "json").read_bytes())
        except (FileNotFoundError, UnknownRecord):
            return None

    def chunks(self, upload_id: str) -> Iterator[bytes]:
        ticket = self.ticket(upload_id)
        try:
            file = self._path(upload_id, "keys").open("rb")
        except FileNotFoundError:
            raise UnknownRecord(upload_id) from None
        if ticket is None or os.fstat(file.fileno()).st_size > ticket.size:
            file.close()
            raise UploadTooLarge("文件超过了上传时申请的大小")
        return _read(file)

    def discard(self, upload_id: str) -> None:
        for kind in ("keys", "json"):
            try:
                self._path(upload_id, kind).unlink()
            except (FileNotFoundError, UnknownRecord):
                pass

    def receive(self, upload_id: str, query: dict[str, str], body: BinaryIO, length: int, now: datetime) -> None:
        """Keep a file PUT to a signed address: the signature, expiry and size are checked before a byte is read."""
        try:
            expires, size = int(query.get("expires", "")), int(query.get("size", ""))
        except ValueError:
            raise Forbidden("上传地址无效或已过期") from None
        signed = self._signature(upload_id, expires, size) if UPLOAD_ID.match(upload_id) else ""
        if not signed or not hmac.compare_digest(signed, query.get("signature", "")) or now.timestamp() > expires:
            raise Forbidden("上传地址无效或已过期")
        if length > size:
            raise UploadTooLarge(f"文件大小 {length} 字节，超过了上传时申请的 {size} 字节")
        if self.ticket(upload_id) is None:
            raise NotFound("上传不存在或已导入")
        target = self._path(upload_id, "keys")
        if target.exists():
            raise UploadUsed("这个上传已经收到文件了")
        _write_new(target, _copy(body, length), stream=True)


def _copy(body: BinaryIO, length: int) -> Iterator[bytes]:
    left = length
    while left > 0:
        piece = body.read(min(CHUNK, left))
        if not piece:
            raise UploadMissing("上传中断，文件不完整")
        left -= len(piece)
        yield piece


def _write_new(path: Path, data: bytes | Iterator[bytes], stream: bool = False) -> None:
    """Write to a private temp file, then link it into place: a reader sees no file or the whole one."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            for piece in (data if stream else [data]):
                file.write(piece)
        try:
            os.link(temp, path)
        except FileExistsError:
            raise UploadUsed("这个上传已经收到文件了") from None
    finally:
        os.unlink(temp)


def _read(file: BinaryIO) -> Iterator[bytes]:
    with file:
        while piece := file.read(CHUNK):
            yield piece
