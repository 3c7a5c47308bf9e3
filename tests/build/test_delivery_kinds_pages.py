"""The product page of a direct top-up asks for the buyer's fields; manual and loop products say how they arrive."""
from __future__ import annotations

from tests.build.conftest import Project
from tests.build.test_site_output import Elements

SUPPLIER = """
    kind: simulator
    title: 模拟货源
    balance: 100000.00
    products:
      - {code: CMCC50, title: 移动话费 50 元, cost: 49.00, kind: direct, fields: [phone]}
    """
TOP_UP = """
    ---
    title: 移动话费直充
    category: top-up
    fulfilment: direct
    fields:
      - name: phone
        label: {zh-CN: 手机号码, en: Phone number}
        pattern: '1[3-9]\\d{9}'
        example: "13800138000"
      - name: region
        label: {zh-CN: 归属地, en: Region}
        pattern: '[A-Za-z]{2,20}'
    skus:
      - id: cmcc-direct-50
        name: 50 元
        face_value: 50
        wholesale: 49.50
        retail: 50.00
        supply:
          - {supplier: sim-a, product: CMCC50, cost: 49.00}
    ---
    充值到手机号。
    """
MANUAL = """
    ---
    title: 代练上分
    category: game-cards
    fulfilment: manual
    delivery_hours: 24
    skus:
      - {id: boost-rank, name: 一个段位, face_value: 30, wholesale: 25.00, retail: 30.00}
    ---
    人工代练。
    """
LOOP = """
    ---
    title: 共享影音账号
    category: game-cards
    fulfilment: loop
    skus:
      - {id: shared-video, name: 一个月, face_value: 8, wholesale: 5.00, retail: 8.00}
    ---
    多人共用。
    """


def _with_delivery_kinds(project: Project) -> Project:
    project.write("suppliers/sim-a.yaml", SUPPLIER)
    project.write("main/products/topup.md", TOP_UP)
    project.write("main/products/boost.md", MANUAL)
    project.write("main/products/shared.md", LOOP)
    project.build()
    return project


def test_a_direct_top_up_asks_for_each_field_with_its_pattern_label_and_example(project: Project) -> None:
    page = Elements(_with_delivery_kinds(project).page("main/p/topup/index.html"))

    phone = page.first("input", name="fields.phone")
    assert phone["pattern"] == r"1[3-9]\d{9}"
    assert phone["placeholder"] == "13800138000"
    assert (phone["inputmode"], phone["autocomplete"]) == ("tel", "tel-national")
    assert "required" in phone
    region = page.first("input", name="fields.region")
    assert region["pattern"] == "[A-Za-z]{2,20}" and "placeholder" not in region
    assert region["inputmode"] == "text"
    # The error the API returns for a field is shown next to it, in the station's words.
    error = page.first("p", id="field-phone-error")
    assert phone["aria-describedby"] == "field-phone-error"
    assert error["data-t-invalid"] == "手机号码格式不正确，例如 13800138000"
    text = project.page("main/p/topup/index.html")
    assert "手机号码" in text and "归属地" in text and "直充" in text


def test_an_english_station_labels_the_fields_in_english(project: Project) -> None:
    page = Elements(_with_delivery_kinds(project).page("en-shop/p/topup/index.html"))

    error = page.first("p", id="field-phone-error")
    assert error["data-t-invalid"] == "Please check the Phone number, e.g. 13800138000"
    assert "Phone number" in project.page("en-shop/p/topup/index.html")


def test_manual_and_loop_products_say_how_they_are_delivered_and_ask_for_no_fields(project: Project) -> None:
    _with_delivery_kinds(project)
    manual = project.page("main/p/boost/index.html")
    loop = project.page("main/p/shared/index.html")
    card = project.page("main/p/steam/index.html")

    assert "人工发货，24 小时内送达" in manual
    assert "共享账号" in loop
    assert "付款后自动发货" in card and "人工发货" not in card
    for page in (manual, loop, card):
        assert 'name="fields.' not in page


def test_a_top_up_page_with_its_css_and_script_stays_under_30_kb(project: Project) -> None:
    _with_delivery_kinds(project)
    page = project.page("main/p/topup/index.html")
    elements = Elements(page)
    css = elements.first("link", rel="stylesheet")["href"]
    script = next(a["src"] for a in elements.all("script") if a.get("src"))
    files = (project.site / "main" / path.lstrip("/") for path in (css, script))
    total = len(page.encode()) + sum(file.stat().st_size for file in files)
    assert total <= 30 * 1024


def test_the_order_page_has_the_words_for_orders_awaiting_delivery_and_the_stations_time_zone(built: Project) -> None:
    zone = Elements(built.page("main/order/index.html")).first("div", id="order-page")
    english = Elements(built.page("en-shop/order/index.html")).first("div", id="order-page")

    assert zone["data-time-zone"] == "Asia/Shanghai"
    assert (zone["data-t-status-awaiting-manual"], zone["data-t-status-awaiting-supplier"]) == ("待发货", "充值中")
    assert zone["data-t-awaiting-manual-note"] == "人工发货中，预计 {time} 前送达，超时自动退款"
    assert english["data-t-status-awaiting-supplier"] == "Topping up"
