"""The data folder and what it holds are the owner's alone, whatever the umask or an older version left."""
from __future__ import annotations

import os

from kameng.adapters.mail_outbox import OutboxMail
from kameng.adapters.secret_file import load_or_create
from kameng.adapters.sqlite_file import SqliteFile


def modes(folder):
    return {path.relative_to(folder).as_posix(): oct(path.stat().st_mode & 0o777)
            for path in [folder, *folder.rglob("*")]}


def test_a_store_the_outbox_and_a_secret_are_made_private_under_a_permissive_umask(tmp_path):
    data = tmp_path / "var"
    old = os.umask(0o002)
    try:
        store = SqliteFile(data / "kameng.db", "CREATE TABLE t (x)")
        store.conn().execute("INSERT INTO t VALUES (1)")
        OutboxMail(data / "outbox").send("buyer@example.com", "keys", "the order's link")
        load_or_create(data / "master.key")
    finally:
        os.umask(old)
    found = modes(data)  # while the store is open, so its WAL is there
    assert {name for name in found} >= {".", "kameng.db", "kameng.db-wal", "outbox", "master.key"}
    assert {name: mode for name, mode in found.items()
            if mode != ("0o700" if (data / name).is_dir() else "0o600")} == {}


def test_files_an_older_version_left_readable_are_tightened_on_open(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    for name in ("kameng.db", "kameng.db-wal", "kameng.db-shm"):
        (data / name).touch(mode=0o644)
        os.chmod(data / name, 0o644)
    os.chmod(data, 0o755)
    SqliteFile(data / "kameng.db", "CREATE TABLE IF NOT EXISTS t (x)")
    assert set(modes(data).values()) <= {"0o700", "0o600"}
