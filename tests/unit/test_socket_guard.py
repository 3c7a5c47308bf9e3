import socket

import pytest


def test_a_unit_test_cannot_open_a_socket():
    with pytest.raises(RuntimeError, match="network access"):
        socket.create_connection(("127.0.0.1", 9), timeout=0.1)
