"""The edge and the operations' data: a web ACL in front of every distribution, checkout's bounded
concurrency, access logs, and logs, alarms and dead letters encrypted under KMS."""
from __future__ import annotations

import pytest

WEB_ACL = {"Fn::If": ["CreateWebAcl", {"Fn::GetAtt": ["WebAcl", "Arn"]}, {"Ref": "WebAclArn"}]}
MANAGED = {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
           "AWSManagedRulesAmazonIpReputationList"}
NOTIFICATIONS = ("/api/webhooks/", "/api/suppliers/")


@pytest.fixture(scope="module")
def distributions(resources) -> dict:
    return {n: r["Properties"]["DistributionConfig"] for n, r in resources.items()
            if r["Type"] == "AWS::CloudFront::Distribution"}


@pytest.fixture(scope="module")
def rules(resources) -> dict:
    return {rule["Name"]: rule for rule in resources["WebAcl"]["Properties"]["Rules"]}


def test_every_distribution_is_behind_the_web_acl(distributions):
    assert {"Distribution", "ConsoleDistribution", "StagingDistribution"} <= set(distributions)
    for name, config in distributions.items():
        assert config["WebACLId"] == WEB_ACL, name


def test_the_stack_makes_its_web_acl_only_in_us_east_1_and_is_given_one_elsewhere(template, resources):
    acl = resources["WebAcl"]
    assert acl["Condition"] == "CreateWebAcl"
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert template["Conditions"]["CreateWebAcl"] == {"Fn::And": [
        {"Fn::Equals": [{"Ref": "WebAclArn"}, ""]}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]}
    assert "us-east-1" in template["Parameters"]["WebAclArn"]["AllowedPattern"]


def test_one_client_address_is_limited_but_no_payment_notification_is(rules, template):
    rate = rules["RatePerClientAddress"]
    assert rate["Action"] == {"Block": {}}
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == {"Ref": "WafRateLimit"}
    assert int(template["Parameters"]["WafRateLimit"]["Default"]) >= 100
    excluded = statement["ScopeDownStatement"]["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    assert {s["ByteMatchStatement"]["SearchString"] for s in excluded} == set(NOTIFICATIONS)


def test_the_aws_managed_rule_groups_apply(rules):
    groups = {r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r for r in rules.values()
              if "ManagedRuleGroupStatement" in r["Statement"]}
    assert set(groups) >= MANAGED
    for group in groups.values():
        assert group["OverrideAction"] == {"None": {}}  # the group's own actions, not merely counted
    # Only what would refuse Stripe's large events or a console page's HTML is counted instead of blocked.
    common = groups["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert {o["Name"] for o in common["RuleActionOverrides"]} == {"SizeRestrictions_BODY", "CrossSiteScripting_BODY"}
    assert "RuleActionOverrides" not in groups["AWSManagedRulesKnownBadInputsRuleSet"]["Statement"][
        "ManagedRuleGroupStatement"]
    assert sorted(r["Priority"] for r in rules.values()) == list(range(len(rules)))


def test_checkout_has_reserved_concurrency_so_a_burst_leaves_room_for_payments_and_delivery(functions, template):
    assert functions["CheckoutFunction"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Ref": "CheckoutConcurrency"}
    assert int(template["Parameters"]["CheckoutConcurrency"]["Default"]) >= 10
    for name in ("WebhookFunction", "ReleaseFunction", "GetOrderFunction"):
        assert "ReservedConcurrentExecutions" not in functions[name]["Properties"], name


def test_every_log_group_has_a_retention_and_is_encrypted(resources, functions):
    groups = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert len(groups) > len(functions)
    for name, group in groups.items():
        assert 0 < group["RetentionInDays"] <= 3653, name
        assert group["KmsKeyId"] == {"Fn::GetAtt": ["OpsKey", "Arn"]}, name


def test_the_alarm_topic_and_the_dead_letter_queue_are_encrypted_under_kms(resources):
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["OpsKey", "Arn"]}
    assert resources["ReleaseDeadLetterQueue"]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["OpsKey", "Arn"]}
    statements = {s["Sid"]: s for s in resources["OpsKey"]["Properties"]["KeyPolicy"]["Statement"]}
    # CloudWatch must be able to publish an alarm to the encrypted topic, or no alarm ever arrives.
    assert statements["CloudWatchPublishesAlarms"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert resources["OpsKey"]["Properties"]["EnableKeyRotation"] is True


def test_distributions_and_buckets_write_access_logs_to_the_log_bucket(distributions, resources):
    prefixes = []
    for name, config in distributions.items():
        assert config["Logging"]["Bucket"] == {"Fn::GetAtt": ["AccessLogsBucket", "DomainName"]}, name
        assert config["Logging"]["IncludeCookies"] is False, name  # session cookies stay out of logs
        prefixes.append(config["Logging"]["Prefix"])
    buckets = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::S3::Bucket"}
    for name, bucket in buckets.items():
        if name != "AccessLogsBucket":
            assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}, name
            prefixes.append(bucket["LoggingConfiguration"]["LogFilePrefix"])
    assert len(set(prefixes)) == len(prefixes)  # one folder each
    logs = buckets["AccessLogsBucket"]
    # CloudFront's standard logs are delivered with an ACL grant.
    assert logs["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (rule,) = logs["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and 0 < rule["ExpirationInDays"] <= 400
    assert all(logs["PublicAccessBlockConfiguration"].values())
