"""content/suppliers/synced.yaml: a synced supplier cost above a station's price marks the top-up not available
on that station's page, and a rebuild rewrites that page alone."""
from __future__ import annotations

import pytest

from kameng.sitegen import ContentError
from tests.build.conftest import Project
from tests.build.test_incremental import changed, stats

PAGE = "p/phone/index.html"
SYNCED = "suppliers/synced.yaml"


def synced(cost: str) -> str:
    return f"""
        skus:
          phone-50:
            - {{supplier: sim-a, product: "CMCC50", cost: {cost}}}
        """


@pytest.fixture
def supplied(project: Project) -> Project:
    project.write("suppliers/sim-a.yaml", """
        kind: simulator
        products:
          - {code: CMCC50, title: 移动话费 50 元, cost: 48.50, kind: direct, fields: [phone]}
        """)
    # 50.00 at main, +10 % (55.00) at en-shop; game-zone does not sell it.
    project.write("main/products/phone.md", r"""
        ---
        title: 话费直充
        category: top-up
        fulfilment: direct
        fields:
          - name: phone
            label: {zh-CN: 手机号码, en: Phone number}
            pattern: '1[3-9]\d{9}'
        skus:
          - id: phone-50
            name: 50 元
            face_value: 50
            wholesale: 48
            retail: 50.00
            supply:
              - {supplier: sim-a, product: CMCC50, cost: 48.50}
        ---
        付款后自动充值。
        """)
    project.write(SYNCED, synced('"48.50"'))
    project.build()
    return project


def test_a_synced_cost_above_one_stations_price_rewrites_that_page_alone(supplied: Project) -> None:
    assert "暂停销售" not in supplied.page(f"main/{PAGE}")
    before = stats(supplied.site)

    supplied.edit(SYNCED, '"48.50"', '"51.00"')
    report = supplied.build()

    assert changed(before, stats(supplied.site)) == [".build-digest", f"main/{PAGE}"]
    assert report.files_written == 2
    page = supplied.page(f"main/{PAGE}")
    assert '<span class="not-selling">暂停销售</span>' in page and 'value="phone-50"' in page
    assert 'disabled' in page.split('value="phone-50"')[1].split(">")[0]
    assert "Not available" not in supplied.page(f"en-shop/{PAGE}")

    # The cost falls back: the page sells again, and again no other file changes.
    before = stats(supplied.site)
    supplied.edit(SYNCED, '"51.00"', '"49.00"')
    supplied.build()
    assert changed(before, stats(supplied.site)) == [".build-digest", f"main/{PAGE}"]
    assert "暂停销售" not in supplied.page(f"main/{PAGE}")


def test_a_product_gone_from_every_catalogue_is_not_available_anywhere(supplied: Project) -> None:
    supplied.write(SYNCED, synced("null"))
    supplied.build()
    assert "暂停销售" in supplied.page(f"main/{PAGE}")
    assert "Not available" in supplied.page(f"en-shop/{PAGE}")


def test_a_mistake_in_the_synced_file_fails_the_build_naming_its_field(supplied: Project) -> None:
    supplied.write(SYNCED, synced('"abc"'))
    with pytest.raises(ContentError) as failed:
        supplied.build()
    assert any("suppliers/synced.yaml" in message and "skus.phone-50[0].cost" in message
               for message in failed.value.messages), failed.value.messages
