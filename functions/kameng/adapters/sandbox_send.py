"""How the rails' sandboxes send their notifications to the shop: an HTTP request, answered with a status and a body.

The body matters: Alipay and 易支付 count a notification as taken only when the shop answers the text `success`.
"""
from __future__ import annotations

import functools
from typing import Callable

# (method, url, body, headers) → (status, body)
Send = Callable[[str, str, bytes, dict], tuple[int, bytes]]


@functools.cache
def _http():
    # Only the sandboxes send; a function on AWS never pays for importing requests here.
    import requests

    return requests.Session()


def http_send(method: str, url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    response = _http().request(method, url, data=body or None, headers=headers, timeout=10, allow_redirects=False)
    return response.status_code, response.content
