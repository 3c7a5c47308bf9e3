"""A build killed while installing its files: whatever reads site/ next rolls it back first, or refuses."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kameng.sitegen.write import SiteBusy, SiteWriter, ready, recover
from tests.build.conftest import Project, tree
from tests.build.killed_build import kill_build_mid_install

NEW_TAGLINE = ("tagline: 正版点卡 秒发卡密", "tagline: 新的口号")


def test_a_build_killed_mid_install_leaves_a_mix_that_recover_rolls_back(built: Project) -> None:
    before = tree(built.site)
    built.edit("main/station.yaml", *NEW_TAGLINE)
    kill_build_mid_install(built.content, built.site, built.templates, installs=3)
    mixed = tree(built.site)
    assert sum(mixed[path] != before[path] for path in before if path in mixed) == 3

    done = recover(built.site)

    assert done is not None and done.startswith("rolled back a build killed after changing 3 files in site/")
    assert tree(built.site) == before
    assert sorted(path.name for path in built.root.iterdir()) == ["content", "site"]


def test_ready_rolls_back_and_says_so_then_finds_nothing_more(built: Project) -> None:
    before = tree(built.site)
    built.edit("main/station.yaml", *NEW_TAGLINE)
    kill_build_mid_install(built.content, built.site, built.templates, installs=1)

    assert "rolled back" in (ready(built.site) or "")
    assert tree(built.site) == before
    assert ready(built.site) is None


def test_ready_refuses_while_a_build_is_writing_the_site(built: Project) -> None:
    with pytest.raises(RuntimeError), SiteWriter(built.site) as writer:
        writer.put("main/extra.txt", b"half a build")
        with pytest.raises(SiteBusy, match="a build is writing it now"):
            ready(built.site)
        raise RuntimeError("the build fails")
    assert not (built.site / "main/extra.txt").exists()


def test_the_next_build_after_a_killed_one_is_whole(built: Project) -> None:
    built.edit("main/station.yaml", *NEW_TAGLINE)
    kill_build_mid_install(built.content, built.site, built.templates, installs=2)
    built.build()
    assert "新的口号" in built.page("main/index.html")


def test_the_local_server_rolls_back_a_killed_install_before_it_serves(built: Project) -> None:
    before = tree(built.site)
    built.edit("main/station.yaml", *NEW_TAGLINE)
    kill_build_mid_install(built.content, built.site, built.templates, installs=2)
    # An address no interface has: the server recovers the site, then fails to bind and exits.
    server = subprocess.run(
        [sys.executable, "-m", "kameng.local", "--site", str(built.site), "--port", "8000", "--host", "256.0.0.1"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "KAMENG_DATA_DIR": str(built.root / "var")},
    )
    assert "rolled back a build killed after changing 2 files" in server.stderr, server.stderr
    assert tree(built.site) == before
