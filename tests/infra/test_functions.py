"""The template deploys exactly the handlers the code has: every route, the stream, the schedule."""
from __future__ import annotations

import importlib
import inspect
import re

import pytest

from kameng import routes
from kameng.config import SECRET_NAMES  # the rails' keys too: none may be in the template
from tests.infra.conftest import HANDLERS, events_of, handler_target

STREAM_TARGET = "kameng.handlers.release:handler"
SCHEDULE_TARGET = "kameng.handlers.sweeper:handler"
SYNC_TARGET = "kameng.handlers.sync:handler"


def _entry_points() -> set[str]:
    """Every function under handlers/ that Lambda could call: module-level, taking (event, context), or an
    owner endpoint's (event, owner) behind the owner gate."""
    found = set()
    for path in sorted(HANDLERS.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        dotted = ".".join(path.relative_to(HANDLERS).with_suffix("").parts)
        module = importlib.import_module(f"kameng.handlers.{dotted}")
        for name, value in vars(module).items():
            if not inspect.isfunction(value) or name.startswith("_"):
                continue
            # http.api and the owner gate wrap a handler; each wrapper keeps it as __wrapped__.
            code = inspect.unwrap(value)
            parameters = list(inspect.signature(code).parameters)[:2]
            if code.__module__ == module.__name__ and parameters in (["event", "context"], ["event", "owner"]):
                found.add(f"{module.__name__}:{name}")
    return found


def test_every_handler_named_in_the_template_imports(functions):
    for name, function in functions.items():
        handler = function["Properties"]["Handler"]
        assert re.fullmatch(r"kameng\.handlers(\.[a-z_]+)+\.[a-z_]+", handler), name
        module, _, attribute = handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), handler


def test_each_handler_is_deployed_once(functions):
    targets = [handler_target(f) for f in functions.values()]
    assert len(targets) == len(set(targets))


@pytest.mark.parametrize("route", routes.ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_route_has_exactly_one_http_api_event_calling_its_handler(functions, route):
    matching = [(handler_target(f), e) for f in functions.values() for e in events_of(f, "HttpApi")
                if e["Method"].upper() == route.method and e["Path"] == route.path]
    assert len(matching) == 1, f"{route.method} {route.path}: {len(matching)} HttpApi events"
    target, event = matching[0]
    assert target == route.target
    # The owner console's routes are on its own stack's API (infra/console.yaml), the others on the shop's.
    assert event["ApiId"] == {"Ref": "ConsoleApi" if route.path.startswith("/api/owner/") else "Api"}


def test_every_http_api_event_is_a_route(functions):
    known = {(r.method, r.path, r.target) for r in routes.ROUTES}
    for name, function in functions.items():
        for event in events_of(function, "HttpApi"):
            assert (event["Method"].upper(), event["Path"], handler_target(function)) in known, name


def test_the_table_stream_invokes_release_and_the_schedules_the_sweeper_and_the_sync(functions):
    streamed = [handler_target(f) for f in functions.values() if events_of(f, "DynamoDB")]
    scheduled = {handler_target(f): events_of(f, "Schedule") for f in functions.values() if events_of(f, "Schedule")}
    assert streamed == [STREAM_TARGET]
    assert set(scheduled) == {SCHEDULE_TARGET, SYNC_TARGET}
    assert [e["Schedule"] for e in scheduled[SCHEDULE_TARGET]] == ["rate(1 minute)"]
    assert [e["Schedule"] for e in scheduled[SYNC_TARGET]] == ["rate(15 minutes)"]


def test_functions_that_call_suppliers_outlast_three_supplier_timeouts(functions):
    # Failover tries up to three suppliers in a row, 10 s each, before the order is refunded.
    for name in ("ReleaseFunction", "SupplierCallbackFunction", "WebhookFunction", "WholesalePlaceOrderFunction",
                 "WholesaleOrderFunction"):
        assert functions[name]["Properties"]["Timeout"] >= 3 * 10 + 10, name
    # The sweeper stays below its period, so two runs never overlap.
    assert functions["SweeperFunction"]["Properties"]["Timeout"] < 60


def test_every_lambda_entry_point_in_handlers_is_deployed(functions):
    used = {r.target for r in routes.ROUTES} | {STREAM_TARGET, SCHEDULE_TARGET, SYNC_TARGET}
    entry_points = _entry_points()
    assert used <= entry_points, "a route, the stream or the schedule names a function handlers/ does not have"
    assert entry_points == {handler_target(f) for f in functions.values()}


def test_every_function_runs_as_globals_say(template, functions):
    settings = template["Globals"]["Function"]
    assert settings["Runtime"] == "python3.12"
    assert settings["Architectures"] == ["arm64"]
    assert settings["MemorySize"] == 256
    assert settings["Timeout"] == 10
    assert settings["Tracing"] == "Active"
    assert settings["CodeUri"] == "../functions"
    for name, function in functions.items():
        overridden = set(function["Properties"]) & {"Runtime", "Architectures", "Tracing", "CodeUri"}
        assert not overridden, f"{name} overrides {overridden}"
        # Only the console's builds and big imports get more memory (and with it, more CPU).
        assert function["Properties"].get("MemorySize", 256) in (256, 1024), name


def test_the_environment_chooses_the_aws_adapters_and_carries_no_secret(template, functions):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables == {
        "KAMENG_STORE": "dynamodb",
        "KAMENG_TABLE": {"Ref": "Table"},
        "KAMENG_GATEWAY": {"Ref": "CardGateway"},
        "KAMENG_RAILS": {"Ref": "Rails"},
        "KAMENG_ALIPAY_APP_ID": {"Ref": "AlipayAppId"},
        "KAMENG_WECHAT_MCHID": {"Ref": "WechatMchid"},
        "KAMENG_WECHAT_APPID": {"Ref": "WechatAppid"},
        "KAMENG_WECHAT_SERIAL": {"Ref": "WechatSerial"},
        "KAMENG_WECHAT_PUBLIC_KEY_ID": {"Ref": "WechatPublicKeyId"},
        "KAMENG_EPAY_URL": {"Ref": "EpayUrl"},
        "KAMENG_EPAY_PID": {"Ref": "EpayPid"},
        "KAMENG_CIPHER": "kms",
        "KAMENG_KMS_KEY_ID": {"Fn::GetAtt": ["KeysKey", "Arn"]},
        "KAMENG_PUBLIC_URL": "https://{domain}",
        "KAMENG_CONSOLE_URL": {"Fn::Sub": "https://${ConsoleDomain}"},
        "KAMENG_UPLOADS_BUCKET": {"Ref": "UploadsBucket"},
        "KAMENG_CONTENT_BUCKET": {"Ref": "ContentBucket"},
        "KAMENG_SITE_BUCKET": {"Ref": "SiteBucket"},
        "KAMENG_RESERVATION_MINUTES": {"Ref": "ReservationMinutes"},
        "KAMENG_SECRETS_ARN": {"Ref": "SecretsArn"},
        "KAMENG_MAIL": "ses",
        "KAMENG_MAIL_FROM": {"Ref": "MailFrom"},
        "KAMENG_SES_CONFIGURATION_SET": {"Ref": "MailConfigurationSet"},
        "KAMENG_OWNER_EMAIL": {"Ref": "OwnerEmail"},
        "KAMENG_DATA_DIR": "/tmp/kameng",
        "KAMENG_BEHIND_CLOUDFRONT": "true",
        "KAMENG_EDGE_TOKEN": {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]},
    }
    for name, function in functions.items():
        assert "Environment" not in function["Properties"], f"{name}: environment belongs in Globals"
    assert not set(variables) & set(SECRET_NAMES)


