"""Lines in a file, read back one at a time by key: what a build makes for each of a thousand stations
(price books, manifest lines) kept on disk rather than in memory."""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO


class Spool:
    """key → (offset, length) of its line in an open file. The file stays open: a later build replacing
    it does not change the lines this one reads."""

    def __init__(self, file: BinaryIO, index: dict[str, tuple[int, int]] | None = None) -> None:
        self.file = file
        self.index: dict[str, tuple[int, int]] = {} if index is None else index

    @classmethod
    def create(cls, path: Path, start: bytes = b"") -> Spool:
        file = open(path, "w+b")
        file.write(start)
        return cls(file)

    def add(self, key: str, line: bytes, separator: bytes = b"\n") -> None:
        """Append a line (no newline in it); the separator goes before every line but the first."""
        if self.index:
            self.file.write(separator)
        self.index[key] = (self.file.tell(), len(line))
        self.file.write(line)

    def finish(self, end: bytes = b"") -> Spool:
        self.file.write(end)
        self.file.flush()
        return self

    def read(self, key: str) -> bytes:
        """KeyError: no such line."""
        offset, length = self.index[key]
        self.file.seek(offset)
        return self.file.read(length)

    def keys(self) -> list[str]:
        return list(self.index)

    def __contains__(self, key: object) -> bool:
        return key in self.index

    def __len__(self) -> int:
        return len(self.index)
