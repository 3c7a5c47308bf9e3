"""A checkout retried under the client's Idempotency-Key gets the first answer, never a second order.

A key is scoped to the station and the e-mail the order is placed for, and a replay needs the same
request again, query password included: whoever gets the first answer back already holds what
opens that order through the lookup. The device cookie cannot scope it: a client whose first answer
was lost never received the cookie that answer set. Only a placed order is remembered; a refused
request changed nothing, so its retry runs afresh.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Callable

from pydantic import BaseModel

from kameng.deps import Deps
from kameng.domain.errors import IdempotencyKeyReused, InvalidRequest, RequestInProgress
from kameng.ports.store import Conflict, Recorded, RequestClaim
from kameng.services.lookup import shopper_key

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
# A plain HTML form cannot send a header, so a form post may carry the key as this field.
KEY_FIELD = "idempotency_key"
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
KEPT = timedelta(hours=24)
# Longer than a checkout can run (the functions' 10 s timeout, infra/template.yaml): a claim whose
# process died without an answer frees its key after this, and a live one is never taken over.
CLAIM_LEASE = timedelta(seconds=60)
_RESPONSE = "checkout-response"


def key_of(sent: str | None, form_field: str | None = None) -> str | None:
    """The client's key, from the header or else the form's field; None when the client sent none."""
    key, loc = (sent, KEY_HEADER) if sent is not None else (form_field, KEY_FIELD)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        message = "须为 1–255 个可打印 ASCII 字符"
        raise InvalidRequest(f"请求参数有误：{loc}: {message}", fields=[{"loc": loc, "msg": message}])
    return key


def claim_for(key: str, station: str, email: str, request: BaseModel, form: bool, deps: Deps) -> RequestClaim:
    # Keyed hashes: the store keeps neither the key nor the request (its query password) in a guessable form.
    now = deps.clock()
    scope = deps.cipher.keyed_hash("checkout-idempotency", json.dumps([station, shopper_key(email, deps), key]))
    # The answer's shape follows the body's type (a form gets a redirect), so the type is part of the request.
    canonical = json.dumps({"form": form, "request": request.model_dump(mode="json")}, sort_keys=True)
    return RequestClaim(scope_key=scope, request_hash=deps.cipher.keyed_hash("checkout-request", canonical),
                        claimed_at=now, lease_ends=now + CLAIM_LEASE, expires_at=now + KEPT)


def once(claim: RequestClaim | None, deps: Deps, answer: Callable[[], dict]) -> dict:
    """`answer()`'s response, or, for a key used before, the response its first request got."""
    if claim is None:
        return answer()
    requests = deps.store.idempotent_requests
    held = requests.begin(claim)
    if held is not None:
        return _replay(held, claim, deps)
    try:
        response = answer()
    except BaseException:
        requests.abandon(claim)
        raise
    if response["statusCode"] >= 400:
        requests.abandon(claim)
        return response
    try:
        requests.finish(claim, _seal(response, claim.scope_key, deps))
    except Conflict:
        # Only a claim that outlived its lease loses its key; the order is placed all the same.
        log.warning("an idempotency key's claim lapsed before its answer was kept")
    except Exception:
        # The order is placed: an error now would send the client to retry, and once the lease ends
        # its retry would place a second order. The key stays claimed until then.
        log.exception("an idempotency key's answer could not be kept")
    return response


def _replay(held: Recorded, claim: RequestClaim, deps: Deps) -> dict:
    if held.request_hash != claim.request_hash:
        raise IdempotencyKeyReused("此 Idempotency-Key 已用于另一个请求，请换一个新的")
    if held.response is None:
        raise RequestInProgress("同一请求正在处理中，请稍后重试")
    return json.loads(deps.cipher.open_record(_RESPONSE, claim.scope_key, held.response, _context(claim.scope_key)))


def _seal(response: dict, scope_key: str, deps: Deps) -> bytes:
    # The answer carries the order's token (its link, its cookie), which the store never holds in plain.
    plain = json.dumps(response, ensure_ascii=False).encode()
    return deps.cipher.seal_record(_RESPONSE, scope_key, plain, _context(scope_key))


def _context(scope_key: str) -> bytes:
    return f"checkout-response/{scope_key}".encode()
