"""Content mistakes, collected across the whole build and reported at once.

Every message reads `<file>: <field>: <what was expected> (got <value>)`,
because the owner fixes content by opening that file at that field.
"""
from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

_NOTHING = object()


class ContentError(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(messages)
        self.messages = messages

    def __str__(self) -> str:
        return "\n".join(self.messages)


def show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += f".{part}" if path else str(part)
    return path or "file"


class Problems:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, source: str, field: str, expected: str, got: Any = _NOTHING) -> None:
        suffix = "" if got is _NOTHING else f" (got {show(got)})"
        self.messages.append(f"{source}: {field}: {expected}{suffix}")

    def add_validation(
        self,
        source: str,
        error: ValidationError,
        model: type[BaseModel],
        hints: Mapping[str, str] = {},
    ) -> None:
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            field = field_path(loc)
            if detail["type"] == "extra_forbidden":
                expected = hints.get(field) or _unknown_field(model, loc)
                self.add(source, field, expected)
                continue
            expected = _expectation(detail)
            if detail["type"] == "missing" or "(got " in expected:
                self.add(source, field, expected)
            else:
                self.add(source, field, expected, detail.get("input"))

    def raise_if_any(self) -> None:
        if self.messages:
            raise ContentError(list(self.messages))


def _expectation(detail: Mapping[str, Any]) -> str:
    kind, ctx, message = detail["type"], detail.get("ctx") or {}, detail["msg"]
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return str(ctx.get("error", message))
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "expected at least one entry"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "expected a whole number"
    if kind in ("string_type",):
        return "expected text"
    if kind in ("list_type",):
        return "expected a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "expected a mapping of fields"
    if kind == "greater_than_equal":
        return f"expected a number ≥ {ctx['ge']}"
    if kind == "less_than_equal":
        return f"expected a number ≤ {ctx['le']}"
    if kind == "string_too_long":
        return f"expected at most {ctx['max_length']} characters"
    return message.replace("Input should be", "expected", 1)


def _unknown_field(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    owner = _model_at(model, loc[:-1])
    if owner is None:
        return "unknown field"
    names = sorted(owner.model_fields)
    known = names + sorted({info.alias for info in owner.model_fields.values() if info.alias} - set(names))
    # Above difflib's default 0.6: a typo (sumary) is close, a different word (stock, low_stock) is not.
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.8) if loc else []
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown field; {guess}expected one of: " + ", ".join(names)


def valid_part(data: Any, error: ValidationError, model: type[BaseModel]) -> Any:
    """The model made of what did validate, for the checks that follow; None if that cannot be told apart.

    Unknown fields are dropped, and so is each optional top-level field with
    a mistake (it then has its default, which is valid by definition); a
    mistake in a required field or in the file as a whole leaves nothing.
    The mistakes were reported already: a second failure is not reported.
    """
    if not isinstance(data, dict):
        return None
    pruned = copy.deepcopy(data)  # the parsed YAML may be shared with a cache
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        if detail["type"] == "extra_forbidden" and _drop(pruned, loc):
            continue
        info = model.model_fields.get(loc[0]) if loc and isinstance(loc[0], str) else None
        if info is None or info.is_required():
            return None
        pruned.pop(loc[0], None)
    try:
        return model.model_validate(pruned)
    except ValidationError:
        return None


def _drop(data: Any, loc: tuple[int | str, ...]) -> bool:
    for part in loc[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(data, dict) or loc[-1] not in data:
        return False
    del data[loc[-1]]
    return True


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None or part not in current.model_fields:
            return None
        current = _model_in(current.model_fields[part].annotation)
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
