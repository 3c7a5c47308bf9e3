from kameng.http import api, header, raw_body, respond
from kameng.services import payments
from kameng.wiring import deps


@api
def handler(event, context=None):
    services = deps()
    verified = services.gateway.verify_event(raw_body(event), header(event, "stripe-signature"))
    return respond(200, {"received": True, "outcome": payments.handle_event(verified, services).value})
