"""POST (or, for 易支付, GET) /api/webhooks/{rail}: a rail's notification, verified before it is read, applied once,
and answered as that rail expects (Stripe JSON, Alipay's and 易支付's `success`, WeChat Pay's 204)."""
from kameng.http import api, raw_body, respond
from kameng.ports.outside import Notification
from kameng.services import payments
from kameng.wiring import deps


@api
def handler(event, context=None):
    services = deps()
    gateway = services.rail((event.get("pathParameters") or {}).get("rail", ""))
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    verified = gateway.verify_event(Notification(raw_body(event), headers, event.get("rawQueryString") or ""))
    outcome = payments.handle_event(verified, services)
    answer = gateway.acknowledge(verified)
    if answer.content_type == "application/json":
        # What became of it, for whoever reads the rail's delivery log.
        return respond(answer.status, {"received": True, "outcome": outcome.value})
    return {"statusCode": answer.status, "headers": {"content-type": answer.content_type}, "body": answer.body.decode()}


# 易支付 notifies by GET. One route per function (infra/template.py), so the GET route has a name of its own.
handler_get = handler
