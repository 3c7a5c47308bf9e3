"""A supplier of the common Chinese recharge/card-platform family, spoken to as its file says.

Everything platform-specific (field names, signature, codes, statuses, units) is in the
`HttpSupplierSpec` read from content/suppliers/<name>.yaml; the rules live in
kameng.domain.http_supplier, and this module only signs, sends and reads over HTTP.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Mapping

import requests

from kameng.domain.errors import SupplierRefused, SupplierUnavailable
from kameng.domain.http_supplier import (
    BalanceEndpoint, CatalogueEndpoint, HttpSupplierSpec, PlaceEndpoint, QueryEndpoint, balance_from_answer,
    callback_result, check_accepted, offers_from_answer, parse_body, place_params, result_from_answer, signed,
)
from kameng.domain.supply import SupplierOffer, SupplyRequest, SupplyResult

Endpoint = PlaceEndpoint | QueryEndpoint | BalanceEndpoint | CatalogueEndpoint


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class HttpSupplier:
    """The Supplier port over a platform's HTTP API.

    `verify_callback` refuses (InvalidCallback) a callback that is unsigned, forged, stale (more than
    5 minutes from our clock, when the file names a timestamp field), unreadable, or whose amount is not
    its quantity × unit cost. It cannot know which request ids were placed, nor what each was meant to
    cost: the caller checks the result's request id and unit cost against its own attempts before
    applying anything.
    """

    def __init__(
        self,
        name: str,
        spec: HttpSupplierSpec,
        secret: bytes,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] = _utc_now,
        timeout: float = 10.0,
        callback_url: str | None = None,
    ) -> None:
        if not secret:
            raise ValueError(f"supplier {name}: no secret to sign with")
        self._name, self._spec, self._secret = name, spec, secret
        self._session = session or requests.Session()
        self._clock, self._timeout, self._callback_url = clock, timeout, callback_url

    @property
    def name(self) -> str:
        return self._name

    @property
    def spec(self) -> HttpSupplierSpec:
        return self._spec

    @property
    def callback_reply(self) -> str:
        """The body to answer an applied callback with, so the supplier stops sending it."""
        return self._spec.callback_reply

    def place(self, request: SupplyRequest) -> SupplyResult:
        params = place_params(self._spec, request, self._callback_url)
        data = self._call(self._spec.endpoints.place, params)
        return result_from_answer(self._spec, data, request.request_id, ordered=request.quantity)

    def query(self, request_id: str) -> SupplyResult:
        endpoint = self._spec.endpoints.query
        data = self._call(endpoint, {**self._spec.params, endpoint.request_id: request_id})
        return result_from_answer(self._spec, data, request_id)

    def cancel(self, request_id: str) -> bool:
        """Cancelled when the platform answers a success code; False without a cancel endpoint or on a refusal."""
        endpoint = self._spec.endpoints.cancel
        if endpoint is None:
            return False
        try:
            self._call(endpoint, {**self._spec.params, endpoint.request_id: request_id})
        except SupplierRefused:
            return False
        return True

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> SupplyResult:
        # These platforms sign inside the body, never in headers.
        return callback_result(self._spec, body, self._secret, self._clock())

    def balance(self) -> int:
        return balance_from_answer(self._spec, self._call(self._spec.endpoints.balance, dict(self._spec.params)))

    def catalogue(self) -> list[SupplierOffer]:
        """The supplier's offers; none when its file names no catalogue endpoint."""
        endpoint = self._spec.endpoints.catalogue
        if endpoint is None:
            return []
        return offers_from_answer(self._spec, endpoint, self._call(endpoint, dict(self._spec.params)))

    def _call(self, endpoint: Endpoint, params: dict[str, Any]) -> dict[str, Any]:
        body = signed(params, self._spec.signature, self._secret, self._clock())
        try:
            answer = self._send(endpoint, body)
        except requests.RequestException as error:
            # A timeout or a dropped connection: the order may have been taken all the same.
            raise SupplierUnavailable(f"供货商 {self._name} 未应答：{type(error).__name__}") from None
        if answer.status_code >= 500:
            raise SupplierUnavailable(f"供货商 {self._name} 暂不可用（HTTP {answer.status_code}）")
        try:
            data = parse_body(answer.content, "json")
        except (ValueError, UnicodeDecodeError):
            raise SupplierUnavailable(f"供货商 {self._name} 的应答无法读取（HTTP {answer.status_code}）") from None
        check_accepted(self._spec.answer, data, self._name)
        return data

    def _send(self, endpoint: Endpoint, body: dict[str, Any]) -> requests.Response:
        url = self._spec.base_url + endpoint.path
        if endpoint.method == "GET":
            return self._session.get(url, params=body, timeout=self._timeout)
        if self._spec.encoding == "json":
            return self._session.post(url, json=body, timeout=self._timeout)
        return self._session.post(url, data=body, timeout=self._timeout)

