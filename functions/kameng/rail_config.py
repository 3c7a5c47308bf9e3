"""The payment rails' part of the configuration: which rails this deployment takes, and their credentials.

Read with the rest (config.load keeps it as Config.rails) and checked at start: a rail named in
KAMENG_RAILS whose credentials are missing stops the process with the variable's name. Without
credentials, and only where Stripe is the sandbox too (`make serve`, the tests), each rail is served
by its local sandbox. Plain Python, not a pydantic model: every function reads it at its cold start.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

RAILS = ("alipay", "wechat", "epay", "bank")
# Per rail: the variables it needs, each with what it should look like.
NEEDS = {
    "alipay": (("KAMENG_ALIPAY_APP_ID", "the app's id, 16 digits"),
               ("KAMENG_ALIPAY_PRIVATE_KEY", "the app's RSA2 private key, PEM"),
               ("KAMENG_ALIPAY_PUBLIC_KEY", "Alipay's public key, PEM")),
    "wechat": (("KAMENG_WECHAT_MCHID", "the merchant id"),
               ("KAMENG_WECHAT_APPID", "the app id bound to the merchant, wx…"),
               ("KAMENG_WECHAT_SERIAL", "the merchant certificate's serial number"),
               ("KAMENG_WECHAT_PRIVATE_KEY", "the merchant API private key, PEM"),
               ("KAMENG_WECHAT_APIV3_KEY", "the APIv3 key, 32 characters"),
               ("KAMENG_WECHAT_PUBLIC_KEY", "WeChat Pay's public key, PEM"),
               ("KAMENG_WECHAT_PUBLIC_KEY_ID", "its id, PUB_KEY_ID_…")),
    "epay": (("KAMENG_EPAY_URL", "the aggregator's address, https://…/"),
             ("KAMENG_EPAY_PID", "the merchant pid"),
             ("KAMENG_EPAY_KEY", "the merchant key")),
    "bank": (),
}
# What each value must look like; a secret's value is never repeated in a message.
SHAPES = {
    "KAMENG_RAILS": (re.compile(r"[a-z, ]*"), "a comma-separated list such as alipay,wechat,bank"),
    "KAMENG_ALIPAY_APP_ID": (re.compile(r"[0-9]{16}"), "16 digits"),
    "KAMENG_ALIPAY_PRIVATE_KEY": (re.compile(r"\s*-----BEGIN [^\n]*-----.*", re.S), "a PEM block (-----BEGIN …-----)"),
    "KAMENG_ALIPAY_PUBLIC_KEY": (re.compile(r"\s*-----BEGIN [^\n]*-----.*", re.S), "a PEM block (-----BEGIN …-----)"),
    "KAMENG_ALIPAY_GATEWAY": (re.compile(r"https?://\S+"), "an http(s) address"),
    "KAMENG_WECHAT_MCHID": (re.compile(r"[0-9]{8,12}"), "8 to 12 digits"),
    "KAMENG_WECHAT_APPID": (re.compile(r"wx[0-9a-f]{16}"), "wx and 16 hex digits"),
    "KAMENG_WECHAT_SERIAL": (re.compile(r"[0-9A-Fa-f]{8,64}"), "the serial number in hex"),
    "KAMENG_WECHAT_PRIVATE_KEY": (re.compile(r"\s*-----BEGIN [^\n]*-----.*", re.S), "a PEM block (-----BEGIN …-----)"),
    "KAMENG_WECHAT_APIV3_KEY": (re.compile(r".{32}", re.S), "32 characters"),
    "KAMENG_WECHAT_PUBLIC_KEY": (re.compile(r"\s*-----BEGIN [^\n]*-----.*", re.S), "a PEM block (-----BEGIN …-----)"),
    "KAMENG_WECHAT_PUBLIC_KEY_ID": (re.compile(r"\S{4,64}"), "the id WeChat Pay shows beside its key"),
    "KAMENG_WECHAT_APP_SECRET": (re.compile(r"[0-9A-Za-z]{32}"), "the 公众号's AppSecret, 32 letters and digits"),
    "KAMENG_EPAY_URL": (re.compile(r"https?://\S+"), "an http(s) address"),
    "KAMENG_EPAY_PID": (re.compile(r"[0-9A-Za-z]{1,32}"), "the merchant pid"),
    "KAMENG_EPAY_KEY": (re.compile(r"\S{8,128}"), "8 or more characters"),
    "KAMENG_ALIPAY_MAX_SHARE_PERCENT": (re.compile(r"100|[1-9][0-9]?"), "a whole percentage from 1 to 100"),
    "KAMENG_WECHAT_MAX_SHARE_PERCENT": (re.compile(r"100|[1-9][0-9]?"), "a whole percentage from 1 to 100"),
    "KAMENG_ALIPAY_QR": (re.compile(r"true|false|1|0"), "true or false"),
    "KAMENG_EPAY_SERVER_SIDE": (re.compile(r"true|false|1|0"), "true or false"),
}
SECRET_NAMES = ("KAMENG_ALIPAY_PRIVATE_KEY", "KAMENG_ALIPAY_PUBLIC_KEY", "KAMENG_WECHAT_PRIVATE_KEY",
                "KAMENG_WECHAT_APIV3_KEY", "KAMENG_WECHAT_PUBLIC_KEY", "KAMENG_WECHAT_APP_SECRET", "KAMENG_EPAY_KEY")
# Alipay and WeChat Pay let a merchant split away 30 % of a payment unless it has asked for more.
DEFAULT_MAX_SHARE_PERCENT = "30"


class RailConfigError(ValueError):
    pass


@dataclass(frozen=True)
class RailSettings:
    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RailSettings":
        """The rails' variables of `environ`, checked; RailConfigError names every problem at once."""
        settings = cls({name: environ[name] for name in SHAPES if environ.get(name)})
        if problems := settings.problems():
            raise RailConfigError("; ".join(problems))
        return settings

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")

    def flag(self, name: str) -> bool:
        return self[name] in ("true", "1")

    def max_share_percent(self, rail: str) -> int:
        return int(self.values.get(f"KAMENG_{rail.upper()}_MAX_SHARE_PERCENT", DEFAULT_MAX_SHARE_PERCENT))

    def has_credentials(self, rail: str) -> bool:
        return all(self[name] for name, _ in NEEDS[rail])

    def rails_named(self) -> tuple[str, ...] | None:
        if not self["KAMENG_RAILS"]:
            return None
        names = (name.strip() for name in self["KAMENG_RAILS"].split(","))
        return tuple(dict.fromkeys(name for name in names if name and name != "stripe"))

    def chosen_rails(self, sandboxed: bool) -> tuple[str, ...]:
        """The rails besides Stripe this deployment takes; `sandboxed`: a rail without credentials runs on its sandbox."""
        named = self.rails_named()
        if named is not None:
            return named
        return tuple(rail for rail in RAILS if sandboxed or self.has_credentials(rail))

    def problems(self) -> list[str]:
        found = []
        for name, value in self.values.items():
            shape, what = SHAPES[name]
            if not shape.fullmatch(value.strip() if name not in SECRET_NAMES else value):
                shown = "" if name in SECRET_NAMES else f" (got {value[:40]!r})"
                found.append(f"{name}: expected {what}{shown}")
        for rail in self.rails_named() or ():
            if rail not in RAILS:
                found.append(f"KAMENG_RAILS: unknown rail {rail!r}; expected some of {', '.join(RAILS)}")
                continue
            found += [f"KAMENG_RAILS names {rail}: it needs {name} ({what})" for name, what in NEEDS[rail] if not self[name]]
        return found
