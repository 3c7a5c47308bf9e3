import re

from kameng.cli.output import width

from .conftest import COACH, COACH_LINE, MAIN, STEAM, SUBSTATION, WINDOWS, json_of

COLUMNS = ["available", "reserved", "sold", "void", "imported"]


def counts_in_table(out: str, sku: str) -> dict[str, int]:
    row = next(line for line in out.splitlines() if line.startswith(sku + " "))
    return dict(zip(COLUMNS, map(int, row.split()[-5:])))


def import_keys(kameng, keys_file, sku: str, codes: list[str]) -> None:
    ran = kameng("import-keys", sku, keys_file(f"{sku}.txt", codes))
    assert ran.code == 0, ran.err


def test_stock_lists_every_sku_of_the_main_station_with_its_counts(shop, kameng, keys_file):
    import_keys(kameng, keys_file, STEAM, ["AAAA-1111-BBBB-2222", "CCCC-3333-DDDD-4444"])

    ran = kameng("stock")

    assert ran.code == 0
    assert ran.out.splitlines()[0] == f"stock for station {MAIN}"
    assert "Steam 钱包充值卡 100 元" in ran.out
    assert counts_in_table(ran.out, STEAM) == {"available": 2, "reserved": 0, "sold": 0, "void": 0, "imported": 2}
    assert counts_in_table(ran.out, WINDOWS) == {"available": 0, "reserved": 0, "sold": 0, "void": 0, "imported": 0}


def test_an_order_moves_keys_from_available_to_reserved_and_payment_to_sold(shop, kameng, keys_file):
    import_keys(kameng, keys_file, STEAM, ["AAAA-1111-BBBB-2222", "CCCC-3333-DDDD-4444", "EEEE-5555-FFFF-6666"])

    order = shop.place(STEAM, quantity=2)
    reserved = counts_in_table(kameng("stock").out, STEAM)
    shop.pay(order)
    sold = counts_in_table(kameng("stock").out, STEAM)

    assert reserved == {"available": 1, "reserved": 2, "sold": 0, "void": 0, "imported": 3}
    assert sold == {"available": 1, "reserved": 0, "sold": 2, "void": 0, "imported": 3}


def test_stock_of_a_substation_lists_only_the_skus_in_its_price_book(shop, kameng, keys_file):
    import_keys(kameng, keys_file, STEAM, ["AAAA-1111-BBBB-2222"])

    listed = json_of(kameng("stock", "--station", SUBSTATION, "--json"))

    assert listed == {"station": SUBSTATION, "skus": [{
        "sku": STEAM, "title": "Steam 钱包充值卡 100 元", "available": 1, "reserved": 0, "sold": 0, "void": 0,
        "imported": 1, "own_goods": False,
    }]}


def test_stock_of_a_substation_lists_its_own_goods_marked_and_the_main_stations_does_not(shop, kameng, keys_file):
    shop.add_own_goods(COACH_LINE)
    import_keys(kameng, keys_file, COACH, ["COACH-0001", "COACH-0002", "COACH-0003"])

    listed = {row["sku"]: row for row in json_of(kameng("stock", "--station", SUBSTATION, "--json"))["skus"]}
    text = kameng("stock", "--station", SUBSTATION).out
    main = kameng("stock").out

    assert (listed[COACH]["available"], listed[COACH]["own_goods"]) == (3, True)
    assert listed[STEAM]["own_goods"] is False
    assert "游戏地带陪练券 1 小时 [own goods]" in text and counts_in_table(text, COACH)["available"] == 3
    assert "Steam 钱包充值卡 100 元 [own goods]" not in text
    assert COACH not in main and "[own goods]" not in main


def test_stock_columns_line_up_on_a_terminal_with_chinese_titles(shop, kameng, keys_file):
    import_keys(kameng, keys_file, STEAM, ["AAAA-1111-BBBB-2222"])

    table = kameng("stock").out.splitlines()[1:]

    # A Chinese character takes two terminal columns; counts are right-aligned under their headings.
    counts = re.compile(r"(available|\d+) +(reserved|\d+) +(sold|\d+) +(void|\d+) +(imported|\d+)$")
    for group in range(1, 6):
        assert len({width(line[: counts.search(line).end(group)]) for line in table}) == 1


def test_stock_of_an_unknown_station_exits_1_with_a_message(shop, kameng):
    ran = kameng("stock", "--station", "no-such-station")

    assert ran.code == 1
    assert ran.err == "kameng: unknown station 'no-such-station': no price book published for it (run the build first)\n"


def test_stock_before_the_first_build_says_to_run_it(data_env, kameng):
    ran = kameng("stock")

    assert ran.code == 1
    assert "run the build first" in ran.err
    assert ran.err.count("\n") == 1
