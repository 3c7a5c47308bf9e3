"""After-sales tickets (售后): a shopper's report about one key of a delivered order, and its thread.

A ticket is open until an owner answers (answered) and resolved once the key is replaced, refunded or
the owner closes it with an answer. A key has at most one unresolved ticket at a time.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from kameng.domain.errors import DomainError, InvalidRequest


class TicketReason(StrEnum):
    KEY_INVALID = "key_invalid"
    KEY_USED = "key_used"
    WRONG_ITEM = "wrong_item"
    OTHER = "other"


class TicketStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    REPLACED = "replaced"
    REFUNDED = "refunded"
    ANSWERED = "answered"


class Author(StrEnum):
    SHOPPER = "shopper"
    OWNER = "owner"


MAX_DETAILS = 1000
MAX_MESSAGE = 2000
# A thread lives in one store item (DynamoDB: 400 KB); this many full messages stay far below it.
MAX_MESSAGES = 50
# Line breaks are how people write; every other control or format character (bidi overrides,
# zero-width joiners) only serves to disguise text shown to the owner.
_ALLOWED_CONTROLS = {"\n", "\t"}


def clean_text(text: object, field: str, limit: int, required: bool) -> str:
    if not isinstance(text, str):
        raise InvalidRequest("内容必须是文本", [{"loc": field, "msg": "must be text"}])
    cleaned = text.replace("\r\n", "\n").strip()
    if required and not cleaned:
        raise InvalidRequest("请填写内容", [{"loc": field, "msg": "must not be empty"}])
    if len(cleaned) > limit:
        raise InvalidRequest(f"内容不能超过 {limit} 个字符",
                             [{"loc": field, "msg": f"at most {limit} characters (got {len(cleaned)})"}])
    if any(ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in cleaned):
        raise InvalidRequest("内容包含不可见的控制字符", [{"loc": field, "msg": "contains control characters"}])
    return cleaned


def reason_of(value: object) -> TicketReason:
    try:
        return TicketReason(value)
    except ValueError:
        allowed = ", ".join(r.value for r in TicketReason)
        raise InvalidRequest("请选择问题类型", [{"loc": "reason", "msg": f"expected one of {allowed}"}]) from None


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    author: Author
    text: str
    at: datetime
    # The owner's e-mail is kept for the audit trail but never shown to the shopper.
    by: str | None = None


class Ticket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    order_id: str
    station: str
    sku: str
    key_id: str
    reason: TicketReason
    details: str
    status: TicketStatus
    messages: tuple[Message, ...]
    created_at: datetime
    answered_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: Resolution | None = None
    # The key the shopper got in place of `key_id` (now void), for a replaced ticket.
    replacement_key_id: str | None = None
    # Every change writes version + 1 under the condition that the stored version is still this one.
    version: int = 0

    @property
    def unresolved(self) -> bool:
        return self.status is not TicketStatus.RESOLVED

    def waited_seconds(self, now: datetime) -> int:
        """How long the shopper waited (or is waiting) for the first answer."""
        until = self.answered_at or self.resolved_at or now
        return max(0, int((until - self.created_at).total_seconds()))

    def _with_message(self, text: str, now: datetime, by: str) -> tuple[Message, ...]:
        if len(self.messages) >= MAX_MESSAGES:
            raise InvalidRequest(f"一个工单最多 {MAX_MESSAGES} 条消息")
        return self.messages + (Message(author=Author.OWNER, text=text, at=now, by=by),)

    def replied(self, text: str, now: datetime, by: str) -> "Ticket":
        self.ensure_unresolved()
        return self.model_copy(update={
            "messages": self._with_message(text, now, by), "status": TicketStatus.ANSWERED,
            "answered_at": self.answered_at or now, "version": self.version + 1})

    def resolved(self, resolution: Resolution, now: datetime, by: str, text: str | None = None) -> "Ticket":
        self.ensure_unresolved()
        messages = self._with_message(text, now, by) if text else self.messages
        return self.model_copy(update={
            "messages": messages, "status": TicketStatus.RESOLVED, "resolution": resolution,
            "answered_at": self.answered_at or now, "resolved_at": now, "version": self.version + 1})

    def ensure_unresolved(self) -> None:
        if not self.unresolved:
            raise TicketClosed("该工单已处理完毕")


def new_ticket(ticket_id: str, order_id: str, station: str, sku: str, key_id: str, reason: object, details: object,
               now: datetime) -> Ticket:
    text = clean_text(details, "details", MAX_DETAILS, required=False)
    return Ticket(id=ticket_id, order_id=order_id, station=station, sku=sku, key_id=key_id, reason=reason_of(reason),
                  details=text, status=TicketStatus.OPEN,
                  messages=(Message(author=Author.SHOPPER, text=text, at=now),) if text else (), created_at=now)


class TicketClosed(DomainError):
    """The ticket is resolved already: another owner got there first."""

    code = "ticket_closed"


class TicketAlreadyOpen(DomainError):
    """The key has an unresolved ticket: the shopper follows that one instead."""

    code = "ticket_already_open"


class KeyNotReportable(DomainError):
    """The key is not one this delivered order holds (another order's, or the order is not delivered)."""

    code = "key_not_reportable"
