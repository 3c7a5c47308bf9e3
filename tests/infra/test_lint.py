"""cfn-lint, with the SAM transform, finds nothing to report in the template and its nested console stack."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.infra.conftest import CONSOLE_TEMPLATE, REPO, TEMPLATE


@pytest.mark.parametrize("path", [TEMPLATE, CONSOLE_TEMPLATE], ids=lambda p: p.name)
def test_cfn_lint_reports_no_error_and_no_warning(path):
    # A subprocess: cfn-lint's SAM transform sets AWS_DEFAULT_REGION for its process.
    # A warning that must stay would be ignored, with its reason, in the template's Metadata.
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
         "--format", "json", str(path.relative_to(REPO))],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert run.stderr.strip() == "", run.stderr
    matches = json.loads(run.stdout or "[]")
    reported = [f"{m['Rule']['Id']} {m['Location']['Start']['LineNumber']}: {m['Message']}"
                for m in matches if m["Level"] in ("Error", "Warning")]
    assert reported == []
    assert run.returncode in (0, 8), run.stdout  # 8: informational matches only


def test_samconfig_deploys_the_stack_with_the_iam_capability_only():
    import tomllib

    config = tomllib.loads((TEMPLATE.parent / "samconfig.toml").read_text(encoding="utf-8"))
    deploy = config["default"]["deploy"]["parameters"]
    assert config["default"]["global"]["parameters"]["stack_name"]
    # Not CAPABILITY_NAMED_IAM: no role is given a name. AUTO_EXPAND: the console's nested SAM stack.
    assert deploy["capabilities"].split() == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert deploy["confirm_changeset"] is True
