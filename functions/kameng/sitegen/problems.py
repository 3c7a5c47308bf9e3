"""Content mistakes, collected across the whole build and reported at once.

Every message reads `<file>: <field>: <what was expected> (got <value>)`,
because the owner fixes content by opening that file at that field.
"""
from __future__ import annotations

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
    return "unknown field; expected one of: " + ", ".join(sorted(owner.model_fields))


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
