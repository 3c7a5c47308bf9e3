"""The console's content editor: one station's files, a try of edits with the build's messages and a
preview, and a publish."""
from __future__ import annotations

from typing import Any

from kameng.content_wiring import content_site
from kameng.domain.content import MAX_FILE_BYTES
from kameng.handlers.owner.gate import owner_api, path_param
from kameng.http import body_fields, respond
from kameng.services import content_edit
from kameng.wiring import deps

# Edits may run past the API's usual 64 KB body (a page may be 256 KB); Lambda takes 6 MB.
MAX_EDIT_BYTES = 8 * MAX_FILE_BYTES


@owner_api
def get_content(event, owner):
    return respond(200, content_edit.editable(owner, path_param(event, "station"), deps(), content_site()))


@owner_api
def check_content(event, owner):
    station = path_param(event, "station")
    return respond(200, content_edit.try_edits(owner, station, _edits(event), deps(), content_site()))


@owner_api
def publish_content(event, owner):
    station = path_param(event, "station")
    return respond(200, content_edit.publish(owner, station, _edits(event), deps(), content_site()))


def _edits(event: dict) -> Any:
    return body_fields(event, limit=MAX_EDIT_BYTES)
