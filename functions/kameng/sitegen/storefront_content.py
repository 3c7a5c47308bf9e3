"""How a station's goods are put forward: best sellers on the landing, substations in the main station's directory.

Each is a field set that content.py's specs take in as a base class, so a
product file or a station.yaml validates them with its other fields.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints, model_validator

# Shown under the station's name in the directory: a line, not an essay.
Blurb = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^\r\n]*$")]


class DirectorySpec(BaseModel):
    """`directory:` in a substation's station.yaml. Only `listed: true` shows it: an owner may keep a shop private."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listed: StrictBool = False
    blurb: Blurb | None = None

    @model_validator(mode="after")
    def _blurb_needs_a_listing(self) -> "DirectorySpec":
        if self.blurb and not self.listed:
            raise ValueError("a blurb is shown only in the directory: expected listed: true with it")
        return self


class DirectoryField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: DirectorySpec = DirectorySpec()


class BestSellerField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The landing's best sellers, on every station that sells the product; none marked: the first by `sort`.
    best_seller: StrictBool = False
