"""Which real-name check a deployment uses, and the provider's credentials, checked at start.

KAMENG_REAL_NAME=sandbox (the default) answers from a fixed set of test identities
(adapters/real_name_sandbox.py); KAMENG_REAL_NAME=tencent asks Tencent Cloud FaceID and needs
KAMENG_TENCENT_SECRET_ID and KAMENG_TENCENT_SECRET_KEY, from the environment or the Secrets Manager secret.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

CHOICES = ("sandbox", "tencent")
SHAPES = {
    "KAMENG_TENCENT_SECRET_ID": (re.compile(r"AKID[0-9A-Za-z]{8,64}"), "AKID and the rest of the SecretId"),
    "KAMENG_TENCENT_SECRET_KEY": (re.compile(r"\S{16,128}"), "the SecretKey, 16 or more characters"),
    "KAMENG_TENCENT_FACEID_ENDPOINT": (re.compile(r"https?://[^\s/]+/?"), "an http(s) address without a path"),
}
SECRET_NAMES = ("KAMENG_TENCENT_SECRET_ID", "KAMENG_TENCENT_SECRET_KEY")


@dataclass(frozen=True)
class RealNameSettings:
    provider: str = "sandbox"
    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RealNameSettings":
        """The settings of `environ`; ValueError naming every problem at once (never a secret's value)."""
        provider = (environ.get("KAMENG_REAL_NAME") or "sandbox").strip()
        settings = cls(provider, {name: environ[name] for name in SHAPES if environ.get(name)})
        problems = []
        if provider not in CHOICES:
            problems.append(f"KAMENG_REAL_NAME: expected one of {', '.join(CHOICES)} (got {provider[:20]!r})")
        for name, value in settings.values.items():
            shape, what = SHAPES[name]
            if not shape.fullmatch(value.strip()):
                problems.append(f"{name}: expected {what}")
        if provider == "tencent":
            problems += [f"KAMENG_REAL_NAME=tencent needs {name} ({SHAPES[name][1]})"
                         for name in SECRET_NAMES if not settings.values.get(name)]
        if problems:
            raise ValueError("; ".join(problems))
        return settings

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "").strip()
