"""Writes infra/template.yaml and infra/console.yaml (`make infra`): infra/template.base.yaml with its
includes filled in and, for every route of functions/kameng/routes.py and every function no route invokes,
the function, its log group and its Errors alarm; the owner console's go into infra/console.base.yaml, the
nested stack of their own (infra/console_stack.py). What the route table does not say about a function is in
FUNCTIONS (the shop's) and infra/owner_functions.py (the owner console's)."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Sequence

import yaml

from kameng.routes import ROUTES, Route

# infra/ is no package: its modules find each other by folder, however this file is loaded.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from owner_functions import OWNER_FUNCTIONS  # noqa: E402
from policies import (FEW_PER_SECOND, GET_ITEM, OPEN_CARD_KEYS, READ_SECRETS, SEAL_CARD_KEYS, SEND_MAIL,  # noqa: E402
                      Function, Trigger, allow, reads, writes)
from supply_functions import SUPPLY_FUNCTIONS  # noqa: E402
from build_functions import BUILD_FUNCTIONS  # noqa: E402
import console_stack  # noqa: E402

INFRA = Path(__file__).resolve().parent
BASE = INFRA / "template.base.yaml"
TEMPLATE = INFRA / "template.yaml"
CONSOLE_BASE = INFRA / "console.base.yaml"
CONSOLE_TEMPLATE = INFRA / "console.yaml"

HEADER = """\
# Written by `make infra` (infra/template.py) from infra/template.base.yaml, infra/table.yaml,
# infra/cloudfront/host-router.js and functions/kameng/routes.py: edit those and run it again
# (tests/infra fails while this file differs from what it writes).
"""
CONSOLE_HEADER = """\
# Written by `make infra` (infra/template.py) from infra/console.base.yaml, infra/owner_functions.py
# and functions/kameng/routes.py: edit those and run it again (tests/infra fails while this file
# differs from what it writes). The Console resource of infra/template.yaml deploys it.
"""
INCLUDE = re.compile(r"(?P<indent> *)(?P<lead>- |(?P<key>\w+): )!Include (?P<path>\S+)")
FUNCTIONS_HERE = "  # @functions"


POSTER_CACHE = allow("KeepPosters", ["s3:GetObject", "s3:PutObject"],
                     [{"Fn::Sub": "${UploadsBucket.Arn}/private/posters/*"}])
# The dead-letter queue is encrypted under OpsKey: sending to it asks KMS for a data key.
SEAL_FAILED_RECORDS = allow("SealFailedRecords", ["kms:GenerateDataKey", "kms:Decrypt"],
                            [{"Fn::GetAtt": ["OpsKey", "Arn"]}])


FUNCTIONS: dict[str, Function] = {
    "kameng.handlers.checkout:handler": Function(
        "Checkout", "price from the price book, reserve keys, open the payment on the rail the shopper chose",
        "Checkout function failed (unhandled error or timeout)",
        # Low-stock alerts to OwnerEmail, after a sale crosses a SKU's threshold.
        (reads(), writes("ReserveKeysAndPlaceOrder"), READ_SECRETS, SEND_MAIL),
        # A flash sale's burst is throttled here rather than taking the concurrency that payment
        # notifications and delivery need (the parameter CheckoutConcurrency).
        reserved_concurrency={"Ref": "CheckoutConcurrency"}),  # type: ignore[arg-type]
    "kameng.handlers.webhook:handler": Function(
        "Webhook", "a rail's notification (Stripe, Alipay, WeChat Pay, 易支付): verify, then mark paid once and deliver",
        "Payment notification function failed (unhandled error or timeout); the rail will retry",
        # Delivery mail (inline release), and low-stock alerts after a late payment takes fresh keys. An order
        # its suppliers deliver is sent to them inline: card keys they return are sealed into stock first.
        (reads(), writes("ApplyPaymentAndDeliver"), SEAL_CARD_KEYS, READ_SECRETS, SEND_MAIL),
        # Up to three suppliers in a row at 10 s each: the HTTP API answers Stripe after 30 s (a retry of the
        # event is a no-op), and the function finishes the attempt it is in rather than leave it to the stream.
        timeout=60,
        event="StripeWebhook"),
    # 易支付's notifications come by GET: the same handler, with the same rights, as a function of its own.
    "kameng.handlers.webhook:handler_get": Function(
        "WebhookGet", "易支付's notification by GET: verify, then mark paid once and deliver",
        "易支付 notification function failed (unhandled error or timeout); the aggregator will retry",
        (reads(), writes("ApplyPaymentAndDeliver"), SEAL_CARD_KEYS, READ_SECRETS, SEND_MAIL),
        timeout=60),
    "kameng.handlers.orders:get_order": Function(
        "GetOrder", "the order and its opened card keys, for the holder of its token",
        "Order page function failed (unhandled error or timeout)",
        (reads(), OPEN_CARD_KEYS, READ_SECRETS)),
    "kameng.handlers.orders:report_problem": Function(
        "ReportProblem", "a shopper reports a problem with one of the order's keys (after-sales ticket)",
        "Problem report function failed (unhandled error or timeout)",
        # The order by its token; the ticket (put under a condition: one open ticket per key) and the
        # per-order rate-limit counter.
        (reads(), writes("OpenTicket"), READ_SECRETS),
        route_settings=FEW_PER_SECOND),
    "kameng.handlers.orders:open_pay_page": Function(
        "OpenPayPage", "hold a pending order's keys for its whole payment window, then on to the rail's pay page "
        "(or the shop's own page of a QR code or a bank transfer)",
        "Pay step function failed (unhandled error or timeout)",
        # The order and its station's price book by key; one conditional update of the order.
        (reads(actions=GET_ITEM), writes("HoldReservation", ["dynamodb:UpdateItem"]), READ_SECRETS)),
    # The JSAPI pay page's script, a constant: no policy at all.
    "kameng.handlers.pay_script:wechat_pay_script": Function(
        "WechatPayScript", "the script of the WeChat JSAPI pay page, on the station's own address",
        "WeChat pay script function failed (unhandled error or timeout)"),
    "kameng.handlers.orders:lookup_orders": Function(
        "LookupOrders", "a shopper's orders by e-mail and query password, rate limited",
        "Order lookup function failed (unhandled error or timeout)",
        # The rate-limit windows are counters (UpdateItem ADD); nothing else is written.
        (reads(), writes("CountLookups", ["dynamodb:UpdateItem"]), OPEN_CARD_KEYS, READ_SECRETS),
        # The route a password guesser would hammer.
        route_settings=FEW_PER_SECOND),
    "kameng.handlers.stock:handler": Function(
        "Stock", "stock per SKU of the station named by ?station= (cached a few seconds by CloudFront)",
        "Stock function failed (unhandled error or timeout)",
        (reads(), READ_SECRETS)),
    "kameng.handlers.account:sign_in": Function(
        "AccountSignIn", "mail a one-time sign-in link, rate limited, same answer for every address",
        "Account sign-in function failed (unhandled error or timeout)",
        # The station's price book (domain, language); the link's hash (PutItem) and the rate-limit
        # counters (UpdateItem ADD); the link, mailed.
        (reads("ReadPriceBook", GET_ITEM), writes("KeepLinkAndCount"), READ_SECRETS, SEND_MAIL),
        route_settings=FEW_PER_SECOND),
    "kameng.handlers.account:start_session": Function(
        "AccountSession", "use a sign-in link once, set the session cookie, bind a referral",
        "Account session function failed (unhandled error or timeout)",
        # The price book, the member and the referral code's owner; marking the link used, the
        # member's referral code and a referral binding with its welcome coupon.
        (reads(actions=GET_ITEM), writes("UseSignInLinkAndBindReferral"), READ_SECRETS)),
    # Clears the cookie and touches nothing else: no policy at all.
    "kameng.handlers.account:sign_out": Function(
        "AccountSignOut", "clear the session cookie",
        "Account sign-out function failed (unhandled error or timeout)"),
    "kameng.handlers.account:get_account": Function(
        "Account", "the signed-in shopper's orders (keys opened) and spend",
        "Account page function failed (unhandled error or timeout)",
        (reads(), OPEN_CARD_KEYS, READ_SECRETS)),
    "kameng.handlers.account:redeem_points": Function(
        "RedeemPoints", "spend the signed-in shopper's points for a coupon",
        "Points redemption function failed (unhandled error or timeout)",
        # One transaction: the points under a condition, and the coupon's two items.
        (reads(actions=GET_ITEM), writes("RedeemPoints"), READ_SECRETS)),
    "kameng.handlers.account:request_withdrawal": Function(
        "Withdraw", "ask for the signed-in referrer's withdrawable commissions",
        "Withdrawal request function failed (unhandled error or timeout)",
        # The price book, the member and their earnings (one partition's query); one transaction:
        # the member's withdrawn amount under a condition, and the request's two items.
        (reads(), writes("RequestWithdrawal"), READ_SECRETS),
        event="RequestWithdrawal"),
    "kameng.handlers.account:get_real_name": Function(
        "RealNameStatus", "the signed-in member's real-name status, masked",
        "Real-name status function failed (unhandled error or timeout)",
        (reads(actions=GET_ITEM), READ_SECRETS)),
    # The price book and the account's record by key; the day's attempt counter; the sealed record put once.
    # Calls the real-name provider over the internet (KAMENG_REAL_NAME).
    "kameng.handlers.account:verify_real_name": Function(
        "VerifyRealName", "verify the signed-in member's real name (实名认证) with the provider, once",
        "Real-name verification function failed (unhandled error or timeout)",
        (reads(actions=GET_ITEM), writes("VerifyRealName"), READ_SECRETS)),
    # The price book and the member by key; the drawn PNGs kept by content hash in the uploads bucket.
    "kameng.handlers.posters:referral_poster": Function(
        "ReferralPoster", "the signed-in shopper's referral poster (推广海报), a PNG with their link's QR code",
        "Referral poster function failed (unhandled error or timeout)",
        (reads(actions=GET_ITEM), POSTER_CACHE, READ_SECRETS), memory=1024),
    "kameng.handlers.posters:product_poster": Function(
        "ProductPoster", "a product's poster, a PNG with its price at the station and its page's QR code",
        "Product poster function failed (unhandled error or timeout)",
        (reads(actions=GET_ITEM), POSTER_CACHE, READ_SECRETS), memory=1024),
    "kameng.handlers.checkout:quote": Function(
        "Quote", "what checkout would charge now (level, coupon), shown before payment",
        "Quote function failed (unhandled error or timeout)",
        # The price book, the member, a coupon and its use counts: reads only.
        (reads(actions=GET_ITEM), READ_SECRETS)),
    "kameng.handlers.release:handler": Function(
        "Release", "deliver every order that became paid (the retry path of the webhook's inline release), "
        "send every order awaiting its goods to its suppliers, and count every delivery and refund in the statistics",
        "Release function failed as a whole (timeout or crash); failed records are retried, then dead-lettered",
        # The event source mapping sends records that kept failing to the queue with this function's role.
        # Supplier orders: each attempt kept before it is sent, card keys bought sealed into stock as a batch
        # of their supplier, and the order refunded through the gateway when every supplier failed.
        (reads(), writes("DeliverAndSupply"), SEAL_CARD_KEYS, READ_SECRETS,
         allow("SendFailedRecords", ["sqs:SendMessage"], [{"Fn::GetAtt": ["ReleaseDeadLetterQueue", "Arn"]}]),
         SEAL_FAILED_RECORDS, SEND_MAIL),
        # Three suppliers' timeouts in a row (3 x 10 s), with a margin for the store and the refund.
        timeout=60,
        trigger=Trigger("Table stream", "PaidOrders", "DynamoDB", {
            "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 10,
            # The handler returns batchItemFailures: only failed records are retried.
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 5,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["ReleaseDeadLetterQueue", "Arn"]}}},
            # Mirrors kameng.adapters.dynamodb.stream.paid_order_id and counted_change: the order item
            # (pk ORDER#...) whose status became "paid", "awaiting_delivery", "delivered" or "refunded".
            # Patterns in one list are OR-ed; an event source mapping takes at most 5.
            "FilterCriteria": {"Filters": [
                {"Pattern": '{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"pk":{"S":[{"prefix":"ORDER#"}]},'
                            '"status":{"S":["paid"]}},"OldImage":{"status":{"S":[{"anything-but":["paid"]}]}}}}'},
                {"Pattern": '{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"pk":{"S":[{"prefix":"ORDER#"}]},'
                            '"status":{"S":["delivered"]}},"OldImage":{"status":{"S":[{"anything-but":["delivered"]}]}}}}'},
                {"Pattern": '{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"pk":{"S":[{"prefix":"ORDER#"}]},'
                            '"status":{"S":["refunded"]}},"OldImage":{"status":{"S":[{"anything-but":["refunded"]}]}}}}'},
                {"Pattern": '{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"pk":{"S":[{"prefix":"ORDER#"}]},'
                            '"status":{"S":["awaiting_delivery"]}},'
                            '"OldImage":{"status":{"S":[{"anything-but":["awaiting_delivery"]}]}}}}'},
                {"Pattern": '{"eventName":["INSERT"],"dynamodb":{"NewImage":{"pk":{"S":[{"prefix":"ORDER#"}]},'
                            '"status":{"S":["paid","awaiting_delivery"]}}}}'},
            ]},
        })),
    "kameng.handlers.sweeper:handler": Function(
        "Sweeper", "return lapsed reservations to stock, expire their Stripe sessions, retry stalled deliveries "
        "and supplier orders, refund manual orders past their promise, ask suppliers about open attempts",
        "Sweeper failed (unhandled error or timeout); lapsed reservations wait for the next run",
        # Delivery mail, when it finishes a stalled release. Open supply attempts are read from the `due`
        # index (SUPPLY#<n>), never scanned; a late supplier's card keys are sealed into stock.
        (reads(), writes("LapseDeliverAndReconcile"), SEAL_CARD_KEYS, READ_SECRETS, SEND_MAIL),
        # Up to 200 due orders, each possibly a Stripe or a supplier's call; below the 60 s period so runs do not
        # pile up. What a run has no time for is the next run's: every step is applied under a condition.
        timeout=55,
        trigger=Trigger("Every minute", "EveryMinute", "Schedule",
                        {"Schedule": "rate(1 minute)", "Description": "Kameng sweeper"})),
}

# Every function called by a route, the stream or a schedule shifts to new code by CodeDeploy (gray
# release). Each adds a version, an alias and a deployment group, and CloudFormation takes at most 500
# resources a stack: the owner console's live in a nested stack of their own (CONSOLE).
GRAY_RELEASED = frozenset(FUNCTIONS) | frozenset(SUPPLY_FUNCTIONS) | frozenset(OWNER_FUNCTIONS)
CONSOLE = frozenset(OWNER_FUNCTIONS)
FUNCTIONS |= SUPPLY_FUNCTIONS | OWNER_FUNCTIONS | BUILD_FUNCTIONS

# checkov's checks every function fails by design, and why (Metadata beside each function).
FUNCTION_CHECKS_SKIPPED = (
    ("CKV_AWS_116", "A dead-letter queue takes only asynchronous invocations: HTTP calls answer their caller, the "
                    "stream's failed records go to ReleaseDeadLetterQueue, and a failed sweep is the next minute's"),
    ("CKV_AWS_117", "The functions reach only AWS APIs (IAM-signed, TLS) and the internet (Stripe, the rails, "
                    "suppliers); a VPC would add NAT gateways and guard nothing the roles do not"),
    ("CKV_AWS_173", "The environment holds names and ids only (encrypted at rest by Lambda); secrets are read "
                    "from Secrets Manager at start"),
)
UNRESERVED = ("CKV_AWS_115", "Reserved concurrency is taken from the account's pool: checkout's is bounded so a burst "
                             "cannot starve the others, and reserving for every function would starve them instead")


def function_resources(target: str, function: Function, route: Route | None, api: str = "Api") -> dict[str, Any]:
    """The function, its log group and its Errors alarm."""
    if route is not None:
        says, event_name = f"{route.method} {route.path}", function.event or function.name
        event = {"ApiId": {"Ref": api}, "Method": route.method, "Path": route.path}
        if function.route_settings:
            event["RouteSettings"] = dict(function.route_settings)
        events = {event_name: {"Type": "HttpApi", "Properties": event}}
    else:
        assert function.trigger is not None
        says = function.trigger.says
        # A trigger of no type is a caller holding its own right to invoke (a state machine): no event.
        events = {function.trigger.event: {"Type": function.trigger.type, "Properties": function.trigger.properties}
                  } if function.trigger.type else {}
    module, attribute = target.split(":")
    properties: dict[str, Any] = {"Description": f"{says} -- {function.does}", "Handler": f"{module}.{attribute}"}
    if function.timeout is not None:
        properties["Timeout"] = function.timeout
    if function.memory is not None:
        properties["MemorySize"] = function.memory
    if function.reserved_concurrency is not None:
        properties["ReservedConcurrentExecutions"] = function.reserved_concurrency
    if function.grants:
        properties["Policies"] = [{"Statement": list(function.grants)}]
    if events:
        properties["Events"] = events
    logical_id = f"{function.name}Function"
    if target in GRAY_RELEASED:
        properties |= gray_release(function)
    skipped = FUNCTION_CHECKS_SKIPPED + ((UNRESERVED,) if function.reserved_concurrency is None else ())
    return {
        logical_id: {"Type": "AWS::Serverless::Function", "Metadata": checkov_skips(skipped),
                     "Properties": properties},
        f"{function.name}Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}, "RetentionInDays": 30,
            "KmsKeyId": {"Fn::GetAtt": ["OpsKey", "Arn"]}}},
        # Errors count what the function's own code did not handle (an HTTP handler turns every
        # exception into a 500 answer; a timeout or crash still counts): any is worth a look.
        f"{function.name}ErrorsAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": function.alarm,
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": logical_id}}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
        }},
    }


def gray_release(function: Function) -> dict[str, Any]:
    """Calls go to the alias live (routes, stream and schedule alike), which CodeDeploy moves to each new
    version as DeploymentType says, and back if the function's Errors alarm goes off meanwhile."""
    return {"AutoPublishAlias": "live", "DeploymentPreference": {
        "Type": {"Ref": "DeploymentType"}, "Alarms": [{"Ref": f"{function.name}ErrorsAlarm"}]}}


