"""The console's bank transfers: orders awaiting a transfer and refunds owed, a statement imported, one
transfer confirmed by hand, one refund recorded as paid back."""
from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.bank_transfer import MAX_STATEMENT_BYTES
from kameng.domain.errors import InvalidRequest
from kameng.handlers.owner.gate import owner_api, path_param
from kameng.http import body_fields, parse, respond
from kameng.services import bank_transfers
from kameng.wiring import deps

# The statement travels base64 in JSON: the owner API takes JSON only (a page of another site cannot send
# it), and a GBK export is not text JSON can carry as it is.
MAX_IMPORT_BODY = MAX_STATEMENT_BYTES * 4 // 3 + 1024


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csv_base64: str = Field(min_length=1)


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: int = Field(gt=0, le=100_000_000)  # minor units received
    bank_ref: str = Field(min_length=1, max_length=64)


class RefundPaidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bank_ref: str = Field(min_length=1, max_length=64)  # the bank's reference of the transfer to the buyer
    note: str | None = Field(default=None, max_length=200)


@owner_api
def list_transfers(event, owner):
    return respond(200, bank_transfers.transfers(owner, path_param(event, "station"), deps()))


@owner_api
def import_statement(event, owner):
    request = parse(ImportRequest, body_fields(event, limit=MAX_IMPORT_BODY))
    try:
        data = base64.b64decode(request.csv_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("csv_base64 不是有效的 base64", [{"loc": "csv_base64", "msg": "invalid base64"}]) from None
    return respond(200, bank_transfers.import_statement(owner, path_param(event, "station"), data, deps()))


@owner_api
def confirm_transfer(event, owner):
    request = parse(ConfirmRequest, body_fields(event))
    return respond(200, bank_transfers.confirm(owner, path_param(event, "id"), request.amount, request.bank_ref,
                                               deps()))


@owner_api
def refund_paid(event, owner):
    request = parse(RefundPaidRequest, body_fields(event))
    return respond(200, bank_transfers.record_refund_paid(owner, path_param(event, "id"), request.bank_ref,
                                                          request.note, deps()))
