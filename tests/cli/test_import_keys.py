import io
import sys
import time

import pytest

from kameng.services.lookup import view

from .conftest import MAIN, STEAM, WINDOWS


def test_import_counts_new_keys_duplicates_and_malformed_lines_and_skips_blanks_and_comments(shop, kameng, keys_file):
    path = keys_file("keys.txt", [
        "# 2026-03 batch from supplier A",
        "AAAA-1111-BBBB-2222",
        "",
        "CCCC-3333-DDDD-4444",
        "AAAA-1111-BBBB-2222",
        "bad key with spaces",
        "   ",
        "EEEE-5555-FFFF-6666",
    ])

    ran = kameng("import-keys", STEAM, path)

    assert ran.code == 0
    assert ran.out.splitlines()[:-1] == [
        "imported 3, duplicates 1, malformed 1",
        f"{path}:6: key contains a space or control character",
    ]
    assert shop.stock().available == 3


def test_reimporting_the_same_file_adds_nothing(shop, kameng, keys_file):
    path = keys_file("keys.txt", ["AAAA-1111-BBBB-2222", "CCCC-3333-DDDD-4444", "not ok"])
    assert kameng("import-keys", STEAM, path).code == 0

    again = kameng("import-keys", STEAM, path)

    assert again.code == 0
    assert again.out.splitlines()[0] == "imported 0, duplicates 2, malformed 1"
    assert shop.stock().imported == 2


def test_a_key_already_held_by_another_sku_is_a_duplicate(shop, kameng, keys_file):
    kameng("import-keys", STEAM, keys_file("steam.txt", ["SAME-KEY-0000-0001"]))

    ran = kameng("import-keys", WINDOWS, keys_file("windows.txt", ["SAME-KEY-0000-0001"]))

    assert ran.out.splitlines()[0] == "imported 0, duplicates 1, malformed 0"
    assert shop.stock(WINDOWS).imported == 0


def test_csv_import_keeps_each_keys_password(shop, kameng, keys_file):
    path = keys_file("licences.csv", [
        "# key,password",
        "WIN-AAAA-0001,pw-one",
        "WIN-AAAA-0002",
        "WIN-AAAA-0003,",
        "WIN-AAAA-0004,a,b",
    ])

    ran = kameng("import-keys", WINDOWS, path)

    assert ran.code == 0
    assert ran.out.splitlines()[:-1] == ["imported 3, duplicates 0, malformed 1", f"{path}:5: expected key[,password]"]
    delivered = shop.pay(shop.place(WINDOWS, quantity=3, station=MAIN))
    keys = {key["code"]: key["password"] for key in view(delivered, shop.deps)["keys"]}
    assert keys == {"WIN-AAAA-0001": "pw-one", "WIN-AAAA-0002": None, "WIN-AAAA-0003": None}


def test_a_file_saved_with_windows_line_endings_and_a_bom_imports_cleanly(shop, kameng, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffXLS-0000-0001,pw1\r\nXLS-0000-0002,pw2\r\n".encode())

    ran = kameng("import-keys", WINDOWS, path)

    assert ran.out.splitlines()[:-1] == ["imported 2, duplicates 0, malformed 0"]


def test_only_the_first_malformed_lines_are_listed_then_how_many_more(shop, kameng, keys_file):
    path = keys_file("keys.txt", [f"bad key {n}" for n in range(25)])

    ran = kameng("import-keys", STEAM, path)

    lines = ran.out.splitlines()
    assert lines[0] == "imported 0, duplicates 0, malformed 25"
    assert lines[1] == f"{path}:1: key contains a space or control character"
    assert lines[-2] == "... and 5 more malformed lines"


def test_an_unknown_sku_exits_1_with_a_one_line_message(shop, kameng, keys_file):
    ran = kameng("import-keys", "steam-cny-999", keys_file("keys.txt", ["AAAA-1111-BBBB-2222"]))

    assert ran.code == 1
    assert ran.out == ""
    assert ran.err.count("\n") == 1
    assert ran.err.startswith("kameng: unknown SKU 'steam-cny-999'")
    assert "Traceback" not in ran.err


def test_a_missing_file_exits_1_with_a_one_line_message(shop, kameng, tmp_path):
    ran = kameng("import-keys", STEAM, tmp_path / "nowhere.txt")

    assert ran.code == 1
    assert ran.err == f"kameng: cannot read {tmp_path / 'nowhere.txt'}: No such file or directory\n"


def test_a_file_that_is_neither_txt_nor_csv_exits_1(shop, kameng, keys_file):
    ran = kameng("import-keys", STEAM, keys_file("keys.xlsx", ["AAAA-1111-BBBB-2222"]))

    assert ran.code == 1
    assert "expected a .txt (one key per line) or .csv (key[,password]) file" in ran.err
    assert ran.err.count("\n") == 1


def test_a_file_that_is_not_utf8_exits_1_with_a_one_line_message(shop, kameng, keys_file):
    # Chinese Windows tools often save GBK; the owner must be told, not shown a traceback.
    ran = kameng("import-keys", STEAM, keys_file("keys.txt", ["# 点卡 第一批", "AAAA-1111-BBBB-2222"], encoding="gbk"))

    assert ran.code == 1
    assert "not UTF-8 text" in ran.err
    assert ran.err.count("\n") == 1


def test_a_small_import_writes_nothing_to_a_stderr_that_is_not_a_terminal(shop, kameng, keys_file):
    ran = kameng("import-keys", STEAM, keys_file("keys.txt", ["AAAA-1111-BBBB-2222"]))

    assert ran.err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_import_shows_a_progress_bar_by_bytes(shop, kameng, keys_file, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    path = keys_file("keys.txt", ["AAAA-1111-BBBB-2222", "CCCC-3333-DDDD-4444"])

    ran = kameng("import-keys", STEAM, path)

    assert ran.code == 0
    bar = terminal.getvalue()
    assert "keys.txt: 100%" in bar
    assert path.stat().st_size == 40
    assert "40.0/40.0" in bar


def test_a_refused_import_leaves_no_progress_bar_behind_its_error(shop, kameng, keys_file, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    ran = kameng("import-keys", "steam-cny-999", keys_file("keys.txt", ["AAAA-1111-BBBB-2222"]))

    assert ran.code == 1
    assert terminal.getvalue().startswith("kameng: unknown SKU")


@pytest.mark.slow
def test_a_100000_line_file_imports_completely_with_progress_lines_in_a_log(shop, kameng, tmp_path):
    path = tmp_path / "big.txt"
    with path.open("w") as out:
        for n in range(100_000):
            out.write(f"BIG-{n:08d}-{n * 7919 % 1_000_003:07d}\n")

    started = time.perf_counter()
    ran = kameng("import-keys", STEAM, path)
    seconds = time.perf_counter() - started

    assert ran.code == 0, ran.err
    assert ran.out.startswith("imported 100000, duplicates 0, malformed 0\nbatch ")
    assert shop.stock().available == 100_000
    # Over 1 MB and stderr is not a terminal: whole progress lines, never carriage returns.
    assert "\r" not in ran.err
    progress = ran.err.splitlines()
    assert 2 <= len(progress) <= 11
    assert all(line.startswith("big.txt: ") for line in progress)
    assert progress[-1].startswith("big.txt: 100%")
    print(f"100,000 keys imported in {seconds:.2f} s")