def checkov_skips(checks: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"checkov": {"skip": [{"id": check, "comment": why} for check, why in checks]}}


def all_function_resources(routes: Sequence[Route] = ROUTES, console: bool = False) -> dict[str, Any]:
    """Every route's function in the route table's order, then the functions no route invokes: those of the
    parent stack, or (console) those of the owner console's, with its API and parameters."""
    unknown = [f"{r.method} {r.path} ({r.target})" for r in routes if r.target not in FUNCTIONS]
    if unknown:
        raise SystemExit(f"infra/template.py: say in FUNCTIONS what {', '.join(unknown)} may do")
    routed = [r.target for r in routes]
    shared = sorted({target for target in routed if routed.count(target) > 1})
    if shared:
        # A function has one HTTP event, so one route; its logical ids would collide.
        raise SystemExit(f"infra/template.py: {', '.join(shared)} serves more than one route")
    resources: dict[str, Any] = {}
    for route in routes:
        if (route.target in CONSOLE) == console:
            api = console_stack.API if console else "Api"
            resources |= function_resources(route.target, FUNCTIONS[route.target], route, api)
    for target, function in FUNCTIONS.items():
        if target in routed:
            continue
        if function.trigger is None:
            raise SystemExit(f"infra/template.py: {target} has neither a route nor a trigger")
        if (target in CONSOLE) == console:
            resources |= function_resources(target, function, None)
    return console_stack.as_parameters(resources) if console else resources


