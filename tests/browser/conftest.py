from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.local_shop import served_shop

CHROMIUM = Path("/usr/bin/chromium")
# Chromium's background services try to reach Google; on a closed network they only add noise and delay.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is required for the browser tests: `make browser` installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A running demo shop of its own for each browser test module."""
    with served_shop(tmp_path_factory.mktemp("browser-shop")) as running:
        yield running
