"""The dashboard: a station's statistics, and every station's side by side for the platform owner."""
from kameng.handlers.owner.gate import csv_response, owner_api, path_param, query, wants_csv
from kameng.http import respond
from kameng.services import dashboard, dashboard_tables
from kameng.wiring import deps


def _csv(event: dict, prefix: str, dashboards: list) -> dict:
    name = query(event, "table")
    header, rows = dashboard_tables.table(name, dashboards)
    return csv_response(f"{prefix}-{name}.csv", header, rows)


@owner_api
def station_dashboard(event, owner):
    station = path_param(event, "station")
    board = dashboard.for_owner(owner, station, deps())
    if wants_csv(event):
        return _csv(event, station, [board])
    return respond(200, board.view())


@owner_api
def platform_dashboard(event, owner):
    boards = dashboard.for_platform(owner, deps())
    if wants_csv(event):
        return _csv(event, "platform", boards)
    return respond(200, dashboard.platform_view(boards))
