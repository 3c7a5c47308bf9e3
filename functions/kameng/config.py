"""Configuration from the environment, checked once at start with a clear message.

The embedded default needs no variable at all: data lives in ./var. At scale
the same variables choose DynamoDB, Stripe, KMS and SES; secrets may come from
one Secrets Manager secret (KAMENG_SECRETS_ARN) instead of the environment.
Suppliers' secrets (KAMENG_SUPPLIER_<NAME>_SECRET) may be kept in that secret too: loading the
process's configuration puts them in its environment, where the supplier directory reads them.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kameng.rail_config import SECRET_NAMES as RAIL_SECRET_NAMES, RailConfigError, RailSettings
from kameng.real_name_config import SECRET_NAMES as REAL_NAME_SECRET_NAMES, RealNameSettings

REPO = Path(__file__).resolve().parents[2]
# The folder holding the kameng package: functions/ in the repository, the code root in Lambda.
CODE_ROOT = Path(__file__).resolve().parents[1]
SECRET_NAMES = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "KAMENG_HASH_KEY") + RAIL_SECRET_NAMES + REAL_NAME_SECRET_NAMES
# kameng.adapters.supplier_directory.secret_name: a supplier's name, upper case, `-` as `_`.
SUPPLIER_SECRET = re.compile(r"KAMENG_SUPPLIER_[A-Z0-9_]+_SECRET")


class ConfigError(Exception):
    pass


def mail_templates(code_root: Path = CODE_ROOT) -> Path:
    """templates/mail beside the package where `make deploy` put it, else the repository's own."""
    # templates/mail in the repository is the one source; sam build ships only functions/.
    packaged = code_root / "templates" / "mail"
    return packaged if packaged.is_dir() else REPO / "templates" / "mail"


MAIL_TEMPLATES = mail_templates()


