"""YAML and front matter, with errors that point at a line."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import yaml

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


class ParseError(Exception):
    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: {expected}")
        self.field = field
        self.expected = expected


class _StrictLoader(_Loader):  # type: ignore[misc, valid-type]
    """PyYAML keeps the last of two equal keys; two `retail:` lines are a mistake to report."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: the base class reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


@dataclass(frozen=True)
class Document:
    fields: dict[str, Any]
    body: str


def normalize(raw: bytes) -> str:
    return raw.decode("utf-8-sig").replace("\r\n", "\n")


class YamlCache:
    """Fields parsed by earlier builds, by the exact YAML text.

    Parsing is a function of the text alone, so a cached result is what
    parsing again would give. Only results made of JSON's own types are kept
    (the manifest is JSON); a text that fails to parse is never cached, so its
    error is reported on every build. Validating the fields is not cached.
    """

    def __init__(self, entries: dict[str, Any] | None = None) -> None:
        self._previous: dict[str, Any] = entries or {}
        self.used: dict[str, Any] = {}

    def get(self, text: str) -> dict[str, Any] | None:
        key = _key(text)
        data = self._previous.get(key)
        if not isinstance(data, dict):
            return None
        self.used[key] = data
        return data

    def put(self, text: str, data: dict[str, Any]) -> None:
        if _plain(data):
            self.used[_key(text)] = data


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: Any) -> bool:
    """Made only of what JSON gives back unchanged: dicts with str keys, lists, str, int, finite float, bool, None."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    return kind in (str, int, bool) or value is None


def read_yaml(text: str, field: str = "file", first_line: int = 1, cache: YamlCache | None = None) -> dict[str, Any]:
    if cache is not None and (cached := cache.get(text)) is not None:
        return cached
    data = _parse_yaml(text, field, first_line)
    if cache is not None:
        cache.put(text, data)
    return data


def _parse_yaml(text: str, field: str, first_line: int) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + first_line}" if mark else field
        expected = f"invalid YAML: {error.problem or error.context}"
        if error.context and error.context_mark and error.problem:
            expected += f" ({error.context} that starts on line {error.context_mark.line + first_line})"
        raise ParseError(where, expected) from None
    except yaml.YAMLError as error:
        raise ParseError(field, f"invalid YAML: {error}") from None
    if not isinstance(data, dict):
        got = "nothing" if data is None else type(data).__name__
        raise ParseError(field, f"expected YAML fields such as `title: …` (got {got})")
    return data


def read_front_matter(text: str, cache: YamlCache | None = None) -> Document:
    if not text.startswith("---\n"):
        raise ParseError(
            "front matter", "expected the file to start with a '---' line, YAML fields and a closing '---' line"
        )
    closing = _CLOSING.search(text, 4)
    if closing is None:
        raise ParseError("front matter", "expected a closing '---' line after the YAML fields")
    # The YAML starts on the file's second line; errors report file lines.
    fields = read_yaml(text[4 : closing.start()], "front matter", first_line=2, cache=cache)
    return Document(fields=fields, body=text[closing.end() :].lstrip("\n"))
