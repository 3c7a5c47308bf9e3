import re
import subprocess
import sys

import pytest

from kameng.cli import COMMANDS

from .conftest import STEAM, WINDOWS, json_of


def test_sweep_returns_lapsed_reservations_to_stock_and_prints_the_counts(shop, kameng, keys_file):
    kameng("import-keys", STEAM, keys_file("keys.txt", ["AAAA-1111-BBBB-2222", "CCCC-3333-DDDD-4444"]))
    shop.place(STEAM, quantity=2)  # placed in the past: its reservation has lapsed

    ran = kameng("sweep")

    assert ran.code == 0
    assert ran.out == "expired 1, delivered 0, refunded 0\n"
    assert shop.stock().available == 2
    assert kameng("sweep", "--json").out.split() == [
        "{", '"expired":', "0,", '"delivered":', "0,", '"refunded":', "0", "}"]


def test_a_service_warning_during_a_command_is_one_line_without_a_traceback(shop, kameng, keys_file):
    kameng("import-keys", STEAM, keys_file("keys.txt", ["AAAA-1111-BBBB-2222"]))
    shop.place(STEAM)

    def gateway_down(payload, headers):
        raise ConnectionError("connection refused")

    shop.deps.gateway.send = gateway_down
    ran = kameng("sweep")

    assert ran.code == 0
    assert ran.out == "expired 1, delivered 0, refunded 0\n"
    assert ran.err == "kameng: error: could not expire the payment session: ConnectionError: connection refused\n"


@pytest.mark.parametrize("command", [[]] + [[name] for name, *_ in COMMANDS])
def test_help_at_every_level_teaches_with_an_example(data_env, kameng, command):
    ran = kameng(*command, "--help")

    assert ran.code == 0
    assert "example" in ran.out
    assert re.search(rf"^  kameng {command[0] if command else ''}", ran.out, re.MULTILINE)


def test_the_import_example_in_the_help_works_as_written(shop, kameng, keys_file, monkeypatch):
    example = re.search(r"^  (kameng import-keys \S+ keys\.txt)$", kameng("import-keys", "--help").out, re.MULTILINE)
    monkeypatch.chdir(keys_file("keys.txt", ["AAAA-1111-BBBB-2222"]).parent)

    ran = kameng(*example.group(1).split()[1:])

    assert ran.code == 0
    assert ran.out.startswith("imported 1, duplicates 0, malformed 0\nbatch ")


def test_no_command_prints_the_help_and_exits_2(data_env, kameng):
    ran = kameng()

    assert ran.code == 2
    assert "import-keys" in ran.err and "examples:" in ran.err


def test_a_usage_mistake_exits_2(data_env, kameng):
    ran = kameng("orders", "--status", "shipped")

    assert ran.code == 2
    assert "invalid choice: 'shipped'" in ran.err


@pytest.mark.parametrize("limit", ["0", "-3", "many", "1001"])
def test_an_order_limit_outside_1_to_1000_is_a_usage_mistake(data_env, kameng, limit):
    assert kameng("orders", "--limit", limit).code == 2


def test_a_configuration_mistake_exits_2_with_one_line(data_env, kameng, monkeypatch):
    monkeypatch.setenv("KAMENG_RESERVATION_MINUTES", "0")

    ran = kameng("stock")

    assert ran.code == 2
    assert ran.err.startswith("kameng: invalid configuration: KAMENG_RESERVATION_MINUTES")
    assert ran.err.count("\n") == 1


def test_a_data_folder_that_cannot_be_created_exits_2_naming_it(data_env, kameng, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KAMENG_DATA_DIR", str(blocker / "var"))

    ran = kameng("stock")

    assert ran.code == 2
    assert ran.err.startswith(f"kameng: cannot open the data folder {blocker / 'var'} (KAMENG_DATA_DIR): ")
    assert ran.err.count("\n") == 1


def test_python_dash_m_kameng_is_the_same_tool(data_env):
    ran = subprocess.run([sys.executable, "-m", "kameng", "--help"], capture_output=True, text=True, timeout=60)

    assert ran.returncode == 0
    assert ran.stdout.startswith("usage: kameng ")


def test_demo_stock_fills_a_fresh_store_once(shop, kameng):
    first = kameng("demo-stock", "--per-sku", "7", "--json")
    again = kameng("demo-stock")

    assert json_of(first) == {STEAM: {"imported": 7, "duplicates": 0}, WINDOWS: {"imported": 7, "duplicates": 0}}
    assert again.out.startswith("this store already holds card keys")
    assert shop.stock(STEAM).imported == shop.stock(WINDOWS).imported == 7


def test_demo_stock_never_touches_a_store_with_real_keys(shop, kameng, keys_file):
    kameng("import-keys", STEAM, keys_file("keys.txt", ["AAAA-1111-BBBB-2222"]))

    ran = kameng("demo-stock", "--json")

    assert json_of(ran) == {}
    assert shop.stock(WINDOWS).imported == 0


def test_python_dash_m_kameng_cli_runs_the_tool_too(data_env):
    ran = subprocess.run([sys.executable, "-m", "kameng.cli", "stock"], capture_output=True, text=True, timeout=60)

    assert ran.returncode == 1
    assert ran.stderr.startswith("kameng: no price book published for the main station 'main'")