class Edge(BaseModel):
    """Whether the API is reached through the deployment's CloudFront, read on its own by the HTTP layer."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # Off: a caller could set CloudFront-Viewer-Address itself, so only the connection's address counts.
    behind_cloudfront: bool = Field(default=False, alias="KAMENG_BEHIND_CLOUDFRONT")
    # The value CloudFront adds as X-Kameng-Edge to every origin request: the API's own endpoint stays
    # reachable past CloudFront, and a request that did not come through it must not pick its address.
    edge_token: str | None = Field(default=None, alias="KAMENG_EDGE_TOKEN", min_length=16, max_length=128,
                                   pattern=r"^[\x21-\x7e]+$", repr=False)


class Config(Edge):
    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)

    data_dir: Path = Field(default=REPO / "var", alias="KAMENG_DATA_DIR")
    store: Literal["sqlite", "dynamodb"] = Field(default="sqlite", alias="KAMENG_STORE")
    # "none": no Stripe at all (a mainland shop paid by the other rails alone).
    gateway: Literal["sandbox", "stripe", "none"] | None = Field(default=None, alias="KAMENG_GATEWAY")
    cipher: Literal["local", "kms"] = Field(default="local", alias="KAMENG_CIPHER")
    main_station: str = Field(default="main", alias="KAMENG_MAIN_STATION", pattern=r"^[a-z0-9][a-z0-9-]{1,31}$")
    reservation_minutes: int = Field(default=15, ge=1, le=24 * 60, alias="KAMENG_RESERVATION_MINUTES")
    unopened_hold_minutes: int = Field(default=3, ge=1, le=24 * 60, alias="KAMENG_UNOPENED_HOLD_MINUTES")
    # Below the HTTP API's 30 s, with time to answer.
    wholesale_wait_seconds: float = Field(default=25, gt=0, le=28, alias="KAMENG_WHOLESALE_WAIT_SECONDS")
    public_url: str = Field(default="http://{station}.localhost:8000", alias="KAMENG_PUBLIC_URL")
    # Where owners reach the console: the link in their sign-in mail.
    console_url: str = Field(default="http://console.localhost:8000", alias="KAMENG_CONSOLE_URL")
    sandbox_url: str = Field(default="http://localhost:8000", alias="KAMENG_SANDBOX_URL")
    webhook_url: str = Field(default="http://127.0.0.1:8000/api/webhooks/stripe", alias="KAMENG_WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, alias="KAMENG_WEBHOOK_SECRET")
    table: str | None = Field(default=None, alias="KAMENG_TABLE")
    dynamodb_endpoint: str | None = Field(default=None, alias="KAMENG_DYNAMODB_ENDPOINT")
    kms_key_id: str | None = Field(default=None, alias="KAMENG_KMS_KEY_ID")
    hash_key: bytes | None = Field(default=None, alias="KAMENG_HASH_KEY")
    stripe_secret_key: str | None = Field(default=None, alias="STRIPE_SECRET_KEY", repr=False)
    stripe_webhook_secret: str | None = Field(default=None, alias="STRIPE_WEBHOOK_SECRET", repr=False)
    stripe_methods: str = Field(default="card,alipay,wechat_pay", alias="KAMENG_STRIPE_METHODS")
    # Low-stock alerts are mailed here; unset, they are only logged.
    owner_email: str | None = Field(default=None, alias="KAMENG_OWNER_EMAIL")
    # Set, owners' key files go to this private S3 bucket by presigned URL; unset, to the data folder
    # through the local server.
    uploads_bucket: str | None = Field(default=None, alias="KAMENG_UPLOADS_BUCKET")
    # The console's content editor: local folders, or (with a content bucket) S3 and the site bucket.
    content_dir: Path = Field(default=REPO / "content", alias="KAMENG_CONTENT_DIR")
    site_dir: Path = Field(default=REPO / "site", alias="KAMENG_SITE_DIR")
    content_bucket: str | None = Field(default=None, alias="KAMENG_CONTENT_BUCKET")
    content_prefix: str = Field(default="content/", alias="KAMENG_CONTENT_PREFIX")
    site_bucket: str | None = Field(default=None, alias="KAMENG_SITE_BUCKET")
    distribution_id: str | None = Field(default=None, alias="KAMENG_DISTRIBUTION_ID")
    mail: Literal["outbox", "ses"] = Field(default="outbox", alias="KAMENG_MAIL")
    # SES sends only from a verified identity: this address, or its domain.
    mail_from: str | None = Field(default=None, alias="KAMENG_MAIL_FROM")
    ses_configuration_set: str | None = Field(default=None, alias="KAMENG_SES_CONFIGURATION_SET",
                                              pattern=r"^[A-Za-z0-9_-]{1,64}$")

    @field_validator("owner_email", "mail_from")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        from kameng.domain.shopper import EMAIL

        if value is not None and not EMAIL.match(value.strip()):
            raise ValueError("expected an e-mail address, e.g. shop@example.com")
        return None if value is None else value.strip()

    @field_validator("hash_key", mode="before")
    @classmethod
    def _hash_key(cls, value: object) -> object:
        if value is None or isinstance(value, bytes):
            return value
        try:
            decoded = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("expected base64 of at least 32 random bytes (openssl rand -base64 32)") from None
        if len(decoded) < 32:
            raise ValueError("expected base64 of at least 32 random bytes (openssl rand -base64 32)")
        return decoded

    @model_validator(mode="after")
    def _each_choice_has_what_it_needs(self) -> "Config":
        needs = []
        if self.store == "dynamodb" and not self.table:
            needs.append("KAMENG_STORE=dynamodb needs KAMENG_TABLE (the table's name)")
        if self.chosen_gateway == "stripe":
            if not (self.stripe_secret_key or "").startswith(("sk_", "rk_")):
                needs.append("KAMENG_GATEWAY=stripe needs STRIPE_SECRET_KEY (sk_test_… or sk_live_…)")
            if not (self.stripe_webhook_secret or "").startswith("whsec_"):
                needs.append("KAMENG_GATEWAY=stripe needs STRIPE_WEBHOOK_SECRET (whsec_…, from the webhook endpoint)")
        if self.cipher == "kms":
            if not self.kms_key_id:
                needs.append("KAMENG_CIPHER=kms needs KAMENG_KMS_KEY_ID (a key id, ARN or alias/…)")
            if not self.hash_key:
                needs.append("KAMENG_CIPHER=kms needs KAMENG_HASH_KEY (base64 of 32 random bytes; keep it forever)")
        if self.mail == "ses" and not self.mail_from:
            needs.append("KAMENG_MAIL=ses needs KAMENG_MAIL_FROM (a sender SES has verified, e.g. shop@example.com)")
        if needs:
            raise ValueError("; ".join(needs))
        return self

    # The payment rails' variables (rail_config.py), checked with the rest by `load`.
    rails: RailSettings = Field(default_factory=RailSettings, exclude=True, repr=False)
    # The real-name check and its provider's credentials (real_name_config.py), checked likewise.
    real_name: RealNameSettings = Field(default_factory=RealNameSettings, exclude=True, repr=False)

    @property
    def chosen_gateway(self) -> str:
        # A Stripe key in the environment is the owner saying "use Stripe".
        return self.gateway or ("stripe" if self.stripe_secret_key else "sandbox")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "kameng.db"

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"


def _secrets_from_aws(arn: str) -> dict[str, str]:
    import json

    import boto3

    value = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    return {k: v for k, v in json.loads(value).items()
            if isinstance(v, str) and (k in SECRET_NAMES or SUPPLIER_SECRET.fullmatch(k))}


def export_supplier_secrets(held: Mapping[str, str], environ: dict | None = None) -> list[str]:
    """Put the suppliers' secrets a secret holds into the environment (the process's own by default), where
    the supplier directory reads them; a value the environment already has wins, as with every other name.
    The names exported."""
    target = os.environ if environ is None else environ
    exported = []
    for name, value in held.items():
        if SUPPLIER_SECRET.fullmatch(name) and value and not target.get(name):
            target[name] = value
            exported.append(name)
    return exported


def edge(environ: Mapping[str, str] | None = None) -> Edge:
    """The two edge settings alone: no secret is fetched for them, so a request may read them cheaply."""
    env = os.environ if environ is None else environ
    wanted = {k: v for k, v in env.items() if k in ("KAMENG_BEHIND_CLOUDFRONT", "KAMENG_EDGE_TOKEN") and v != ""}
    try:
        return Edge.model_validate(wanted)
    except ValidationError as error:
        raise ConfigError(f"invalid configuration: {_problems(error)}") from None


def load(environ: Mapping[str, str] | None = None) -> Config:
    """The configuration of `environ`, or of the process; the process's own also gets the suppliers' secrets
    its KAMENG_SECRETS_ARN holds (export_supplier_secrets)."""
    env = dict(os.environ if environ is None else environ)
    wanted = {k: v for k, v in env.items() if k.startswith(("KAMENG_", "STRIPE_")) and v != ""}
    if wanted.get("KAMENG_SECRETS_ARN"):
        try:
            held = _secrets_from_aws(wanted["KAMENG_SECRETS_ARN"])
        except Exception as error:
            raise ConfigError(f"KAMENG_SECRETS_ARN: could not read the secret ({type(error).__name__}: {error})") from None
        wanted = held | wanted
        if environ is None:
            export_supplier_secrets(held)
    problems = []
    try:
        rails = RailSettings.from_env(wanted)
    except RailConfigError as error:
        rails, problems = RailSettings(), [str(error)]
    try:
        real_name = RealNameSettings.from_env(wanted)
    except ValueError as error:
        real_name = RealNameSettings()
        problems.append(str(error))
    try:
        chosen = Config.model_validate(wanted)
    except ValidationError as error:
        problems.insert(0, _problems(error))
    if problems:
        raise ConfigError(f"invalid configuration: {'; '.join(problems)}") from None
    return chosen.model_copy(update={"rails": rails, "real_name": real_name})


def _problems(error: ValidationError) -> str:
    problems = []
    for e in error.errors(include_url=False):
        message = e["msg"].removeprefix("Value error, ")
        if e["loc"]:
            hidden = e["loc"][0] in SECRET_NAMES or e["loc"][0] in ("KAMENG_HASH_KEY", "KAMENG_EDGE_TOKEN")
            problems.append(f"{e['loc'][0]}: {message} (got {'…' if hidden else repr(e.get('input'))})")
        else:
            problems.append(message)
    return "; ".join(problems)
