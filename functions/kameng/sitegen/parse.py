"""YAML and front matter, with errors that point at a line."""
from __future__ import annotations

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


def normalise(raw: bytes) -> str:
    return raw.decode("utf-8-sig").replace("\r\n", "\n")


def read_yaml(text: str, field: str = "file", first_line: int = 1) -> dict[str, Any]:
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


def read_front_matter(text: str) -> Document:
    if not text.startswith("---\n"):
        raise ParseError(
            "front matter", "expected the file to start with a '---' line, YAML fields and a closing '---' line"
        )
    closing = _CLOSING.search(text, 4)
    if closing is None:
        raise ParseError("front matter", "expected a closing '---' line after the YAML fields")
    # The YAML starts on the file's second line; errors report file lines.
    fields = read_yaml(text[4 : closing.start()], "front matter", first_line=2)
    return Document(fields=fields, body=text[closing.end() :].lstrip("\n"))
