"""Where the stations' content lives, as the console's editor needs it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager, Mapping, Protocol


@dataclass(frozen=True)
class StationContent:
    # The editable files by path: station.yaml, landing.md, pages/<slug>.md, and products/<id>.md (a
    # substation's own goods; the main station's supply is left out of the editor by the service).
    files: dict[str, str]
    images: tuple[str, ...]  # names under images/: shown to the editor, not changed by it
    version: str  # domain.content.version_of(files)


class ContentFiles(Protocol):
    """Where the stations' content lives: content/ on one machine, a private bucket's prefix at scale."""

    def station_content(self, station: str) -> StationContent | None:
        """The station's editable files; None for a station with no folder."""

    def save(self, station: str, changes: Mapping[str, str | None], expected_version: str) -> str:
        """Write the changed files (None deletes a page) only while the station's version is still
        `expected_version`, and return the new one; raises Conflict when it is not."""

    def copy_all(self, folder: Path) -> None:
        """The whole content tree into `folder`, as the build reads it."""

    def replace_file(self, path: str, text: str) -> bool:
        """Write one file of the platform's own (not a station's: suppliers/synced.yaml) whole, unless it
        holds this text already; True when it changed."""

    def lock(self) -> ContextManager[None]:
        """Held around a publish, so two publishes never interleave their writes and builds."""
