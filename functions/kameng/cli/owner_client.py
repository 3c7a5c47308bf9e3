"""The owner API over HTTPS, as `kameng remote` calls it: an owner API token instead of the store's credentials.

KAMENG_CONSOLE_URL names the console (the API is under /api/owner); the token comes from
KAMENG_OWNER_TOKEN or a file, never from the command line, and goes only to that address: not to an
upload URL, not through a redirect, never in clear over the network, never into a message.
"""
from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import requests

from kameng.cli.command import EXIT_FAILED, EXIT_USAGE, Failure

API_PREFIX = "/api/owner"
URL_VARIABLE = "KAMENG_CONSOLE_URL"
TOKEN_VARIABLE = "KAMENG_OWNER_TOKEN"
TOKEN_SHAPE = re.compile(r"^kmo_[A-Za-z0-9_-]{16,200}$")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
TIMEOUT = (10, 120)  # seconds to connect, seconds to wait for an answer (an import of 500,000 keys)
UPLOAD_TIMEOUT = (10, 600)
USER_AGENT = "kameng-remote"
# "[Errno 111] Connection refused" out of urllib3's long message, which names the whole URL.
ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")\]]+")


class ApiError(Failure):
    """The API's own refusal: its code and message, as `kameng: <code>: <message>`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}", EXIT_FAILED)
        self.status = status
        self.code_name = code


def is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


def checked_url(url: str, what: str) -> str:
    """An https address, or plain http to this machine only: a token or a key file never crosses a network in clear."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failure(f"{what} must be an https:// address, got {url!r}", EXIT_USAGE)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise Failure(f"{what} is {parts.scheme}://{parts.netloc}: plain http is only for this machine "
                      "(localhost, 127.0.0.1, *.localhost); use the console's https:// address, so the owner token "
                      "never crosses the network in clear", EXIT_USAGE)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def _routed(url: str) -> tuple[str, dict[str, str]]:
    """*.localhost is this machine (RFC 6761), as browsers and curl take it, even where no resolver says so:
    plain http to it goes to 127.0.0.1, keeping the name as the Host header."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "http" or not host.endswith(".localhost"):
        return url, {}
    netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), {"Host": parts.netloc}


def read_token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            mode = token_file.stat().st_mode
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise Failure(f"cannot read the token file {token_file}: {getattr(error, 'strerror', None) or error}",
                          EXIT_USAGE) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            print(f"kameng: warning: {token_file} can be read by other users: `chmod 600 {token_file}`",
                  file=sys.stderr)
        where = f"the token file {token_file}"
    else:
        token = os.environ.get(TOKEN_VARIABLE, "").strip()
        where = TOKEN_VARIABLE
        if not token:
            raise Failure(f"no owner token: set {TOKEN_VARIABLE} or pass --token-file PATH "
                          "(a platform owner issues one with `kameng owners token EMAIL --label ...`)", EXIT_USAGE)
    if not TOKEN_SHAPE.match(token):
        # Said without the value: whatever it is, it may be a secret.
        raise Failure(f"{where} does not hold an owner token (kmo_ followed by letters, digits, - and _)", EXIT_USAGE)
    return token


def console_url() -> str:
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        raise Failure(f"set {URL_VARIABLE} to the console's address, e.g. https://console.shop.example.com",
                      EXIT_USAGE)
    return checked_url(url, URL_VARIABLE)


class OwnerClient:
    """One owner's calls to the owner API; each method is one request."""

    def __init__(self, base_url: str, token: str, session: requests.Session | None = None):
        self.base_url = checked_url(base_url, URL_VARIABLE)
        self._token = token
        self._session = session or requests.Session()

    @classmethod
    def from_environment(cls, token_file: Path | None = None) -> "OwnerClient":
        url = console_url()  # checked before the token is read, and before any request
        return cls(url, read_token(token_file))

    def __repr__(self) -> str:
        return f"OwnerClient({self.base_url!r})"  # never the token

    # ------------------------------------------------------------ requests

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return _json_of(self._send("GET", path, params=_present(params)))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return _json_of(self._send("POST", path, json=body))

    def download(self, path: str, params: dict[str, Any] | None = None) -> Iterator[bytes]:
        """A CSV export, streamed in pieces as it arrives."""
        response = self._send("GET", path, params=_present(params) | {"format": "csv"}, stream=True)
        with response:
            yield from response.iter_content(64 * 1024)

    def upload(self, url: str, headers: dict[str, str], file: BinaryIO, size: int,
               progress: Callable[[int], None] | None = None) -> None:
        """PUT a file to the address an upload was opened with, streamed, without the token (it is not the API)."""
        target, extra = _routed(checked_url(url, "the upload address"))
        body = _Streamed(file, size, progress)
        try:
            response = self._session.put(target, data=body, headers={**headers, **extra, "User-Agent": USER_AGENT,
                                                                      "Accept-Language": "en"},
                                         timeout=UPLOAD_TIMEOUT, allow_redirects=False)
        except requests.RequestException as error:
            raise Failure(f"cannot send the file to {_where(url)}: {_reason(error)}") from None
        if response.status_code >= 300:
            _refuse(response, f"PUT {_where(url)}")

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url, extra = _routed(self.base_url + API_PREFIX + path)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json",
                   "Accept-Language": "en", "User-Agent": USER_AGENT, **extra}
        try:
            response = self._session.request(method, url, headers=headers, timeout=TIMEOUT,
                                             allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            raise Failure(f"cannot reach the owner API at {self.base_url}{API_PREFIX} ({URL_VARIABLE}): "
                          f"{_reason(error)}") from None
        if response.status_code >= 300:
            _refuse(response, f"{method} {API_PREFIX}{path}")
        return response


class _Streamed:
    """A file as a request body: read a piece at a time, its length known up front, progress told as it goes."""

    def __init__(self, file: BinaryIO, size: int, progress: Callable[[int], None] | None):
        self._file = file
        self._size = size
        self._progress = progress

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int = -1) -> bytes:
        piece = self._file.read(amount)
        if piece and self._progress is not None:
            self._progress(len(piece))
        return piece


