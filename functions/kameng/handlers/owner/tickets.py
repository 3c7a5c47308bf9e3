"""After-sales for owners and staff: the queue, one ticket with its order, and the answers to it."""
from __future__ import annotations

from kameng.handlers.owner.gate import owner_api, path_param, query
from kameng.http import body_fields, respond
from kameng.services import ticket_desk
from kameng.wiring import deps


@owner_api
def list_tickets(event, owner):
    return respond(200, {"tickets": ticket_desk.queue(owner, path_param(event, "station"), query(event, "status"), deps())})


@owner_api
def get_ticket(event, owner):
    return respond(200, ticket_desk.detail(owner, path_param(event, "id"), deps()))


@owner_api
def reply(event, owner):
    message = body_fields(event).get("message")
    return respond(200, ticket_desk.reply(owner, path_param(event, "id"), message, deps()))


@owner_api
def replace_key(event, owner):
    message = body_fields(event).get("message")
    return respond(200, ticket_desk.replace(owner, path_param(event, "id"), message, deps()))


@owner_api
def refund_key(event, owner):
    message = body_fields(event).get("message")
    return respond(200, ticket_desk.refund(owner, path_param(event, "id"), message, deps()))