# ------------------------------------------------------------------ YAML


# PyYAML quotes a plain-looking scalar in a flow list when it holds a colon, and any tagged one;
# YAML reads these as the same strings unquoted, as the skeleton writes them.
PLAIN_IN_FLOW = re.compile(r"[A-Za-z][\w:.*/-]*(?<!:)")


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the shared statements are written out in full, not as anchors

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)  # "- " indented under its key, as in the skeleton

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        event = self.event
        if style != "'" or event.style or not (event.tag.startswith("!") or event.implicit[0]):
            return style
        analysis = self.analysis
        plain = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
        return "" if plain or (self.flow_level and PLAIN_IN_FLOW.fullmatch(event.value)) else style


def _intrinsic(data: dict[str, Any]) -> tuple[str, Any] | None:
    if len(data) != 1:
        return None
    ((key, value),) = data.items()
    if key == "Ref" or key.startswith("Fn::"):
        return "!" + key.removeprefix("Fn::"), ".".join(value) if key == "Fn::GetAtt" else value
    return None


def _scalar(item: Any) -> bool:
    """A string or a number, or an intrinsic function of one string (!Ref, !GetAtt, !Sub)."""
    if isinstance(item, dict):
        short = _intrinsic(item)
        return short is not None and isinstance(short[1], str)
    return isinstance(item, (str, int))


