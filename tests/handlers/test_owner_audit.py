"""The audit log in the console: each owner reads their station's entries, the platform owner every
station's and the chain's verdict; exports are CSV; staff read none of it."""
from __future__ import annotations

import csv
import io

import pytest

from kameng.services.audit import record

from tests.support.owners import make_owner

MAIN, SUB, OTHER = "main", "game-zone", "av-club"


@pytest.fixture
def logged(deps, stations):
    boss = make_owner(deps, "boss@example.com", "platform_owner", None)
    zhang = make_owner(deps, "zhang@example.com", "station_owner", SUB)
    li = make_owner(deps, "li@example.com", "staff", SUB)
    wang = make_owner(deps, "wang@example.com", "station_owner", OTHER)
    for n in range(3):
        record(deps, "zhang@example.com", SUB, "order.refund", f"ORDER{n}", {"status": "delivered"},
               {"status": "refunded"})
    record(deps, "wang@example.com", OTHER, "stock.void", "steam-100", None, {"voided": 2})
    # A formula a spreadsheet would run, typed as an order's subject by someone hostile.
    record(deps, "zhang@example.com", SUB, "ticket.reply", "=HYPERLINK(\"http://evil\")", None, None)
    return boss, zhang, li, wang


def test_a_station_owner_reads_their_stations_entries_in_pages(logged):
    _, zhang, _, _ = logged
    # Adding the station's owners is logged at the station too: four entries before the refunds.
    first = zhang.call("GET", f"/api/owner/stations/{SUB}/audit", query={"limit": "5"})
    assert first.status == 200
    assert [e["action"] for e in first.json["entries"]][-1] == "order.refund"
    rest = zhang.call("GET", f"/api/owner/stations/{SUB}/audit",
                      query={"after": str(first.json["next_after"]), "limit": "50"})
    subjects = [e["subject"] for e in rest.json["entries"]]
    assert subjects[:2] == ["ORDER1", "ORDER2"] and "steam-100" not in subjects
    assert rest.json["next_after"] is None
    assert {e["station"] for e in first.json["entries"] + rest.json["entries"]} == {SUB}


def test_another_stations_log_is_not_found_and_staff_are_forbidden(logged):
    _, zhang, li, wang = logged
    assert wang.call("GET", f"/api/owner/stations/{SUB}/audit").status == 404
    assert zhang.call("GET", "/api/owner/platform/audit").status == 403
    refused = li.call("GET", f"/api/owner/stations/{SUB}/audit")
    assert (refused.status, refused.code) == (403, "forbidden")
    assert zhang.call("GET", "/api/owner/platform/audit/verify").status == 403


def test_the_platform_owner_reads_every_station_and_the_chains_verdict(logged, deps):
    boss = logged[0]
    everything = boss.call("GET", "/api/owner/platform/audit", query={"limit": "200"})
    stations = {e["station"] for e in everything.json["entries"]}
    assert {SUB, OTHER} <= stations
    verdict = boss.call("GET", "/api/owner/platform/audit/verify")
    assert verdict.json["whole"] is True and verdict.json["entries"] == len(everything.json["entries"])


def test_an_edited_entry_shows_in_the_verdict(logged, deps):
    boss = logged[0]
    db = deps.store.audit_log._db  # the SQLite file behind the log, edited as an intruder would
    with db.write() as conn:
        conn.execute("UPDATE audit_entries SET after = '{\"status\":\"delivered\"}' WHERE subject = 'ORDER1'")
    verdict = boss.call("GET", "/api/owner/platform/audit/verify").json
    assert verdict["whole"] is False and verdict["problems"]


def test_the_export_is_csv_with_formulas_defused(logged):
    _, zhang, _, _ = logged
    export = zhang.call("GET", f"/api/owner/stations/{SUB}/audit", query={"format": "csv"})
    assert export.status == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert 'filename="audit-game-zone.csv"' in export.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(export.body.lstrip("\ufeff"))))
    assert rows[0][:6] == ["seq", "at", "actor", "station", "action", "subject"]
    assert [r[5] for r in rows[1:] if r[4] != "owner.add" and r[4] != "owner.token_issue"] == [
        "ORDER0", "ORDER1", "ORDER2", "'=HYPERLINK(\"http://evil\")"]


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "201"}, {"after": "-1"}, {"after": "x"}])
def test_a_bad_page_is_a_clear_400(logged, query):
    _, zhang, _, _ = logged
    answer = zhang.call("GET", f"/api/owner/stations/{SUB}/audit", query=query)
    assert (answer.status, answer.code) == (400, "invalid_request")
