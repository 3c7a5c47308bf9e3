"""Every content mistake is named as `file: field: expectation (got value)`, all at once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kameng.sitegen import ContentError, build
from tests.build.conftest import Project, tree


def errors(project: Project) -> list[str]:
    with pytest.raises(ContentError) as raised:
        project.build()
    return raised.value.messages


def test_invalid_yaml_names_the_line(project: Project) -> None:
    project.edit("main/station.yaml", "name: 测试总站", "name: [测试总站")
    assert errors(project) == [
        "content/main/station.yaml: line 3: invalid YAML: did not find expected ',' or ']'"
        " (while parsing a flow sequence that starts on line 2)"
    ]


def test_invalid_yaml_in_front_matter_names_the_line_of_the_file(project: Project) -> None:
    project.edit("main/products/steam.md", "summary: 全球通用 Steam 钱包码", "summary: a: b")
    assert errors(project) == [
        "content/main/products/steam.md: line 4: invalid YAML: mapping values are not allowed in this context"
    ]


def test_a_key_written_twice_is_reported(project: Project) -> None:
    project.edit("main/products/mobile.md", "wholesale: 98", "wholesale: 98\n    wholesale: 97")
    assert errors(project) == ["content/main/products/mobile.md: line 9: invalid YAML: duplicate key 'wholesale'"]


def test_a_page_without_front_matter_is_reported(project: Project) -> None:
    project.write("main/pages/about.md", "只有正文\n")
    assert errors(project) == [
        "content/main/pages/about.md: front matter: expected the file to start with a '---' line,"
        " YAML fields and a closing '---' line"
    ]


def test_an_unknown_category_lists_the_known_ones(project: Project) -> None:
    project.edit("main/products/mobile.md", "category: top-up", "category: topup")
    assert errors(project) == [
        "content/main/products/mobile.md: category: expected one of game-cards, top-up, empty (got 'topup')"
    ]


def test_two_files_with_one_product_id_are_reported(project: Project) -> None:
    project.write("main/products/more/mobile.md", (project.content / "main/products/mobile.md").read_text()
                  .replace("mobile-100", "mobile-200"))
    assert errors(project) == [
        "content/main/products/more/mobile.md: file name: expected a product id no other file uses;"
        " content/main/products/mobile.md has it too (got 'mobile')"
    ]


def test_a_sku_id_used_by_two_products_is_reported(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "id: qq-10", "id: mobile-100")
    assert errors(project) == [
        "content/main/products/qq-coin.md: skus[0].id: expected a SKU id used once in the catalogue;"
        " content/main/products/mobile.md skus[0] has it too (got 'mobile-100')"
    ]


def test_retail_below_wholesale_is_reported_at_the_sku(project: Project) -> None:
    project.edit("main/products/steam.md", 'retail: "102.00"', "retail: 90")
    assert errors(project) == [
        "content/main/products/steam.md: skus[1].retail: must be ≥ the wholesale price 95.00 (got 90.00)"
    ]


def test_a_fixed_price_below_wholesale_is_reported_at_the_station(project: Project) -> None:
    project.edit("game-zone/station.yaml", "steam-cny-100: 99.00", "steam-cny-100: 90.00")
    assert errors(project) == [
        "content/game-zone/station.yaml: pricing.fixed.steam-cny-100: must be ≥ the wholesale price 95.00 (got 90.00)"
    ]


def test_sells_naming_an_unknown_product_is_reported(project: Project) -> None:
    project.edit("game-zone/station.yaml", "sells: [steam, qq-coin]", "sells: [steam, qq-coins]")
    assert errors(project) == [
        "content/game-zone/station.yaml: sells[1]: expected a main-station product id (got 'qq-coins')"
    ]


def test_a_fixed_price_for_an_unknown_sku_is_reported(project: Project) -> None:
    project.edit("game-zone/station.yaml", "steam-cny-100: 99.00", "steam-cny-1000: 99.00")
    assert errors(project) == [
        "content/game-zone/station.yaml: pricing.fixed.steam-cny-1000: expected the id of a SKU this station sells"
        " (got 'steam-cny-1000')"
    ]


def test_a_fixed_price_for_a_product_the_station_does_not_sell_is_reported(project: Project) -> None:
    project.edit("game-zone/station.yaml", "steam-cny-100: 99.00", "mobile-100: 99.00")
    assert errors(project) == [
        "content/game-zone/station.yaml: pricing.fixed.mobile-100: expected a SKU this station sells;"
        " its product mobile is not in sells (got 'mobile-100')"
    ]


def test_a_substation_in_another_currency_is_reported(project: Project) -> None:
    project.edit("game-zone/station.yaml", "currency: CNY", "currency: USD")
    assert errors(project) == [
        "content/game-zone/station.yaml: currency: expected the main station's currency CNY (got 'USD')"
    ]


def test_a_missing_main_station_is_reported(project: Project) -> None:
    shutil.rmtree(project.content / "main")
    assert errors(project) == ["content/main/station.yaml: file: expected the main station's station.yaml (not found)"]


def test_a_bad_station_folder_name_is_reported(project: Project) -> None:
    shutil.copytree(project.content / "en-shop", project.content / "Card_Shop")
    assert errors(project) == [
        "content/Card_Shop: station id: expected a folder name of 2–32 lowercase letters, digits or '-'"
        " (got 'Card_Shop')"
    ]


def test_a_bad_colour_is_reported(project: Project) -> None:
    project.edit("game-zone/station.yaml", '"#0a7d32"', "red")
    assert errors(project) == [
        "content/game-zone/station.yaml: colors.primary: expected a colour like \"#c81e1e\" or \"#c11\", in quotes"
        " (got 'red')"
    ]


def test_an_unquoted_colour_that_yaml_reads_as_a_comment_is_reported(project: Project) -> None:
    project.edit("game-zone/station.yaml", '"#0a7d32"', "#0a7d32")
    assert errors(project) == [
        "content/game-zone/station.yaml: colors.primary: expected a colour in quotes like \"#c81e1e\":"
        " without quotes YAML reads # as a comment (got nothing)"
    ]


def test_a_missing_image_file_is_reported(project: Project) -> None:
    project.edit("main/products/steam.md", "images: [steam.svg]", "images: [steem.svg]")
    assert errors(project) == [
        "content/main/products/steam.md: images[0]: expected a file in content/main/images/ (got 'steem.svg')"
    ]


def test_an_image_in_markdown_must_be_a_local_file(project: Project) -> None:
    project.edit("main/products/steam.md", "![卡面](steam.svg)", "![卡面](https://cdn.example/a.png)")
    assert errors(project) == [
        "content/main/products/steam.md: description: expected images to be files in content/main/images/"
        " (got 'https://cdn.example/a.png')"
    ]


def test_a_missing_logo_is_reported(project: Project) -> None:
    project.remove("game-zone/images/zone.svg")
    assert errors(project) == [
        "content/game-zone/station.yaml: logo: expected a file in content/game-zone/images/ (got 'zone.svg')"
    ]


def test_a_substation_without_landing_md_is_reported(project: Project) -> None:
    project.remove("en-shop/landing.md")
    assert errors(project) == ["content/en-shop/landing.md: file: expected a landing page for the substation (not found)"]


def test_max_per_order_below_min_per_order_is_reported(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "max_per_order: 20", "max_per_order: 1")
    assert errors(project) == ["content/main/products/qq-coin.md: skus[0].max_per_order: must be ≥ min_per_order 2 (got 1)"]


def test_max_per_order_above_fifty_is_reported(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "max_per_order: 20", "max_per_order: 60")
    assert errors(project) == ["content/main/products/qq-coin.md: skus[0].max_per_order: expected a number ≤ 50 (got 60)"]


def test_an_unknown_field_is_reported_with_the_known_ones(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "min_per_order: 2", "min_per_order: 2\n    stock: 5")
    assert errors(project) == [
        "content/main/products/qq-coin.md: skus[0].stock: unknown field; expected one of: face_value, id, low_stock,"
        " max_per_order, max_per_shopper_per_day, min_per_order, name, retail, supply, tiers, wholesale"
    ]


def test_a_main_station_field_on_a_substation_says_so(project: Project) -> None:
    project.edit("en-shop/station.yaml", "sells: all", "sells: all\ncategories: []")
    assert errors(project) == ["content/en-shop/station.yaml: categories: only the main station has this field"]


def test_the_main_station_calling_itself_a_substation_is_reported(project: Project) -> None:
    project.edit("main/station.yaml", "kind: main", "kind: substation")
    assert "content/main/station.yaml: kind: content/main is the main station; expected main (got 'substation')" in errors(project)


def test_a_substation_claiming_to_be_main_is_reported(project: Project) -> None:
    project.edit("en-shop/station.yaml", "kind: substation", "kind: main")
    assert errors(project) == [
        "content/en-shop/station.yaml: kind: only content/main can be the main station; expected substation (got 'main')"
    ]


def test_an_amount_with_three_decimals_is_reported(project: Project) -> None:
    project.edit("main/products/mobile.md", "wholesale: 98", "wholesale: 98.005")
    assert errors(project) == ["content/main/products/mobile.md: skus[0].wholesale: at most 2 decimal places (got 98.005)"]


def test_a_missing_required_field_is_reported(project: Project) -> None:
    project.edit("main/products/mobile.md", "    face_value: 100\n", "")
    assert errors(project) == ["content/main/products/mobile.md: skus[0].face_value: is required"]


def test_a_substation_without_pricing_is_reported(project: Project) -> None:
    project.edit("en-shop/station.yaml", "pricing:\n  markup_percent: 10\n", "")
    assert errors(project) == ["content/en-shop/station.yaml: pricing: is required"]


def test_a_negative_markup_is_reported(project: Project) -> None:
    project.edit("en-shop/station.yaml", "markup_percent: 10", "markup_percent: -5")
    assert errors(project) == [
        "content/en-shop/station.yaml: pricing.markup_percent: expected a percentage from 0 to 1000 (got -5)"
    ]


def test_a_domain_with_a_scheme_is_reported(project: Project) -> None:
    project.edit("en-shop/station.yaml", "domain: cards.example.org", "domain: https://cards.example.org/")
    assert errors(project) == [
        "content/en-shop/station.yaml: domain: expected a lowercase host name like shop.example.com,"
        " without https:// or a path (got 'https://cards.example.org/')"
    ]


def test_two_stations_on_one_domain_are_reported(project: Project) -> None:
    project.edit("en-shop/station.yaml", "domain: cards.example.org", "domain: shop.example.com")
    assert errors(project) == [
        "content/en-shop/station.yaml: domain: expected a domain no other station uses;"
        " content/main/station.yaml has it (got 'shop.example.com')"
    ]


def test_an_unknown_theme_is_reported(project: Project) -> None:
    project.edit("en-shop/station.yaml", "language: en", "language: en\ntheme: fancy")
    assert errors(project) == ["content/en-shop/station.yaml: theme: expected a folder under templates/ (got 'fancy')"]


def test_an_unsupported_language_is_reported(project: Project) -> None:
    project.edit("en-shop/station.yaml", "language: en", "language: fr")
    assert errors(project) == ["content/en-shop/station.yaml: language: expected 'zh-CN' or 'en' (got 'fr')"]


def test_products_in_a_substation_folder_are_its_own_goods_checked_like_mains(project: Project) -> None:
    project.write("en-shop/products/extra.md", "---\ntitle: x\n---\n")
    project.write("en-shop/stock/extra.md", "---\ntitle: x\n---\n")
    assert errors(project) == [
        "content/en-shop/stock: file: expected only images, landing.md, pages, products, station.yaml"
        " in a substation folder",
        "content/en-shop/products/extra.md: category: is required",
        "content/en-shop/products/extra.md: skus: is required",
    ]


def test_a_page_that_claims_the_order_pages_path_fails_the_build(project: Project) -> None:
    project.write("main/pages/order.md", "---\ntitle: 订单\n---\n正文\n")
    assert errors(project) == [
        "content/main/pages/order.md: output path: expected a path of its own; the order page writes it"
        " (got 'main/order/index.html')"
    ]


def test_a_page_slug_reserved_for_the_api_is_reported(project: Project) -> None:
    project.write("main/pages/api.md", "---\ntitle: API\n---\n正文\n")
    assert errors(project) == [
        "content/main/pages/api.md: file name: expected a slug of lowercase letters, digits or '-',"
        " other than api and assets (got 'api')"
    ]


def test_errors_name_files_under_the_content_folders_own_name(project: Project) -> None:
    project.write("main/products/mobile.md", "no front matter\n")
    catalogue = project.content.rename(project.root / "catalogue")
    with pytest.raises(ContentError) as raised:
        build(catalogue, project.site, project.templates)
    assert raised.value.messages[0].startswith("catalogue/main/products/mobile.md: front matter: ")


def test_every_mistake_of_a_build_is_reported_at_once(project: Project) -> None:
    project.edit("main/products/mobile.md", "category: top-up", "category: topup")
    project.edit("main/products/steam.md", 'retail: "102.00"', "retail: 90")
    project.edit("game-zone/station.yaml", "sells: [steam, qq-coin]", "sells: [steam, qq-coins]")
    project.edit("en-shop/station.yaml", "language: en", "language: fr")
    assert [message.split(":")[0] for message in errors(project)] == [
        "content/main/products/mobile.md",
        "content/main/products/steam.md",
        "content/en-shop/station.yaml",
        "content/game-zone/station.yaml",
    ]


def test_a_failed_build_leaves_the_previous_site_byte_identical_and_no_temp_folder(built: Project) -> None:
    before = tree(built.site)
    built.edit("main/products/steam.md", 'retail: "102.00"', "retail: 90")
    errors(built)
    assert tree(built.site) == before
    assert sorted(p.name for p in built.root.iterdir()) == ["content", "site"]


def test_a_build_that_crashes_while_rendering_leaves_the_site_and_no_temp_folder(built: Project, tmp_path: Path) -> None:
    before = tree(built.site)
    broken = tmp_path / "templates"
    shutil.copytree(built.templates, broken)
    page = broken / "default/product.html"
    page.write_text(page.read_text().replace("{{ front.title }}</h1>", "{{ front.no_such_field }}</h1>"))
    built.templates = broken
    built.edit("main/products/steam.md", "Steam 钱包码可用于购买游戏。", "改过的描述。")
    with pytest.raises(Exception, match="no_such_field"):
        built.build()
    assert tree(built.site) == before
    assert sorted(p.name for p in built.root.iterdir()) == ["content", "site", "templates"]


def test_an_unknown_station_field_does_not_hide_a_price_below_wholesale(project: Project) -> None:
    project.edit("game-zone/station.yaml", "steam-cny-100: 99.00", "steam-cny-100: 90.00")
    project.edit("game-zone/station.yaml", "name: 游戏小站", "name: 游戏小站\nslogan: 秒发")
    unknown, below_wholesale = errors(project)
    assert unknown.startswith("content/game-zone/station.yaml: slogan: unknown field; expected one of: announcement,")
    assert below_wholesale == (
        "content/game-zone/station.yaml: pricing.fixed.steam-cny-100: must be ≥ the wholesale price 95.00 (got 90.00)"
    )


def test_a_fourth_referral_level_does_not_hide_a_price_below_wholesale(project: Project) -> None:
    project.edit("game-zone/station.yaml", "steam-cny-100: 99.00", "steam-cny-100: 90.00")
    project.edit("game-zone/station.yaml", "name: 游戏小站", "name: 游戏小站\nreferrals:\n  levels_percent: [10, 5, 3, 1]")
    assert errors(project) == [
        "content/game-zone/station.yaml: referrals.levels_percent: at most 3 levels:"
        " 三级以上多级分销 is not allowed (got 4)",
        "content/game-zone/station.yaml: pricing.fixed.steam-cny-100: must be ≥ the wholesale price 95.00 (got 90.00)",
    ]


def test_an_unknown_product_field_does_not_hide_the_products_other_mistakes(project: Project) -> None:
    project.edit("main/products/mobile.md", "category: top-up", "category: topup\nsubtitle: x")
    messages = errors(project)
    assert [message.split(": ")[1] for message in messages] == ["subtitle", "category"]


def test_a_misspelt_field_suggests_the_field_it_resembles(project: Project) -> None:
    project.edit("main/products/steam.md", "summary:", "sumary:")
    assert errors(project) == [
        "content/main/products/steam.md: sumary: unknown field; did you mean 'summary'? expected one of: best_seller,"
        " category, delivery_hours, fields, fulfilment, images, loop_limit, skus, sort, summary, tags, title"
    ]


def test_a_misspelt_field_of_a_sku_suggests_the_field_it_resembles(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "min_per_order: 2", "min_per_ordr: 2")
    assert errors(project)[0].startswith(
        "content/main/products/qq-coin.md: skus[0].min_per_ordr: unknown field; did you mean 'min_per_order'?"
    )


def test_a_misspelt_coupon_field_suggests_the_field_it_resembles(project: Project) -> None:
    project.edit("game-zone/station.yaml", "name: 游戏小站", "name: 游戏小站\ncoupons:\n  - {code: WELCOME10, amont: 5}")
    assert errors(project)[0].startswith(
        "content/game-zone/station.yaml: coupons[0].amont: unknown field; did you mean 'amount'?"
    )


def test_a_mistake_in_an_optional_field_does_not_report_phantoms_downstream(project: Project) -> None:
    project.edit("game-zone/station.yaml", "sells: [steam, qq-coin]", "sells: [steam, QQ]")
    assert errors(project) == [
        "content/game-zone/station.yaml: sells[1]: expected 1–64 lowercase letters, digits or '-' (got 'QQ')"
    ]
