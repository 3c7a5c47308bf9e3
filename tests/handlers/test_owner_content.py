"""The console's content editor: a station owner reads, tries and publishes their station's files."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kameng import content_wiring
from kameng.adapters.content_local import LocalContentFiles
from kameng.services import audit
from kameng.services.content_edit import ContentSite
from kameng.sitegen import build

from tests.support.owners import make_owner

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"
STATION = "game-zone"
CONTENT = f"/api/owner/stations/{STATION}/content"


@pytest.fixture
def world(tmp_path, deps):
    content, site = tmp_path / "content", tmp_path / "site"
    shutil.copytree(REPO / "content", content)
    build(content, site, TEMPLATES)
    content_wiring.use(ContentSite(LocalContentFiles(content), TEMPLATES, site_dir=site))
    yield content, site
    content_wiring.use(None)


@pytest.fixture
def owner(deps):
    return make_owner(deps, "owner@gamezone.example", "station_owner", STATION)


def _version(owner) -> str:
    return owner.call("GET", CONTENT).json["version"]


def test_the_editor_gets_the_stations_own_files_and_image_names(world, owner):
    answer = owner.call("GET", CONTENT)
    assert answer.status == 200
    paths = [f["path"] for f in answer.json["files"]]
    assert paths == ["landing.md", "pages/about.md", "products/gamezone-coach-pass.md", "station.yaml"]
    assert answer.json["images"] == ["coach-pass.svg", "logo.svg"]  # the logo, and its own goods' image


def test_a_broken_station_file_gets_the_builds_own_messages_and_nothing_is_written(world, owner):
    content, site = world
    before = (content / STATION / "station.yaml").read_text()
    broken = before.replace("markup_percent: 2", "markup_percent: lots")
    answer = owner.call("POST", f"{CONTENT}/check", {"files": {"station.yaml": broken}})
    assert answer.status == 200 and answer.json["ok"] is False
    assert any(m.startswith("content/game-zone/station.yaml: pricing.markup_percent:") for m in answer.json["messages"])
    assert answer.json["preview"] == {}
    assert (content / STATION / "station.yaml").read_text() == before


def test_publishing_broken_content_is_refused_with_the_messages(world, owner):
    content, _ = world
    broken = (content / STATION / "station.yaml").read_text().replace("markup_percent: 2", "markup_percent: lots")
    answer = owner.call("POST", f"{CONTENT}/publish", {"files": {"station.yaml": broken},
                                                      "expected_version": _version(owner)})
    assert answer.status == 422 and answer.code == "content_invalid"
    assert any("pricing.markup_percent" in f["msg"] for f in answer.json["error"]["fields"])
    assert "lots" not in (content / STATION / "station.yaml").read_text()


def test_the_preview_of_hostile_markdown_runs_no_script(world, owner):
    page = ("---\ntitle: 活动\n---\n<script>alert('x')</script>\n\n<img src=logo.svg onerror=alert(1)>\n\n"
            "[点我](javascript:alert(2))\n")
    answer = owner.call("POST", f"{CONTENT}/check", {"files": {"pages/promo.md": page}})
    assert answer.json["ok"] is True, answer.json["messages"]
    html = answer.json["preview"]["pages/promo.md"]
    assert "活动" in html
    assert "alert(" not in html and "onerror" not in html and "javascript:" not in html
    assert "landing.md" in answer.json["preview"]


@pytest.mark.parametrize("path", [
    "../main/station.yaml", "/etc/passwd", "products/steam-wallet.md", "pages/../../main/station.yaml",
    "images/logo.svg", "pages/api.md", "pages/sub/x.md", "pages/x.html", "landing.md/..", "main/station.yaml",
])
def test_only_the_stations_editable_files_can_be_written(world, owner, path):
    content, _ = world
    answer = owner.call("POST", f"{CONTENT}/publish", {"files": {path: "---\ntitle: x\n---\nx\n"},
                                                      "expected_version": _version(owner)})
    assert answer.status == 400, path
    assert not (content / "main" / "station.yaml").read_text().startswith("---")


def test_a_page_that_is_a_link_cannot_be_written_through(world, owner):
    content, _ = world
    os.symlink(content / "main" / "station.yaml", content / STATION / "pages" / "link.md")
    assert "pages/link.md" not in [f["path"] for f in owner.call("GET", CONTENT).json["files"]]
    answer = owner.call("POST", f"{CONTENT}/publish", {"files": {"pages/link.md": "---\ntitle: x\n---\n"},
                                                      "expected_version": _version(owner)})
    assert answer.status == 400
    assert "kind: main" in (content / "main" / "station.yaml").read_text()
    assert "kind: main" in (REPO / "content" / "main" / "station.yaml").read_text()


def test_oversized_files_are_refused(world, owner):
    answer = owner.call("POST", f"{CONTENT}/check", {"files": {"pages/big.md": "---\ntitle: x\n---\n" + "a" * 300_000}})
    assert answer.status == 400


def test_a_publish_from_a_stale_editor_is_refused(world, owner):
    content, _ = world
    version = _version(owner)
    landing = (content / STATION / "landing.md").read_text()
    first = owner.call("POST", f"{CONTENT}/publish", {"files": {"landing.md": landing + "\n第一次修改\n"},
                                                     "expected_version": version})
    assert first.status == 200
    second = owner.call("POST", f"{CONTENT}/publish", {"files": {"landing.md": landing + "\n第二次修改\n"},
                                                      "expected_version": version})
    assert second.status == 409 and second.code == "content_changed"
    assert "第一次修改" in (content / STATION / "landing.md").read_text()


def _files(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}


def test_publishing_rewrites_only_the_edited_stations_pages_and_is_audited(world, owner, deps):
    content, site = world
    before = _files(site)
    landing = (content / STATION / "landing.md").read_text()
    answer = owner.call("POST", f"{CONTENT}/publish", {"files": {"landing.md": landing + "\n新年特惠\n"},
                                                      "expected_version": _version(owner)})
    assert answer.status == 200, answer.body
    after = _files(site)
    changed = {path for path in after if before.get(path) != after[path]}
    assert f"{STATION}/index.html" in changed
    assert "新年特惠" in (site / STATION / "index.html").read_text()
    assert {path.split("/")[0] for path in changed} <= {STATION, ".build-manifest.json", ".price-books.json"} | {
        p for p in changed if p.startswith(".")}
    entry = [e for e in audit.entries(deps, STATION) if e.action == "content.publish"][-1]
    assert entry.actor == owner.email and entry.subject == "landing.md"
    assert entry.before["files"]["landing.md"] != entry.after["files"]["landing.md"]


def test_a_station_owner_may_not_move_the_stations_domain(world, owner, deps):
    content, _ = world
    text = (content / STATION / "station.yaml").read_text().replace("www.gamezone.example", "www.taken.example")
    answer = owner.call("POST", f"{CONTENT}/check", {"files": {"station.yaml": text}})
    assert answer.json["messages"] == [
        "content/game-zone/station.yaml: domain: only the platform owner may change this field"]
    platform = make_owner(deps, "boss@example.com", "platform_owner", None)
    assert platform.call("POST", f"{CONTENT}/check", {"files": {"station.yaml": text}}).json["ok"] is True


def test_another_stations_content_is_not_found(world, owner):
    assert owner.call("GET", "/api/owner/stations/av-club/content").status == 404
    answer = owner.call("POST", "/api/owner/stations/av-club/content/publish",
                        {"files": {"landing.md": "x"}, "expected_version": "x"})
    assert answer.status == 404


def test_staff_may_not_edit_content(world, deps):
    staff = make_owner(deps, "staff@gamezone.example", "staff", STATION)
    assert staff.call("GET", CONTENT).status == 403
    assert staff.call("POST", f"{CONTENT}/check", {"files": {"landing.md": "x"}}).status == 403
    assert staff.call("POST", f"{CONTENT}/publish", {"files": {"landing.md": "x"},
                                                      "expected_version": "x"}).status == 403


# ---------------------------------------------------------------- a substation's own goods (独立商品库)

PRODUCT = "products/gamezone-coach-pass.md"


def _product(content: Path) -> str:
    return (content / STATION / PRODUCT).read_text()


def test_a_station_owner_edits_and_publishes_their_own_product(world, owner, deps):
    content, site = world
    edited = _product(content).replace("retail: 30.00", "retail: 28.00").replace("自己的陪练团队", "自己的金牌陪练团队")
    checked = owner.call("POST", f"{CONTENT}/check", {"files": {PRODUCT: edited}})
    assert checked.json["ok"] is True, checked.json["messages"]
    assert "金牌陪练" in checked.json["preview"][PRODUCT]

    answer = owner.call("POST", f"{CONTENT}/publish", {"files": {PRODUCT: edited}, "expected_version": _version(owner)})

    assert answer.status == 200, answer.body
    assert answer.json["published"] == [PRODUCT]
    assert "金牌陪练" in (site / STATION / "p" / "gamezone-coach-pass" / "index.html").read_text()
    assert deps.store.price_books.price_book(STATION).line("gz-coach-1h").price == 2800
    assert "retail: 28.00" in _product(content)


def test_a_broken_own_product_gets_the_builds_messages_and_is_not_published(world, owner):
    content, _ = world
    broken = _product(content).replace("retail: 30.00", "retail: cheap")
    checked = owner.call("POST", f"{CONTENT}/check", {"files": {PRODUCT: broken}})
    assert checked.json["ok"] is False
    assert any(m.startswith(f"content/{STATION}/{PRODUCT}:") for m in checked.json["messages"]), checked.json
    answer = owner.call("POST", f"{CONTENT}/publish", {"files": {PRODUCT: broken}, "expected_version": _version(owner)})
    assert answer.status == 422 and answer.code == "content_invalid"
    assert "cheap" not in _product(content)


def test_an_own_product_is_neither_deleted_nor_given_supply_offers_by_a_station_owner(world, owner, deps):
    content, _ = world
    deleted = owner.call("POST", f"{CONTENT}/publish", {"files": {PRODUCT: None}, "expected_version": _version(owner)})
    assert deleted.status == 400 and (content / STATION / PRODUCT).is_file()
    supplied = _product(content).replace(
        "    low_stock: 5\n", "    low_stock: 5\n    supply:\n      - {supplier: sim-fast, product: CMCC30, cost: 10.00}\n", 1)
    assert supplied != _product(content)
    answer = owner.call("POST", f"{CONTENT}/check", {"files": {PRODUCT: supplied}})
    assert f"content/{STATION}/{PRODUCT}: skus.supply: only the platform owner may change this field" in \
        answer.json["messages"]


def test_the_main_stations_supply_and_another_stations_products_are_out_of_reach(world, deps):
    content, _ = world
    main_owner = make_owner(deps, "owner@shop.example", "station_owner", "main")
    listed = [f["path"] for f in main_owner.call("GET", "/api/owner/stations/main/content").json["files"]]
    assert listed and not [path for path in listed if path.startswith("products/")]
    steam = (content / "main" / "products" / "steam-wallet.md").read_text()
    answer = main_owner.call("POST", "/api/owner/stations/main/content/publish",
                             {"files": {"products/steam-wallet.md": steam + "\nx\n"},
                              "expected_version": main_owner.call("GET", "/api/owner/stations/main/content").json["version"]})
    assert answer.status == 400
    other = make_owner(deps, "owner@avclub.example", "station_owner", "av-club")
    assert other.call("GET", CONTENT).status == 404
    assert other.call("POST", f"{CONTENT}/publish", {"files": {PRODUCT: "x"}, "expected_version": "x"}).status == 404
    assert (content / "main" / "products" / "steam-wallet.md").read_text() == steam
