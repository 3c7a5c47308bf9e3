"""The template's table is infra/table.yaml's, and is what the design asks of it."""
from __future__ import annotations


def test_the_templates_table_is_table_yamls(resources, table_yaml):
    assert resources["Table"] == table_yaml["Table"]


def test_the_table_is_on_demand_recoverable_streamed_and_sealed_with_the_keys_key(resources):
    table = resources["Table"]
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["TimeToLiveSpecification"]["Enabled"] is True
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "KeysKey"}}
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_key_rotates_outlives_the_stack_and_has_an_alias(resources):
    key = resources["KeysKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    aliases = [r for r in resources.values() if r["Type"] == "AWS::KMS::Alias"]
    assert [a["Properties"]["TargetKeyId"] for a in aliases] == [{"Ref": "KeysKey"}]


def test_the_key_policy_gives_the_account_the_key_and_dynamodb_only_its_own_use(resources):
    statements = {s["Sid"]: s for s in resources["KeysKey"]["Properties"]["KeyPolicy"]["Statement"]}
    root = statements.pop("AccountAdministersAndDelegatesUseToIam")
    assert root["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    dynamodb = statements.pop("DynamoDBUsesKeyForThisAccount")
    assert dynamodb["Condition"] == {"StringEquals": {
        "kms:CallerAccount": {"Ref": "AWS::AccountId"},
        "kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}}}
    assert statements == {}
