"""The tests here speak only HTTP, so they could run against a deployment too."""
from __future__ import annotations

import pytest

from tests.support.local_shop import Shop, served_shop


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Shop:
    with served_shop(tmp_path_factory.mktemp("shop")) as running:
        yield running
