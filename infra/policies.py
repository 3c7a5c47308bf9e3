"""The building blocks of each function's rights and words in infra/template.yaml: IAM statements on the
stack's resources, and what the route table does not say about a function."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from kameng.adapters.cipher_kms import ENCRYPTION_CONTEXT

# ------------------------------------------------------------------ policy statements

TABLE = {"Fn::GetAtt": ["Table", "Arn"]}
TABLE_AND_INDEXES = [TABLE, {"Fn::Sub": "${Table.Arn}/index/*"}]
READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
# TransactWriteItems is authorised item by item: its Puts and Updates need these.
WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
SES_ARN = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"


def allow(sid: str, actions: list[str], resources: list[Any],
          condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": "Allow", "Action": _one_or_all(actions), "Resource": _one_or_all(resources)}
    if condition:
        statement["Condition"] = condition
    return statement


def _one_or_all(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else list(items)


def reads(sid: str = "ReadTable", actions: Sequence[str] = READ) -> dict[str, Any]:
    return allow(sid, list(actions), TABLE_AND_INDEXES)


def writes(sid: str, actions: Sequence[str] = WRITE) -> dict[str, Any]:
    return allow(sid, list(actions), [TABLE])


GET_ITEM = ["dynamodb:GetItem"]
# The wiring reads the secret once at start, for every function alike.
READ_SECRETS = allow("ReadSecrets", ["secretsmanager:GetSecretValue"], [{"Ref": "SecretsArn"}])
# Only data keys generated for card keys open.
OPEN_CARD_KEYS = allow("OpenCardKeys", ["kms:Decrypt"], [{"Fn::GetAtt": ["KeysKey", "Arn"]}], {"StringEquals": {
    f"kms:EncryptionContext:{key}": value for key, value in ENCRYPTION_CONTEXT.items()}})
# Sealing a card key asks KMS for a data key under the same context: only imports seal.
SEAL_CARD_KEYS = allow("SealCardKeys", ["kms:GenerateDataKey"], [{"Fn::GetAtt": ["KeysKey", "Arn"]}], {"StringEquals": {
    f"kms:EncryptionContext:{key}": value for key, value in ENCRYPTION_CONTEXT.items()}})
# The identity may be MailFrom or its domain (and, in the SES sandbox, the recipient):
# the condition, not the resource, pins the sender.
SEND_MAIL = allow("SendMail", ["ses:SendEmail"], [
    {"Fn::Sub": f"{SES_ARN}:identity/*"},
    {"Fn::If": ["UseMailConfigurationSet", {"Fn::Sub": f"{SES_ARN}:configuration-set/${{MailConfigurationSet}}"},
                {"Ref": "AWS::NoValue"}]},
], {"StringEquals": {"ses:FromAddress": {"Ref": "MailFrom"}}})

# ------------------------------------------------------------------ the functions


@dataclass(frozen=True)
class Trigger:
    """What invokes a function no route does."""

    says: str  # how its Description names it
    event: str  # its key under Events
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class Function:
    """What the route table does not say about a function: its names, its words and its rights."""

    name: str  # logical ids: <name>Function, <name>Logs, <name>ErrorsAlarm
    does: str  # the Description, after what invokes it
    alarm: str  # its Errors alarm's AlarmDescription
    grants: tuple[dict[str, Any], ...] = ()
    timeout: int | None = None
    # An HTTP event's key names the resources SAM makes for it: changing one replaces them.
    event: str = ""
    route_settings: dict[str, int] | None = None
    trigger: Trigger | None = None
    memory: int | None = None
    # 1: calls of this function never overlap (a station's publish writes one site).
    reserved_concurrency: int | None = None


# Each call of these costs a hash check or an e-mail; the function limits per shopper too.
FEW_PER_SECOND = {"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 20}
