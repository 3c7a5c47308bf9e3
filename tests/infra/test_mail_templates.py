"""The mail templates ship with the functions: `make deploy` puts templates/mail into every
function sam build made, and the deployed code finds them there, far from the repository."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import REPO

TEMPLATES = REPO / "templates" / "mail"


def sam_built(build: Path, names) -> list[Path]:
    """What sam build leaves for each function: a copy of CodeUri (functions/), one folder per function."""
    codes = []
    for name in names:
        code = build / name
        shutil.copytree(REPO / "functions" / "kameng", code / "kameng",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        codes.append(code)
    return codes


def package(build: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-s", "function-templates", f"SAM_BUILD={build}"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


@pytest.fixture
def packaged(tmp_path, functions) -> list[Path]:
    build = tmp_path / ".aws-sam" / "build"
    codes = sam_built(build, sorted(functions))
    (build / "template.yaml").write_text("# sam build's own template: not a function\n")
    done = package(build)
    assert done.returncode == 0, done.stderr
    return codes


def test_every_built_function_carries_the_mail_templates_as_the_repository_has_them(packaged):
    source = {p.name: p.read_bytes() for p in TEMPLATES.glob("*.txt")}
    assert source, "templates/mail holds no template"
    for code in packaged:
        shipped = {p.name: p.read_bytes() for p in (code / "templates" / "mail").glob("*.txt")}
        assert shipped == source, code.name


def test_the_deployed_code_renders_its_mail_from_its_own_copy(packaged, tmp_path):
    code = packaged[0]
    # As in Lambda: only the function's folder is importable, and no repository lies around it.
    probe = (
        "import json, kameng\n"
        "from kameng import config, wiring\n"
        "from kameng.services import notify\n"
        "folder = wiring.build(config.load()).settings.mail_templates\n"
        "subject, body = notify.render('delivered', 'zh-CN', folder, station_name='shop.example', order_id='01J',"
        " title='腾讯 Q 币', quantity=2, total='¥19.80', order_url='https://shop.example/o/01J#t=x')\n"
        "print(json.dumps({'package': kameng.__file__, 'templates': str(folder),"
        " 'subject': subject, 'body': body}))\n"
    )
    environment = {"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin", "KAMENG_DATA_DIR": str(tmp_path / "var")}
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env=environment)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert Path(seen["package"]).is_relative_to(code)
    assert Path(seen["templates"]) == code / "templates" / "mail"
    assert seen["subject"] and "https://shop.example/o/01J#t=x" in seen["body"]


def test_without_a_packaged_copy_the_repository_templates_are_used():
    from kameng import config

    assert config.mail_templates(REPO / "functions") == TEMPLATES
    assert config.MAIL_TEMPLATES == TEMPLATES


def test_packaging_refuses_a_build_folder_without_functions(tmp_path):
    done = package(tmp_path / "empty")
    assert done.returncode != 0 and "sam build" in done.stderr


def test_deploy_packages_the_templates_between_build_and_upload():
    planned = subprocess.run(["make", "--no-print-directory", "-n", "deploy"], cwd=REPO, capture_output=True,
                             text=True, timeout=60).stdout
    build, package_step, upload = (planned.index(s) for s in ("sam build", "function-templates", "sam deploy"))
    assert build < package_step < upload


def test_git_holds_one_copy_of_the_mail_templates():
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, timeout=60)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = listed.stdout.split()
    copies = [path for path in tracked if Path(path).name == "delivered.zh-CN.txt"]
    assert copies == ["templates/mail/delivered.zh-CN.txt"]
