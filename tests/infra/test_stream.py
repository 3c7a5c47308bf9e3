"""The table stream wakes Release for exactly the orders that became paid or began awaiting their goods,
and failures are kept."""
from __future__ import annotations

import json

import pytest

from kameng.domain.order import OrderStatus
from kameng.adapters.dynamodb.stream import paid_order_id
from tests.infra.conftest import events_of


def matches(pattern, value) -> bool:
    """Lambda event filtering for the rules used here: nested keys, exact strings, prefix, anything-but."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(key in value and matches(rule, value[key]) for key, rule in pattern.items())
    return any(_matches_one(rule, value) for rule in pattern)


def _matches_one(rule, value) -> bool:
    if isinstance(rule, dict):
        ((kind, argument),) = rule.items()
        if kind == "prefix":
            return isinstance(value, str) and value.startswith(argument)
        if kind == "anything-but":
            return isinstance(value, str) and value not in argument
        raise AssertionError(f"no matcher for {kind} in this test: add it")
    return value == rule


def record(event: str, pk: str, sk: str, new: str | None, old: str | None = None) -> dict:
    def image(status):
        item = {"pk": {"S": pk}, "sk": {"S": sk}}
        if status is not None:
            item["status"] = {"S": status}
        return item

    dynamodb = {"SequenceNumber": "1"}
    if event != "REMOVE":
        dynamodb["NewImage"] = image(new)
    if event != "INSERT":
        dynamodb["OldImage"] = image(old)
    return {"eventName": event, "dynamodb": dynamodb}


PAID, PENDING, DELIVERED = OrderStatus.PAID.value, OrderStatus.PENDING.value, OrderStatus.DELIVERED.value
BECAME_PAID = [
    record("MODIFY", "ORDER#01J0A", "ORDER", PAID, PENDING),
    record("MODIFY", "ORDER#01J0B", "ORDER", PAID, OrderStatus.EXPIRED.value),
    record("INSERT", "ORDER#01J0C", "ORDER", PAID),
]
# Paid for goods a supplier (or the owner) delivers: Release sends them to the suppliers.
AWAITING = OrderStatus.AWAITING_DELIVERY.value
BECAME_AWAITING = [
    record("MODIFY", "ORDER#01J0J", "ORDER", AWAITING, PENDING),
    record("MODIFY", "ORDER#01J0K", "ORDER", AWAITING, OrderStatus.EXPIRED.value),
    record("INSERT", "ORDER#01J0L", "ORDER", AWAITING),
]
# A supplier's late answer rewrote the order while it still waits: it is being handled already.
STILL_AWAITING = record("MODIFY", "ORDER#01J0M", "ORDER", AWAITING, AWAITING)
IGNORED = [
    record("INSERT", "ORDER#01J0D", "ORDER", PENDING),
    record("MODIFY", "ORDER#01J0E", "ORDER", DELIVERED, DELIVERED),
    record("MODIFY", "ORDER#01J0F", "LEDGER#001", None, None),
    record("MODIFY", "POOL#steam-100#07", "KEY#01J0G", "reserved", "available"),
    record("INSERT", "EVENT#evt_1", "EVENT", None),
    record("REMOVE", "RATE#lookup#1", "RATE", None, None),
]
# Still paid, something else changed (a retry's no-op write): Release would only find it delivered.
STILL_PAID = record("MODIFY", "ORDER#01J0H", "ORDER", PAID, PAID)


@pytest.fixture(scope="module")
def stream(functions) -> dict:
    (event,) = events_of(functions["ReleaseFunction"], "DynamoDB")
    return event


def accepted(stream: dict, rec: dict) -> bool:
    return any(matches(json.loads(f["Pattern"]), rec) for f in stream["FilterCriteria"]["Filters"])


def test_every_order_that_became_paid_reaches_release(stream):
    for rec in BECAME_PAID:
        assert accepted(stream, rec), rec
        assert paid_order_id(rec) == rec["dynamodb"]["NewImage"]["pk"]["S"].removeprefix("ORDER#")


def test_every_order_that_began_awaiting_its_goods_reaches_release(stream):
    for rec in BECAME_AWAITING:
        assert accepted(stream, rec), rec
        assert paid_order_id(rec) == rec["dynamodb"]["NewImage"]["pk"]["S"].removeprefix("ORDER#")
    assert not accepted(stream, STILL_AWAITING)


def test_the_filters_fit_an_event_source_mappings_quota(stream):
    assert len(stream["FilterCriteria"]["Filters"]) <= 5


def test_records_release_would_skip_are_filtered_out_before_invoking_it(stream):
    for rec in IGNORED:
        assert paid_order_id(rec) is None, rec
        assert not accepted(stream, rec), rec
    assert not accepted(stream, STILL_PAID)


def test_failed_records_are_bisected_retried_and_then_dead_lettered(stream, resources):
    assert stream["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]  # the handler returns batchItemFailures
    assert stream["BisectBatchOnFunctionError"] is True
    assert 0 < stream["MaximumRetryAttempts"] <= 10
    assert stream["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": ["ReleaseDeadLetterQueue", "Arn"]}}}
    queue = resources["ReleaseDeadLetterQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": ["OpsKey", "Arn"]}


def test_dead_letters_the_api_and_every_function_raise_alarms_to_the_owner(resources, functions):
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)
    (dead_letters,) = [a for a in alarms if a["Namespace"] == "AWS/SQS"]
    assert dead_letters["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dead_letters["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReleaseDeadLetterQueue", "QueueName"]}}]
    assert (dead_letters["ComparisonOperator"], dead_letters["Threshold"]) == ("GreaterThanThreshold", 0)
    # The shop's API and the owner console's, each its own.
    apis = [a for a in alarms if a["Namespace"] == "AWS/ApiGateway"]
    assert all(a["MetricName"] == "5xx" for a in apis)
    assert sorted(a["Dimensions"][0]["Value"]["Ref"] for a in apis) == ["Api", "ConsoleApi"]
    assert len([a for a in alarms if a["Namespace"] == "AWS/Lambda"]) == len(functions)
    subscription = resources["AlarmSubscription"]["Properties"]
    assert subscription == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}


def test_the_outputs_name_what_publish_import_and_dns_need(template):
    outputs = template["Outputs"]
    assert outputs["DistributionDomainName"]["Value"] == {"Fn::GetAtt": ["Distribution", "DomainName"]}
    assert outputs["DistributionId"]["Value"] == {"Ref": "Distribution"}
    assert outputs["TableName"]["Value"] == {"Ref": "Table"}
    assert outputs["SiteBucketName"]["Value"] == {"Ref": "SiteBucket"}
    assert outputs["KeysKeyId"]["Value"] == {"Ref": "KeysKey"}
    assert "ApiEndpoint" in outputs
