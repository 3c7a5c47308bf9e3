"""The console's publish builds stations on their own themes: `make deploy` ships every station theme."""
from __future__ import annotations

from tests.infra.conftest import REPO
from tests.infra.test_mail_templates import package, sam_built


def test_every_station_theme_ships_beside_the_functions_and_the_console_pages_do_not(tmp_path, functions):
    build = tmp_path / ".aws-sam" / "build"
    (code,) = sam_built(build, sorted(functions)[:1])
    done = package(build)
    assert done.returncode == 0, done.stderr
    shipped = sorted(path.name for path in (code / "templates").iterdir())
    assert {"default", "paper", "mail"} <= set(shipped) and "console" not in shipped
    assert (code / "templates/paper/theme.yaml").read_bytes() == (REPO / "templates/paper/theme.yaml").read_bytes()
