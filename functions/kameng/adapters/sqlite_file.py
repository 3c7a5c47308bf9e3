"""One SQLite file shared by threads: a connection per thread, WAL, serialised writes."""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kameng.adapters.private_files import private_file, private_folder


class SqliteFile:
    def __init__(self, path: Path | str, schema: str):
        self.path = str(path)
        self._local = threading.local()
        # Threads of one process queue here in order; SQLite's own busy handler polls
        # with growing sleeps, which under a flash sale turns into seconds of waiting.
        self._writer = threading.Lock()
        if self.path != ":memory:":
            # SQLite gives new -wal and -shm files the database file's permissions; ones left by an
            # older, looser version are tightened here.
            database = private_file(private_folder(Path(self.path).parent) / Path(self.path).name)
            for journal in (Path(f"{database}-wal"), Path(f"{database}-shm")):
                if journal.exists():
                    private_file(journal)
        self.conn().executescript(schema)

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a sale the shopper was told about survives a power cut.
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so a read-then-write cannot race."""
        conn = self.conn()
        with self._writer:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
