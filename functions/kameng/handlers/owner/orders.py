from pydantic import BaseModel, ConfigDict, Field

from kameng.handlers.owner.gate import csv_response, owner_api, path_param, query, wants_csv
from kameng.http import body_fields, parse, respond
from kameng.services import owner_orders
from kameng.wiring import deps

SEARCH_FIELDS = ("order_id", "email", "from", "to", "status", "cursor", "limit")
CSV_COLUMNS = ("id", "created_at", "station", "sku", "quantity", "total", "currency", "status", "email",
               "refunded_keys")


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_ids: list[str] | None = Field(None, min_length=1, max_length=50)
    reason: str | None = Field(None, max_length=500)


@owner_api
def search_orders(event, owner):
    export = wants_csv(event)
    search = owner_orders.parse_search({name: query(event, name) for name in SEARCH_FIELDS}, export)
    found = owner_orders.search_orders(owner, path_param(event, "station"), search, deps())
    if export:
        return csv_response("orders.csv", CSV_COLUMNS, ([o[c] for c in CSV_COLUMNS] for o in found["orders"]))
    return respond(200, found)


@owner_api
def get_order(event, owner):
    return respond(200, owner_orders.order_detail(owner, path_param(event, "id"), deps()))


@owner_api
def reveal_key(event, owner):
    return respond(200, owner_orders.reveal_key(owner, path_param(event, "id"), path_param(event, "key_id"), deps()))


@owner_api
def resend_delivery(event, owner):
    return respond(200, owner_orders.resend_delivery(owner, path_param(event, "id"), deps()))


@owner_api
def refund_order(event, owner):
    request = parse(RefundRequest, body_fields(event))
    return respond(200, owner_orders.refund(owner, path_param(event, "id"), request.key_ids, request.reason, deps()))
