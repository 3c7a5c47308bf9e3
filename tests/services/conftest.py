"""The services as the owner's CLI and console call them: real embedded adapters, a clock the test turns."""
import pytest


@pytest.fixture(autouse=True)
def _service_tests_cannot_open_a_socket(no_network):
    yield
