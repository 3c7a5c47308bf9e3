"""Least privilege, function by function: what each may do to the table, the key and the secret."""
from __future__ import annotations

import json
import re
from pathlib import Path

import cfnlint
import pytest

from kameng.adapters import cipher_kms
from tests.infra.conftest import REPO

READ = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem"}
SECRET = {"secretsmanager:GetSecretValue"}
OPEN = {"kms:Decrypt"}
MAIL = {"ses:SendEmail"}
DELETE = {"dynamodb:DeleteItem"}
SEAL = {"kms:GenerateDataKey"}
OWNER = READ | SECRET
EXPECTED = {
    "CheckoutFunction": READ | WRITE | SECRET | MAIL,  # low-stock alerts
    # Delivery mail, low-stock alerts; card keys an order's supplier returns inline are sealed into stock.
    "WebhookFunction": READ | WRITE | SEAL | SECRET | MAIL,
    "WebhookGetFunction": READ | WRITE | SEAL | SECRET | MAIL,  # 易支付's notifications, by GET
    "GetOrderFunction": READ | OPEN | SECRET,
    "OpenPayPageFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem"} | SECRET,  # the order's hold moved forward
    "LookupOrdersFunction": READ | {"dynamodb:UpdateItem"} | OPEN | SECRET,
    "StockFunction": READ | SECRET,
    # The dead-letter queue is encrypted under OpsKey: a sender generates and checks a data key.
    "ReleaseFunction": READ | WRITE | SEAL | SECRET | {"sqs:SendMessage", "kms:Decrypt"} | MAIL,
    "SweeperFunction": READ | WRITE | SEAL | SECRET | MAIL,
    # Supply: a reseller's signed requests (each uses up its nonce), suppliers' callbacks, the sync.
    "WholesaleCatalogueFunction": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"} | SECRET,
    "WholesaleBalanceFunction": {"dynamodb:GetItem", "dynamodb:PutItem"} | SECRET,
    # A reseller's order is delivered from stock or bought from suppliers, and answered with its keys.
    "WholesalePlaceOrderFunction": READ | WRITE | OPEN | SEAL | SECRET | MAIL,
    "WholesaleOrderFunction": READ | WRITE | OPEN | SEAL | SECRET | MAIL,
    "SupplierCallbackFunction": READ | WRITE | SEAL | SECRET | MAIL,
    # Sync records and the run's audit entry; synced costs into content, the changed stations' pages published.
    # UpdateItem: its publish lease is let go (services/rollout.py).
    "SupplierSyncFunction": READ | {"dynamodb:PutItem", "dynamodb:UpdateItem"} | SECRET | {"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                                                   "s3:ListBucket"},
    "AccountSignInFunction": {"dynamodb:GetItem"} | WRITE | SECRET | MAIL,
    "AccountSessionFunction": {"dynamodb:GetItem"} | WRITE | SECRET,  # referral binding, the member's code
    "RedeemPointsFunction": {"dynamodb:GetItem"} | WRITE | SECRET,
    "QuoteFunction": {"dynamodb:GetItem"} | SECRET,
    # The price book and the member; the drawn posters, kept in the uploads bucket by content hash.
    "ReferralPosterFunction": {"dynamodb:GetItem"} | SECRET | {"s3:GetObject", "s3:PutObject"},
    "ProductPosterFunction": {"dynamodb:GetItem"} | SECRET | {"s3:GetObject", "s3:PutObject"},
    "WithdrawFunction": READ | WRITE | SECRET,
    # The account's record by key; the day's attempt counter and the sealed record, put once.
    "RealNameStatusFunction": {"dynamodb:GetItem"} | SECRET,
    "VerifyRealNameFunction": {"dynamodb:GetItem"} | WRITE | SECRET,
    "AccountSignOutFunction": set(),
    "WechatPayScriptFunction": set(),
    "AccountFunction": READ | OPEN | SECRET,
    "ReportProblemFunction": READ | WRITE | SECRET,
    # The owner console: every function reads the owner (and the shop's secret, for sessions).
    "OwnerSignInFunction": {"dynamodb:GetItem"} | WRITE | SECRET | MAIL,
    "OwnerSessionFunction": OWNER | WRITE,
    "OwnerSecondFactorFunction": OWNER | WRITE,
    "OwnerSignOutFunction": set(),
    "OwnerMeFunction": OWNER,
    "OwnerDashboardFunction": OWNER,
    "OwnerPlatformDashboardFunction": OWNER,
    "OwnerOrdersFunction": OWNER,
    "OwnerOrderFunction": OWNER,
    "OwnerRevealKeyFunction": OWNER | OPEN | WRITE,
    "OwnerResendDeliveryFunction": OWNER | WRITE | MAIL,
    "OwnerRefundOrderFunction": OWNER | WRITE | MAIL,
    "OwnerDeliverOrderFunction": OWNER | WRITE | SEAL | MAIL,  # a manual delivery's text, sealed
    # An order the risk rules held: delivered as a confirmed payment's is, or refunded.
    "OwnerApproveOrderFunction": OWNER | WRITE | SEAL | MAIL,
    "OwnerRejectOrderFunction": OWNER | WRITE | MAIL,
    # A bank transfer matched or confirmed is a payment: applied and delivered as a notification's is.
    "OwnerTransfersFunction": OWNER,
    "OwnerImportStatementFunction": OWNER | WRITE | SEAL | MAIL,
    "OwnerConfirmTransferFunction": OWNER | WRITE | SEAL | MAIL,
    "OwnerRefundPaidFunction": OWNER | WRITE,
    "OwnerTicketsFunction": OWNER,
    "OwnerTicketFunction": OWNER,
    "OwnerReplyTicketFunction": OWNER | WRITE | DELETE | MAIL,
    "OwnerReplaceKeyFunction": OWNER | WRITE | DELETE | MAIL,
    "OwnerRefundKeyFunction": OWNER | WRITE | DELETE | MAIL,
    "OwnerStockFunction": OWNER,
    "OwnerThresholdFunction": OWNER | WRITE | DELETE,
    "OwnerOpenUploadFunction": OWNER | WRITE | {"s3:PutObject"},
    "OwnerImportUploadFunction": OWNER | WRITE | SEAL | {"s3:GetObject", "s3:DeleteObject"},
    "OwnerVoidKeysFunction": OWNER | WRITE,
    "OwnerCouponsFunction": OWNER,
    "OwnerGiveCouponFunction": OWNER | WRITE,
    "OwnerWithdrawalsFunction": OWNER,
    "OwnerSettleWithdrawalFunction": OWNER | WRITE,
    "OwnerStatementFunction": OWNER,
    "OwnerPayoutsFunction": OWNER,
    "OwnerRequestPayoutFunction": OWNER | WRITE,
    "OwnerDecidePayoutFunction": OWNER | WRITE,
    "OwnerContentFunction": OWNER | {"s3:GetObject", "s3:ListBucket"},
    "OwnerCheckContentFunction": OWNER | {"s3:GetObject", "s3:ListBucket"},
    "OwnerPublishContentFunction": OWNER | WRITE | {"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                                    "s3:ListBucket"},
    "OwnerAuditFunction": OWNER,
    "OwnerPlatformAuditFunction": OWNER,
    "OwnerVerifyAuditFunction": OWNER,
    # One station of the fanned-out full build: content read, the site and the price book published.
    "BuildStationFunction": OWNER | WRITE | {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"},
}
TABLE = {"Fn::GetAtt": ["Table", "Arn"]}
INDEXES = {"Fn::Sub": "${Table.Arn}/index/*"}
BASIC_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
# Added by SAM for the DynamoDB event: stream reads (DescribeStream, GetRecords, ...) only.
STREAM_MANAGED = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(function: dict) -> list[dict]:
    found = []
    for policy in function["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and set(policy) == {"Statement"}, \
            "inline statements only: SAM policy templates such as DynamoDBCrudPolicy grant more than a function needs"
        found += policy["Statement"]
    return found


def actions(function: dict) -> set[str]:
    return {a for s in statements(function) if s["Effect"] == "Allow" for a in _listed(s["Action"])}


def test_each_function_is_granted_exactly_what_it_uses(functions):
    assert set(functions) == set(EXPECTED)
    for name, function in functions.items():
        assert actions(function) == EXPECTED[name], name


def test_no_policy_grants_a_wildcard_action_or_resource(functions, transformed, console_transformed):
    for name, function in functions.items():
        for statement in statements(function):
            for action in _listed(statement["Action"]):
                assert "*" not in action, f"{name}: {action}"
            for resource in _listed(statement["Resource"]):
                assert resource != "*", f"{name}: {statement.get('Sid')}"
    # And in the roles SAM generates from them, in both stacks.
    for name, role in (transformed["Resources"] | console_transformed["Resources"]).items():
        if role["Type"] != "AWS::IAM::Role":
            continue
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                for action in _listed(statement["Action"]):
                    assert not re.fullmatch(r"(dynamodb|kms|secretsmanager|sqs):\*|\*", action), f"{name}: {action}"


def test_every_action_is_one_iam_knows(functions):
    # cfn-lint validates policy structure, not action names: a typo would deploy and deny.
    known = json.loads((Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json").read_text())
    for name, function in functions.items():
        for action in actions(function):
            service, _, operation = action.partition(":")
            assert operation.lower() in known[service]["Actions"], f"{name}: {action}"


def test_table_reads_cover_its_indexes_and_writes_only_the_table(functions):
    for name, function in functions.items():
        for statement in statements(function):
            granted = set(_listed(statement["Action"]))
            if granted <= READ:
                assert _listed(statement["Resource"]) == [TABLE, INDEXES], name
            elif granted <= WRITE | DELETE:
                assert _listed(statement["Resource"]) == [TABLE], name


# Imports seal (the owner's upload, and keys bought from a supplier, which go into stock before an order takes
# them), and so does an owner's manual delivery, its text.
SEALS = ("OwnerImportUploadFunction", "OwnerDeliverOrderFunction", "WebhookFunction", "WebhookGetFunction",
         "ReleaseFunction", "SweeperFunction", "SupplierCallbackFunction", "WholesalePlaceOrderFunction",
         "WholesaleOrderFunction", "OwnerImportStatementFunction", "OwnerConfirmTransferFunction",
         "OwnerApproveOrderFunction")
# Keys are opened for their buyer only: the order pages, an owner's audited reveal, a reseller's order answer.
OPENS = ("GetOrderFunction", "LookupOrdersFunction", "AccountFunction", "OwnerRevealKeyFunction",
         "WholesalePlaceOrderFunction", "WholesaleOrderFunction")


def test_only_buyers_answers_and_an_owners_reveal_open_card_keys_only_imports_seal_them(functions):
    for name, function in functions.items():
        for statement in statements(function):
            kms = [a for a in _listed(statement["Action"]) if a.startswith("kms:")]
            if not kms:
                continue
            if statement["Resource"] == {"Fn::GetAtt": ["OpsKey", "Arn"]}:
                assert name == "ReleaseFunction", f"{name}: only the release sends to the encrypted dead-letter queue"
                continue
            # Sealing and opening are separate statements, each granted only where it is used.
            if kms == ["kms:GenerateDataKey"]:
                assert name in SEALS, f"{name}: sealing (GenerateDataKey) is for imports only"
            else:
                assert kms == ["kms:Decrypt"], f"{name}: {kms}"
                assert name in OPENS, f"{name} may not open card keys"
            assert statement["Resource"] == {"Fn::GetAtt": ["KeysKey", "Arn"]}
            assert statement["Condition"] == {"StringEquals": {
                f"kms:EncryptionContext:{key}": value for key, value in cipher_kms.ENCRYPTION_CONTEXT.items()}}


def test_the_secret_is_read_by_its_arn_only(functions):
    for name, function in functions.items():
        for statement in statements(function):
            if any(a.startswith("secretsmanager:") for a in _listed(statement["Action"])):
                assert statement["Resource"] == {"Ref": "SecretsArn"}, name


def test_mail_goes_only_from_the_mail_from_address(functions):
    for name, function in functions.items():
        for statement in statements(function):
            if "ses:SendEmail" not in _listed(statement["Action"]):
                continue
            assert _listed(statement["Action"]) == ["ses:SendEmail"], name
            assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "MailFrom"}}}, name
            identities, configuration_set = statement["Resource"]
            assert identities == {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}
            assert configuration_set["Fn::If"][0] == "UseMailConfigurationSet", name


def test_release_sends_failed_records_only_to_its_dead_letter_queue(functions):
    (statement,) = [s for s in statements(functions["ReleaseFunction"]) if s["Action"] == "sqs:SendMessage"]
    assert statement["Resource"] == {"Fn::GetAtt": ["ReleaseDeadLetterQueue", "Arn"]}


def test_roles_carry_no_other_managed_policy(transformed, console_transformed):
    roles: dict = {}
    # Each stack's CodeDeploy role, for the gray release of its functions, with AWS's policy made for it.
    for stack in (transformed, console_transformed):
        found = {name: r for name, r in stack["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
        deployer = found.pop("CodeDeployServiceRole")
        assert deployer["Properties"]["ManagedPolicyArns"] == [
            "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"]
        assert not set(found) & set(roles)
        roles |= found
    # The full build's fan-out may invoke its one function and make its one invalidation, nothing else.
    machine = roles.pop("BuildStationsStateMachineRole")
    assert set(machine["Properties"].get("ManagedPolicyArns", [])) <= {"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"}
    assert set(roles) == {f"{name}Role" for name in EXPECTED}
    for name, role in roles.items():
        extra = {STREAM_MANAGED} if name == "ReleaseFunctionRole" else set()
        assert set(role["Properties"]["ManagedPolicyArns"]) == BASIC_MANAGED | extra, name


def _adapter_actions() -> set[str]:
    """The DynamoDB actions the store adapter can call (a transaction is authorised per item)."""
    package = REPO / "functions" / "kameng" / "adapters" / "dynamodb"
    source = "\n".join(module.read_text(encoding="utf-8") for module in sorted(package.glob("*.py")))
    calls = {
        "get_item": {"dynamodb:GetItem"}, "batch_get_item": {"dynamodb:BatchGetItem"}, "query": {"dynamodb:Query"},
        "put_item": {"dynamodb:PutItem"}, "update_item": {"dynamodb:UpdateItem"},
        "delete_item": {"dynamodb:DeleteItem"}, "scan": {"dynamodb:Scan"},
        "batch_write_item": {"dynamodb:BatchWriteItem"}, "transact_get_items": {"dynamodb:GetItem"},
        "transact_write_items": set(), "execute_statement": {"dynamodb:PartiQLSelect"},
    }
    items = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
             "ConditionCheck": "dynamodb:ConditionCheckItem"}
    found: set[str] = set()
    for method in re.findall(r"\bclient\.(\w+)\(", source):
        if method in ("get_paginator", "get_waiter", "describe_table", "create_table", "update_time_to_live"):
            continue
        assert method in calls, f"the DynamoDB store calls {method}: map it to IAM actions here and grant them"
        found |= calls[method]
    found |= {items[op] for op in re.findall(r'\{\s*"(Put|Update|Delete|ConditionCheck)"\s*:', source)}
    return found


@pytest.mark.parametrize("name", ["CheckoutFunction", "WebhookFunction", "WebhookGetFunction", "ReleaseFunction",
                                  "SweeperFunction", "SupplierCallbackFunction", "WholesalePlaceOrderFunction",
                                  "WholesaleOrderFunction", "OwnerImportStatementFunction", "OwnerConfirmTransferFunction"])
def test_functions_that_move_keys_may_make_every_call_the_store_adapter_makes(functions, name):
    # Deleting is for owners' tools alone (a ticket's lock, a cleared threshold, a reset second factor).
    needed = _adapter_actions() - DELETE
    assert needed, "found no DynamoDB call in adapters/dynamodb/"
    assert needed <= actions(functions[name]), f"grant {sorted(needed - actions(functions[name]))} to {name}"
