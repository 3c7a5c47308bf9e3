import pytest


@pytest.fixture(autouse=True)
def _unit_tests_cannot_open_a_socket(no_network):
    yield