def test_the_store_adapter_reads_the_table_the_template_names(template):
    from kameng import config

    loaded = config.Config.model_validate({
        "KAMENG_STORE": "dynamodb", "KAMENG_TABLE": "kameng-Table-1", "KAMENG_CIPHER": "kms",
        "KAMENG_KMS_KEY_ID": "arn:aws:kms:ap-east-1:111122223333:key/example", "KAMENG_GATEWAY": "sandbox",
        "KAMENG_HASH_KEY": "A" * 43 + "=", "KAMENG_PUBLIC_URL": "https://{domain}", "KAMENG_DATA_DIR": "/tmp/kameng",
        "KAMENG_RESERVATION_MINUTES": "15",
    })
    assert (loaded.store, loaded.table, loaded.cipher) == ("dynamodb", "kameng-Table-1", "kms")


def test_the_mail_parameters_left_at_their_defaults_read_as_unset(template):
    from kameng import config

    parameters = template["Parameters"]
    assert "Default" not in parameters["MailFrom"], "SES needs a sender: the deploy must ask for one"
    assert parameters["OwnerEmail"]["Default"] == parameters["MailConfigurationSet"]["Default"] == ""
    loaded = config.load({
        "KAMENG_MAIL": "ses", "KAMENG_MAIL_FROM": "shop@example.com",
        "KAMENG_SES_CONFIGURATION_SET": parameters["MailConfigurationSet"]["Default"],
        "KAMENG_OWNER_EMAIL": parameters["OwnerEmail"]["Default"],
    })
    assert (loaded.mail, loaded.mail_from) == ("ses", "shop@example.com")
    assert loaded.ses_configuration_set is None and loaded.owner_email is None


def test_every_function_has_a_log_group_with_retention_and_an_errors_alarm(resources, functions):
    for name in functions:
        logs = [r for r in resources.values() if r["Type"] == "AWS::Logs::LogGroup"
                and r["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{name}}}"}]
        assert len(logs) == 1 and logs[0]["Properties"]["RetentionInDays"] > 0, name
        alarms = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"
                  and r["Properties"]["MetricName"] == "Errors"
                  and r["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": name}}]]
        assert len(alarms) == 1, name
        assert alarms[0]["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
