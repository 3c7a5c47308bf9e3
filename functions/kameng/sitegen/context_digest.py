"""A digest of what a page is made of: every value, and every field of every object in it.

A page is rendered again only when its fingerprint changes, and its
fingerprint is this digest of everything its template's context is made from
(render.py): so a value added to a page is in its fingerprint without anyone
listing it. Nothing may escape it: a dataclass is walked field by field
(declared fields: what a cached_property holds is made from them), a pydantic
model goes in as its JSON (every field), tuples and dicts item by item, and a
type it does not know fails the build rather than being skipped.

Fast enough for every page of a big catalogue on every build: json's C
encoder walks the plain values, and an object that many pages show (a
product, an image, a spec from content, the station) is digested once per
build.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel

_Plain = Callable[[Any], Any]


class ContextDigest:
    """digest(*values) → hex. One per build: it keeps the digests of the `shared` objects it has met."""

    def __init__(self, shared: tuple[type, ...] = ()) -> None:
        self._shared = shared
        # id → (a shared object, its digest). Holding the object keeps its id from being reused.
        self._known: dict[int, tuple[Any, str]] = {}
        self._plain_by_type: dict[type, _Plain] = {}
        self._encode = json.JSONEncoder(
            ensure_ascii=False, check_circular=False, separators=(",", ":"), default=self._plain
        ).encode

    def __call__(self, *values: Any) -> str:
        return _hash(self._encode(values))

    def _plain(self, value: Any) -> Any:
        """What json cannot encode, as what it can: the encoder calls this for each such value."""
        known = self._known.get(id(value))
        if known is not None:
            return known[1]
        kind = type(value)
        plain = self._plain_by_type.get(kind)
        if plain is None:
            plain = self._plain_by_type[kind] = self._plain_for(kind)
        return plain(value)

    def _plain_for(self, kind: type) -> _Plain:
        fields = _fields_of(kind)
        if fields is None:
            return _scalar
        if not issubclass(kind, self._shared):
            return fields

        def shared(value: Any) -> str:
            digest = "=" + self(fields(value))
            self._known[id(value)] = (value, digest)
            return digest

        return shared


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _fields_of(kind: type) -> _Plain | None:
    name = kind.__qualname__
    if issubclass(kind, BaseModel):
        # Every field, by pydantic's own serializer: many times faster than walking them here.
        return lambda value: (name, value.model_dump_json())
    if not dataclasses.is_dataclass(kind):
        return None
    names = [field.name for field in dataclasses.fields(kind)]
    if len(names) == 1:
        only = names[0]
        return lambda value: (name, getattr(value, only))
    get = operator.attrgetter(*names) if names else (lambda value: ())
    return lambda value: (name, get(value))


def _scalar(value: Any) -> Any:
    if isinstance(value, (Decimal, PurePath)):
        return (type(value).__name__, str(value))
    if isinstance(value, (datetime, date)):
        return (type(value).__name__, value.isoformat())
    if isinstance(value, SimpleNamespace):
        return ("namespace", vars(value))
    if isinstance(value, (set, frozenset)):
        return ("set", sorted(value))
    raise TypeError(
        f"a {type(value).__qualname__} in a page's context: its fingerprint cannot show a change in it;"
        " pass plain values, a frozen dataclass or a pydantic model"
    )