def _flow(items: list[Any]) -> bool:
    """Short lists of scalars on one line, as the skeleton writes them."""
    return len(repr(items)) <= 100 and all(_scalar(item) for item in items)


def _represent_dict(dumper: _Dumper, data: dict[str, Any]) -> yaml.Node:
    short = _intrinsic(data)
    if short is None:
        return dumper.represent_dict(data)
    tag, value = short
    if isinstance(value, str):
        return dumper.represent_scalar(tag, value)
    if isinstance(value, list):
        return dumper.represent_sequence(tag, value, flow_style=_flow(value))
    return dumper.represent_mapping(tag, value)


def _represent_list(dumper: _Dumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_flow(data))


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def dump_resources(resources: dict[str, Any]) -> list[str]:
    """Resource entries as lines under `Resources:`, a blank line between two."""
    lines: list[str] = []
    for logical_id, resource in resources.items():
        text = yaml.dump({logical_id: resource}, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True)
        lines += [""] * bool(lines) + ["  " + line for line in text.splitlines()]
    return lines


# ------------------------------------------------------------------ the template


def _without_leading_comments(text: str) -> list[str]:
    """A file's lines after its opening comments, which are about the file itself."""
    lines = text.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return lines


def include(indent: str, lead: str, key: str | None, path: str) -> list[str]:
    """A YAML file in place of `Key: !Include file.yaml` (the file is that one entry);
    any other file's text as a literal block."""
    text = (INFRA / path).read_text(encoding="utf-8")
    if path.endswith(".yaml"):
        lines = _without_leading_comments(text)
        if not key or not lines or lines[0] != f"{key}:":
            raise SystemExit(f"infra/template.py: {path} must hold the one entry {key}:")
        return [indent + line if line else "" for line in lines]
    return [f"{indent}{lead}|"] + [f"{indent}  {line}" if line else "" for line in text.splitlines()]


def render(routes: Sequence[Route] = ROUTES) -> str:
    """infra/template.yaml."""
    return _fill(BASE, HEADER, all_function_resources(routes))


def render_console(routes: Sequence[Route] = ROUTES) -> str:
    """infra/console.yaml, the owner console's nested stack."""
    all_function_resources(routes)  # the same checks of the route table as the parent's
    return _fill(CONSOLE_BASE, CONSOLE_HEADER, all_function_resources(routes, console=True))


def _fill(base: Path, header: str, functions: dict[str, Any]) -> str:
    lines = [*header.splitlines(), ""]
    found = False
    for line in _without_leading_comments(base.read_text(encoding="utf-8")):
        included = INCLUDE.fullmatch(line)
        if included:
            lines += include(included["indent"], included["lead"], included["key"], included["path"])
        elif line == FUNCTIONS_HERE:
            lines += dump_resources(functions)
            found = True
        else:
            lines.append(line)
    if not found:
        raise SystemExit(f"infra/template.py: {base.name} has no line {FUNCTIONS_HERE.strip()!r}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TEMPLATE.write_text(render(), encoding="utf-8")
    CONSOLE_TEMPLATE.write_text(render_console(), encoding="utf-8")
