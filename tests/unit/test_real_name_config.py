"""The real-name provider is chosen by the environment; a provider without its credentials stops the start."""
from __future__ import annotations

import pytest

from kameng import config, wiring
from kameng.adapters.real_name_sandbox import SandboxRealNameCheck
from kameng.adapters.real_name_tencent import TencentRealNameCheck

TENCENT = {"KAMENG_REAL_NAME": "tencent", "KAMENG_TENCENT_SECRET_ID": "AKIDexampleexample1234",
           "KAMENG_TENCENT_SECRET_KEY": "a-secret-key-of-the-owner-0123"}


def test_the_sandbox_answers_when_nothing_is_set(tmp_path):
    chosen = config.load({"KAMENG_DATA_DIR": str(tmp_path)})
    assert isinstance(wiring.real_name_check(chosen), SandboxRealNameCheck)


def test_tencent_with_its_credentials_is_used(tmp_path):
    chosen = config.load({"KAMENG_DATA_DIR": str(tmp_path)} | TENCENT)
    assert isinstance(wiring.real_name_check(chosen), TencentRealNameCheck)


@pytest.mark.parametrize("missing", ["KAMENG_TENCENT_SECRET_ID", "KAMENG_TENCENT_SECRET_KEY"])
def test_tencent_without_a_credential_stops_the_start_naming_it(tmp_path, missing):
    environ = {k: v for k, v in TENCENT.items() if k != missing}
    with pytest.raises(config.ConfigError, match=f"KAMENG_REAL_NAME=tencent needs {missing}"):
        config.load(environ)


def test_a_secret_never_appears_in_the_message(tmp_path):
    with pytest.raises(config.ConfigError) as raised:
        config.load(TENCENT | {"KAMENG_TENCENT_SECRET_KEY": "short", "KAMENG_REAL_NAME": "tencnet"})
    assert "short" not in str(raised.value)
    assert "KAMENG_REAL_NAME: expected one of sandbox, tencent" in str(raised.value)
