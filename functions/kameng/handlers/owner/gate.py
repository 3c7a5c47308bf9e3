"""The one door to every owner endpoint: who is asking (a console session or an API token), from where,
and in what form. Permissions and station scope are checked by the service the handler calls, against
the owner this returns, so no endpoint can forget them.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterable, Sequence

from urllib.parse import urlsplit

from kameng.domain.owners import Owner
from kameng.http import CrossSiteRequest, accept_post, api, cookie, header, refuse_cross_site
from kameng.services import owner_session
from kameng.wiring import deps

OwnerHandler = Callable[[dict, Owner], dict]


def bearer(event: dict) -> str | None:
    scheme, _, value = (header(event, "authorization") or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def refuse_other_origins(event: dict) -> None:
    """A browser names the page a request comes from: for the owner API, only the console may be that page
    (scripts send no Origin). Kept beside Sec-Fetch-Site for browsers too old to send it."""
    origin = header(event, "origin")
    if origin is None:
        return
    console = urlsplit(deps().settings.console_url)
    sent = urlsplit(origin.strip().lower())
    if (sent.scheme, sent.netloc) != (console.scheme, console.netloc.lower()):
        raise CrossSiteRequest("拒绝来自其他网站的请求：请在管理后台页面上操作")


def owner_api(handler: OwnerHandler) -> Callable[[dict, Any], dict]:
    """Wrap an owner handler: refuse other sites' pages (Sec-Fetch-Site, Origin) and non-JSON writes, then
    find the owner (401 when there is none) and hand it over."""

    def gated(event: dict, context: Any = None) -> dict:
        if (event.get("requestContext") or {}).get("http", {}).get("method", "GET") in ("GET", "HEAD"):
            refuse_cross_site(event)
        else:
            accept_post(event)
        refuse_other_origins(event)
        owner = owner_session.authenticate(bearer(event), cookie(event, owner_session.COOKIE), deps())
        return handler(event, owner)

    gated.__name__ = handler.__name__
    gated.__wrapped__ = handler
    return api(gated)


def query(event: dict, name: str) -> str | None:
    value = (event.get("queryStringParameters") or {}).get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def path_param(event: dict, name: str) -> str:
    return (event.get("pathParameters") or {}).get(name) or ""


def wants_csv(event: dict) -> bool:
    return query(event, "format") == "csv"


# A cell that a spreadsheet would run as a formula starts with one of these; a quote makes it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def csv_response(filename: str, header_row: Sequence[str], rows: Iterable[Sequence[object]]) -> dict:
    """A table as a CSV download any spreadsheet opens (UTF-8 with a BOM, formulas defused)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header_row)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return {"statusCode": 200, "body": "\ufeff" + out.getvalue(),
            "headers": {"content-type": "text/csv; charset=utf-8", "cache-control": "no-store",
                        "content-disposition": f'attachment; filename="{filename}"'}}
