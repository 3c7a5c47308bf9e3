"""The console's review of orders the risk rules hold (风控): approve (delivered) or reject (refunded)."""
from pydantic import BaseModel, ConfigDict, Field

from kameng.handlers.owner.gate import owner_api, path_param
from kameng.http import body_fields, parse, respond
from kameng.services import risk_review as risk
from kameng.services.owner_orders import summary
from kameng.wiring import deps


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=200)


@owner_api
def approve_order(event, owner):
    return respond(200, {"order": summary(risk.approve(owner, path_param(event, "id"), deps()))})


@owner_api
def reject_order(event, owner):
    request = parse(RejectRequest, body_fields(event))
    return respond(200, {"order": summary(risk.reject(owner, path_param(event, "id"), request.reason, deps()))})
