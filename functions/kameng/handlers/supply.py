"""Suppliers' callbacks: verified by the supplier's own signature, answered with the text it waits for."""
from kameng.http import api, raw_body
from kameng.services import supply_callbacks
from kameng.wiring import deps


@api
def callback(event, context=None):
    name = ((event.get("pathParameters") or {}).get("name") or "")[:64]
    reply = supply_callbacks.receive(name, raw_body(event), event.get("headers") or {}, deps())
    return {"statusCode": 200, "headers": {"content-type": "text/plain; charset=utf-8", "cache-control": "no-store"},
            "body": reply}
