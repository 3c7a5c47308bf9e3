"""Configuration from the environment, checked once at start with a clear message.

The embedded default needs no variable at all: data lives in ./var.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

REPO = Path(__file__).resolve().parents[2]


class ConfigError(Exception):
    pass


class Config(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    data_dir: Path = Field(default=REPO / "var", alias="KAMENG_DATA_DIR")
    store: Literal["sqlite"] = Field(default="sqlite", alias="KAMENG_STORE")
    gateway: Literal["sandbox"] = Field(default="sandbox", alias="KAMENG_GATEWAY")
    cipher: Literal["local"] = Field(default="local", alias="KAMENG_CIPHER")
    main_station: str = Field(default="main", alias="KAMENG_MAIN_STATION", pattern=r"^[a-z0-9][a-z0-9-]{1,31}$")
    reservation_minutes: int = Field(default=15, ge=1, le=24 * 60, alias="KAMENG_RESERVATION_MINUTES")
    public_url: str = Field(default="http://{station}.localhost:8000", alias="KAMENG_PUBLIC_URL")
    sandbox_url: str = Field(default="http://localhost:8000", alias="KAMENG_SANDBOX_URL")
    webhook_url: str = Field(default="http://127.0.0.1:8000/api/webhooks/stripe", alias="KAMENG_WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, alias="KAMENG_WEBHOOK_SECRET")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "kameng.db"

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"


def load(environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    try:
        return Config.model_validate({k: v for k, v in env.items() if k.startswith("KAMENG_")})
    except ValidationError as error:
        problems = "; ".join(
            f"{e['loc'][0]}: {e['msg']} (got {e.get('input')!r})" for e in error.errors(include_url=False)
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
