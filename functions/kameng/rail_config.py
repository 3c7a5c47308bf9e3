"""The payment rails' part of the configuration: which rails this deployment takes, and their credentials.

Read with the rest (config.Config inherits it) and checked at start: a rail named in KAMENG_RAILS whose
credentials are missing stops the process with the variable's name. Without credentials, and only where
Stripe is the sandbox too (`make serve`, the tests), each rail is served by its local sandbox.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

RAILS = ("alipay", "wechat", "epay", "bank")
# Per rail: the variables it needs, each with what it should look like.
NEEDS = {
    "alipay": (("alipay_app_id", "KAMENG_ALIPAY_APP_ID", "the app's id, 16 digits"),
               ("alipay_private_key", "KAMENG_ALIPAY_PRIVATE_KEY", "the app's RSA2 private key, PEM"),
               ("alipay_public_key", "KAMENG_ALIPAY_PUBLIC_KEY", "Alipay's public key, PEM")),
    "wechat": (("wechat_mchid", "KAMENG_WECHAT_MCHID", "the merchant id"),
               ("wechat_appid", "KAMENG_WECHAT_APPID", "the app id bound to the merchant, wx…"),
               ("wechat_serial", "KAMENG_WECHAT_SERIAL", "the merchant certificate's serial number"),
               ("wechat_private_key", "KAMENG_WECHAT_PRIVATE_KEY", "the merchant API private key, PEM"),
               ("wechat_apiv3_key", "KAMENG_WECHAT_APIV3_KEY", "the APIv3 key, 32 characters"),
               ("wechat_public_key", "KAMENG_WECHAT_PUBLIC_KEY", "WeChat Pay's public key, PEM"),
               ("wechat_public_key_id", "KAMENG_WECHAT_PUBLIC_KEY_ID", "its id, PUB_KEY_ID_…")),
    "epay": (("epay_url", "KAMENG_EPAY_URL", "the aggregator's address, https://…/"),
             ("epay_pid", "KAMENG_EPAY_PID", "the merchant pid"),
             ("epay_key", "KAMENG_EPAY_KEY", "the merchant key")),
    "bank": (),
}
PEM_FIELDS = ("alipay_private_key", "alipay_public_key", "wechat_private_key", "wechat_public_key")
RAIL_SECRET_NAMES = ("KAMENG_ALIPAY_PRIVATE_KEY", "KAMENG_WECHAT_PRIVATE_KEY", "KAMENG_WECHAT_APIV3_KEY", "KAMENG_EPAY_KEY")


class RailSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # Comma-separated; unset: every rail with credentials, and bank transfer (which needs none).
    rails: str | None = Field(default=None, alias="KAMENG_RAILS", pattern=r"^[a-z, ]*$")
    alipay_app_id: str | None = Field(default=None, alias="KAMENG_ALIPAY_APP_ID", pattern=r"^[0-9]{16}$")
    alipay_private_key: str | None = Field(default=None, alias="KAMENG_ALIPAY_PRIVATE_KEY", repr=False)
    alipay_public_key: str | None = Field(default=None, alias="KAMENG_ALIPAY_PUBLIC_KEY", repr=False)
    alipay_gateway: str = Field(default="https://openapi.alipay.com/gateway.do", alias="KAMENG_ALIPAY_GATEWAY")
    # 当面付 only (most small merchants have it without the web-payment products): always a QR code.
    alipay_qr: bool = Field(default=False, alias="KAMENG_ALIPAY_QR")
    # Alipay and WeChat Pay let a merchant split away 30 % of a payment unless it has asked for more.
    alipay_max_share_percent: int = Field(default=30, ge=1, le=100, alias="KAMENG_ALIPAY_MAX_SHARE_PERCENT")
    wechat_max_share_percent: int = Field(default=30, ge=1, le=100, alias="KAMENG_WECHAT_MAX_SHARE_PERCENT")
    wechat_mchid: str | None = Field(default=None, alias="KAMENG_WECHAT_MCHID", pattern=r"^[0-9]{8,12}$")
    wechat_appid: str | None = Field(default=None, alias="KAMENG_WECHAT_APPID", pattern=r"^wx[0-9a-f]{16}$")
    wechat_serial: str | None = Field(default=None, alias="KAMENG_WECHAT_SERIAL", pattern=r"^[0-9A-Fa-f]{8,64}$")
    wechat_private_key: str | None = Field(default=None, alias="KAMENG_WECHAT_PRIVATE_KEY", repr=False)
    wechat_apiv3_key: str | None = Field(default=None, alias="KAMENG_WECHAT_APIV3_KEY", repr=False,
                                         min_length=32, max_length=32)
    wechat_public_key: str | None = Field(default=None, alias="KAMENG_WECHAT_PUBLIC_KEY", repr=False)
    wechat_public_key_id: str | None = Field(default=None, alias="KAMENG_WECHAT_PUBLIC_KEY_ID")
    epay_url: str | None = Field(default=None, alias="KAMENG_EPAY_URL", pattern=r"^https?://")
    epay_pid: str | None = Field(default=None, alias="KAMENG_EPAY_PID", pattern=r"^[0-9A-Za-z]{1,32}$")
    epay_key: str | None = Field(default=None, alias="KAMENG_EPAY_KEY", repr=False, min_length=8)
    # mapi.php (a server call answering a pay URL or a QR code) instead of sending the browser to submit.php.
    epay_server_side: bool = Field(default=False, alias="KAMENG_EPAY_SERVER_SIDE")

    def has_credentials(self, rail: str) -> bool:
        return all(getattr(self, name) for name, _, _ in NEEDS[rail])

    def rails_named(self) -> tuple[str, ...] | None:
        if self.rails is None:
            return None
        return tuple(dict.fromkeys(name.strip() for name in self.rails.split(",") if name.strip() and name.strip() != "stripe"))

    def missing(self) -> list[str]:
        """What the rails named in KAMENG_RAILS lack, in words; the sandbox (sandboxed_rails) lacks nothing."""
        needs = []
        for rail in self.rails_named() or ():
            if rail not in RAILS:
                needs.append(f"KAMENG_RAILS: unknown rail {rail!r}; expected some of {', '.join(RAILS)}")
                continue
            for name, variable, what in NEEDS[rail]:
                if not getattr(self, name):
                    needs.append(f"KAMENG_RAILS names {rail}: it needs {variable} ({what})")
        for name in PEM_FIELDS:
            value = getattr(self, name)
            if value and "-----BEGIN" not in value:
                needs.append(f"KAMENG_{name.upper()}: expected a PEM block (-----BEGIN …-----)")
        return needs

    def chosen_rails(self, sandboxed: bool) -> tuple[str, ...]:
        """The rails besides Stripe this deployment takes; `sandboxed`: a rail without credentials runs on its sandbox."""
        named = self.rails_named()
        if named is not None:
            return named
        return tuple(rail for rail in RAILS if sandboxed or self.has_credentials(rail))

    @model_validator(mode="after")
    def _rails_have_what_they_need(self) -> "RailSettings":
        if problems := self.missing():
            raise ValueError("; ".join(problems))
        return self
