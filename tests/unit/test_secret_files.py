"""The local master key and the sandbox's signing secret: made once, readable by the owner alone."""
from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from kameng.adapters.cipher_local import LocalCipher
from kameng.adapters.secret_file import load_or_create


def test_the_master_key_is_created_readable_by_its_owner_only(tmp_path):
    LocalCipher.from_file(tmp_path / "var" / "master.key")
    assert stat.S_IMODE((tmp_path / "var" / "master.key").stat().st_mode) == 0o600


def test_the_master_key_is_made_once_and_reused(tmp_path):
    path = tmp_path / "master.key"
    sealed = LocalCipher.from_file(path).seal(b"KEY-1", b"sku/1")
    assert LocalCipher.from_file(path).open(sealed, b"sku/1") == b"KEY-1"


def test_processes_starting_together_agree_on_one_key(tmp_path):
    path = tmp_path / "master.key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create(path, 32), range(16)))
    assert len(keys) == 1


def test_a_damaged_key_file_is_a_clear_error_not_a_new_key(tmp_path):
    path = tmp_path / "master.key"
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="expected 32 bytes"):
        load_or_create(path, 32)
    assert path.read_bytes() == b"short"
