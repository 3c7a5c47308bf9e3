"""checkov, offline, finds no failed check in the template nor in its nested console stack: every check passes
or is skipped beside its resource with the reason (Metadata: checkov: skip)."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.infra.conftest import CONSOLE_TEMPLATE, REPO, TEMPLATE

# Its own venv, made by the Makefile: checkov pins a boto3 other than the functions' (requirements-checkov.txt).
CHECKOV = REPO / ".venv" / "checkov" / "bin" / "checkov"


def _report(path) -> dict:
    """The whole report: without --quiet it lists passed and skipped checks too, the failed ones alike."""
    assert CHECKOV.exists(), f"{CHECKOV.relative_to(REPO)} is missing: run `make .venv/.installed` (see the Makefile)"
    run = subprocess.run(
        [str(CHECKOV), "-f", str(path.relative_to(REPO)), "--framework", "cloudformation",
         "--skip-download", "--compact", "-o", "json"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr  # 1: some check failed, which the report says
    report = json.loads(run.stdout)
    return report[0] if isinstance(report, list) else report


@pytest.fixture(scope="module")
def report() -> dict:
    return _report(TEMPLATE)


@pytest.fixture(scope="module")
def console_report() -> dict:
    return _report(CONSOLE_TEMPLATE)


@pytest.mark.parametrize("which", ["report", "console_report"])
def test_checkov_finds_no_failed_check_and_every_skip_says_why(which, request):
    report = request.getfixturevalue(which)
    failed = [f"{f['check_id']} {f['resource']}: {f['check_name']}" for f in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 100  # it did read the template's resources
    unexplained = [f"{s['check_id']} {s['resource']}" for s in report["results"]["skipped_checks"]
                   if len((s.get("check_result") or {}).get("suppress_comment") or "") < 20]
    assert unexplained == []


def test_the_checks_that_matter_pass_rather_than_being_skipped(report):
    skipped = {s["check_id"] for s in report["results"]["skipped_checks"]}
    # WAF and access logs on the distributions; SNS, SQS and log groups encrypted under KMS; buckets logged.
    for check in ("CKV_AWS_68", "CKV_AWS_86", "CKV_AWS_26", "CKV_AWS_27", "CKV_AWS_158", "CKV_AWS_192"):
        assert check not in skipped, check
    passed = {(p["check_id"], p["resource"]) for p in report["results"]["passed_checks"]}
    assert ("CKV_AWS_68", "AWS::CloudFront::Distribution.Distribution") in passed
    assert ("CKV_AWS_115", "AWS::Serverless::Function.CheckoutFunction") in passed  # reserved concurrency


def test_the_console_stacks_log_groups_and_api_pass_rather_than_being_skipped(console_report):
    skipped = {s["check_id"] for s in console_report["results"]["skipped_checks"]}
    assert "CKV_AWS_158" not in skipped  # log groups under the parent's OpsKey
    passed = {(p["check_id"], p["resource"]) for p in console_report["results"]["passed_checks"]}
    assert ("CKV_AWS_158", "AWS::Logs::LogGroup.OwnerMeLogs") in passed
    assert ("CKV_AWS_158", "AWS::Logs::LogGroup.ConsoleApiAccessLogs") in passed