def _present(params: dict[str, Any] | None) -> dict[str, Any]:
    return {name: value for name, value in (params or {}).items() if value is not None}


def _json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise Failure(f"the owner API answered HTTP {response.status_code} with no JSON: "
                      f"is {URL_VARIABLE} the console's address?") from None


def _refuse(response: requests.Response, request: str) -> None:
    if 300 <= response.status_code < 400:
        raise Failure(f"{request} was redirected (HTTP {response.status_code}) to "
                      f"{response.headers.get('location', '?')}: set {URL_VARIABLE} to the console's own address")
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        raise Failure(f"{request} answered HTTP {response.status_code} {response.reason or ''} without an API error: "
                      f"is {URL_VARIABLE} the console's address?") from None
    if response.status_code == 401:
        message += " The token is unknown, revoked or expired: ask a platform owner for a new one (`kameng owners token`)."
    fields = error.get("fields") if isinstance(error, dict) else None
    if isinstance(fields, list) and fields:
        message += " " + "; ".join(f"{f.get('loc')}: {f.get('msg')}" for f in fields if isinstance(f, dict))
    if response.headers.get("retry-after"):
        message += f" (retry after {response.headers['retry-after']} s)"
    raise ApiError(response.status_code, code, message)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"  # the query may hold a signature


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    if isinstance(error, requests.exceptions.SSLError):
        return "the TLS handshake failed (is the console's certificate valid for this name?)"
    if isinstance(error, requests.ConnectionError):
        cause = ERRNO.search(str(error))
        return (cause.group(0) if cause else "connection failed") + " (is the address right, and the console up?)"
    return type(error).__name__
