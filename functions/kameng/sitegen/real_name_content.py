"""`real_name:` in a station.yaml: which orders need a verified identity (实名认证) before checkout takes them.

    real_name:
      above: 500.00              # orders whose total is above this amount (the station's currency)
      products: [windows-11-pro] # and any order of these products, whatever its total

A field set that content.py's station spec takes in as a base class, like storefront_content.py's.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, model_validator

from kameng.domain.money import parse_major
from kameng.domain.real_name import RealNameRule

ProductId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class RealNameSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    above: Annotated[int, BeforeValidator(parse_major)] | None = None
    products: list[ProductId] = []

    @model_validator(mode="after")
    def _says_something(self) -> "RealNameSpec":
        if self.above is None and not self.products:
            raise ValueError("expected above: (an amount) or products: (product ids), or leave real_name out")
        if self.above is not None and self.above < 0:
            raise ValueError("above: expected an amount ≥ 0")
        return self

    def to_domain(self) -> RealNameRule:
        return RealNameRule(above=self.above, products=tuple(self.products))


class RealNameField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    real_name: RealNameSpec | None = None
