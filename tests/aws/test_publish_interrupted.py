"""`kameng publish` after a build killed mid-install: the site is rolled back before anything is planned."""
from __future__ import annotations

import pytest

from kameng import cli
from kameng.sitegen.write import SiteWriter
from tests.build.conftest import Project, built, project, tree  # noqa: F401  (fixtures)
from tests.build.killed_build import kill_build_mid_install


def uploaded(bucket, key: str) -> bytes:
    return bucket.get_object(Bucket="sites", Key=key)["Body"].read()


def test_publish_rolls_back_a_build_killed_mid_install_before_planning(publish_bucket, built: Project, capsys) -> None:
    before = tree(built.site)
    built.edit("main/station.yaml", "tagline: 正版点卡 秒发卡密", "tagline: 新的口号")
    kill_build_mid_install(built.content, built.site, built.templates, installs=3)
    assert tree(built.site) != before

    assert cli.main(["publish", "--bucket", "sites", "--site", str(built.site)]) == 0

    assert "rolled back a build killed after changing 3 files" in capsys.readouterr().out
    assert tree(built.site) == before
    for path in ("main/index.html", "game-zone/index.html", "en-shop/index.html"):
        assert uploaded(publish_bucket, path) == before[path]


def test_publish_refuses_while_a_build_is_writing_the_site(publish_bucket, built: Project, capsys) -> None:
    with pytest.raises(RuntimeError), SiteWriter(built.site):
        assert cli.main(["publish", "--bucket", "sites", "--site", str(built.site), "--dry-run"]) != 0
        raise RuntimeError("the build fails")
    assert "a build is writing it now" in capsys.readouterr().err
    assert "Contents" not in publish_bucket.list_objects_v2(Bucket="sites")
