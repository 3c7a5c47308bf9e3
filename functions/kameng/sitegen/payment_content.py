"""`payments:` in a station.yaml: the rails its pay step offers, in order, and its bank account for transfers."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from kameng.domain.price_book import BankAccount

RAILS = ("alipay", "wechat", "stripe", "epay", "bank")
Rail = Literal["alipay", "wechat", "stripe", "epay", "bank"]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\r\n]*$")]


class BankAccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    bank: Line
    branch: Line | None = None
    account_name: Line
    # Banks print account numbers in groups; buyers copy them either way.
    account_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9][0-9 ]{5,40}[0-9]$")]
    # A business transfer takes a day or two to arrive; the order (and its keys) waits this long.
    days: int = Field(3, ge=1, le=30)

    def to_domain(self) -> BankAccount:
        return BankAccount(bank=self.bank, branch=self.branch, account_name=self.account_name,
                           account_no=self.account_no, days=self.days)


class PaymentsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rails: list[Rail] = Field(default_factory=lambda: ["stripe"], min_length=1)
    bank: BankAccountSpec | None = None

    @field_validator("rails")
    @classmethod
    def _once_each(cls, rails: list[str]) -> list[str]:
        twice = sorted({rail for rail in rails if rails.count(rail) > 1})
        if twice:
            raise ValueError(f"expected each rail once (got {', '.join(twice)} twice)")
        return rails

    @model_validator(mode="after")
    def _bank_needs_an_account(self) -> "PaymentsSpec":
        if "bank" in self.rails and self.bank is None:
            raise ValueError("rails lists bank: expected bank: with bank, account_name and account_no to transfer to")
        return self
