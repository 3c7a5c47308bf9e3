from kameng.domain.audit import CSV_COLUMNS
from kameng.domain.errors import InvalidRequest
from kameng.handlers.owner.gate import csv_response, owner_api, path_param, query, wants_csv
from kameng.http import respond
from kameng.services import audit
from kameng.wiring import deps


def _number(event: dict, name: str, default: int) -> int:
    text = query(event, name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise InvalidRequest(f"{name} 须为非负整数", fields=[{"loc": name, "msg": "须为非负整数"}])
    return int(text)


def _answer(event: dict, owner, station: str | None) -> dict:
    if wants_csv(event):
        rows = (entry.csv_row() for entry in audit.owner_export(owner, station, deps()))
        return csv_response(f"audit-{station or 'platform'}.csv", CSV_COLUMNS, rows)
    page = audit.owner_page(owner, station, _number(event, "after", 0), _number(event, "limit", 50), deps())
    return respond(200, page)


@owner_api
def station_audit(event, owner):
    return _answer(event, owner, path_param(event, "station"))


@owner_api
def platform_audit(event, owner):
    return _answer(event, owner, audit.PLATFORM)


@owner_api
def verify_audit(event, owner):
    return respond(200, audit.owner_verify(owner, deps()))
