"""Editing one station's content from the console: read it, try edits, publish them (a substation's own
goods among its files).

Every try and every publish is the build's own run over a copy of the whole content with the edits
applied, building only the edited station: its messages are the ones `make build` prints, its pages
the preview, and (once published) the station's site. Locally the publish then rebuilds site/ as
`make build` does; in production the one station's build goes to the CDN through publish_site.
"""
from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kameng.deps import Deps
from kameng.domain.errors import ContentChanged, ContentInvalid
from kameng.domain.content import (LANDING, PAGES, PRODUCTS, STATION_FILE, checked_changes, digest_of,
                                   platform_fields_changed, platform_sku_fields_changed)
from kameng.domain.errors import InvalidRequest, NotFound
from kameng.domain.owners import Owner, Permission, Role, check
from kameng.ports.content import ContentFiles, StationContent
from kameng.ports.outside import Publisher
from kameng.ports.store import Conflict
from kameng.services import audit, publish_site
from kameng.sitegen import ContentError, build
from kameng.sitegen.parse import ParseError, normalize, read_front_matter, read_yaml

log = logging.getLogger(__name__)
# The build names files as the owner sees them, content/<station>/..., after the folder it reads.
CONTENT = "content"


@dataclass(frozen=True)
class CdnTarget:
    bucket: str
    distribution_id: str | None
    publisher: Publisher
    # One publish of a station at a time (services/rollout.py publish_lease); None: nothing else publishes.
    lease: Any = None


@dataclass(frozen=True)
class ContentSite:
    """Where content is kept, the themes it is built with, and where a published station goes live:
    `site_dir` (built in place, as `make build` does) on one machine, `cdn` in production."""

    files: ContentFiles
    templates_dir: Path
    site_dir: Path | None = None
    cdn: CdnTarget | None = None


@dataclass(frozen=True)
class Trial:
    messages: list[str]
    preview: dict[str, str]


def editable(owner: Owner, station: str, deps: Deps, site: ContentSite) -> dict:
    check(owner, Permission.PUBLISH, station)
    content = _content(site, station, deps)
    return {"station": station, "version": content.version,
            "files": [{"path": path, "text": text} for path, text in sorted(content.files.items())],
            "images": list(content.images)}


def try_edits(owner: Owner, station: str, body: Any, deps: Deps, site: ContentSite) -> dict:
    check(owner, Permission.PUBLISH, station)
    content = _content(site, station, deps)
    changes = _changed(checked_changes(_files(body), content.files, _products(content)), content)
    with tempfile.TemporaryDirectory(prefix="kameng-content-") as folder:
        trial = _trial(owner, station, content, changes, site, Path(folder))
    return {"ok": not trial.messages, "messages": trial.messages, "preview": trial.preview}


def publish(owner: Owner, station: str, body: Any, deps: Deps, site: ContentSite) -> dict:
    check(owner, Permission.PUBLISH, station)
    expected = body.get("expected_version") if isinstance(body, dict) else None
    if not isinstance(expected, str) or not expected:
        raise InvalidRequest("请提交 expected_version（读取内容时得到的版本）",
                             [{"loc": "expected_version", "msg": "expected the version the editor read"}])
    with site.files.lock():
        # When this build's content was read: a publish of it is refused once a build read later is live.
        read_at = datetime.now(timezone.utc)
        content = _content(site, station, deps)
        if content.version != expected:
            raise ContentChanged("站点内容在你打开编辑器之后被修改过，请重新载入后再改")
        changes = _changed(checked_changes(_files(body), content.files, _products(content)), content)
        with tempfile.TemporaryDirectory(prefix="kameng-publish-") as folder:
            trial = _trial(owner, station, content, changes, site, Path(folder))
            if trial.messages:
                raise ContentInvalid(trial.messages)
            try:
                version = site.files.save(station, changes, expected)
            except Conflict:
                raise ContentChanged("站点内容在你打开编辑器之后被修改过，请重新载入后再改") from None
            _release(station, Path(folder), site, audit.publishing_price_books(deps, owner.email), read_at)
    before = {path: _digest(content.files.get(path)) for path in sorted(changes)}
    after = {path: _digest(text) for path, text in sorted(changes.items())}
    audit.record(deps, owner.email, station, "content.publish", ",".join(sorted(changes)),
                 {"version": content.version, "files": before}, {"version": version, "files": after})
    return {"station": station, "version": version, "published": sorted(changes)}


def _content(site: ContentSite, station: str, deps: Deps) -> StationContent:
    """The station's editable files: a substation's own goods among them, never the main station's supply
    (every station resells it). The version stays the store's, over every file it read."""
    content = site.files.station_content(station)
    if content is None:
        raise NotFound("没有这个站点")
    if station == deps.settings.main_station:
        files = {path: text for path, text in content.files.items() if not path.startswith(PRODUCTS)}
        return StationContent(files, content.images, content.version)
    return content


def _products(content: StationContent) -> list[str]:
    return [path for path in content.files if path.startswith(PRODUCTS)]


def _files(body: Any) -> Any:
    return body.get("files") if isinstance(body, dict) else None


def _changed(changes: dict[str, str | None], content: StationContent) -> dict[str, str | None]:
    """What differs from the station's files: an editor may send every file, the log names what changed."""
    return {path: text for path, text in changes.items() if content.files.get(path) != text}


def _trial(owner: Owner, station: str, content: StationContent, changes: Mapping[str, str | None],
           site: ContentSite, folder: Path) -> Trial:
    """The build's messages for the station with the edits applied, and its pages when there are none."""
    root = folder / CONTENT
    site.files.copy_all(root)
    for path, text in changes.items():
        target = root / station / path
        # Replaced, not written into: whatever the copy holds at that name stays untouched.
        target.unlink(missing_ok=True)
        if text is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    messages = []
    edited = _yaml(changes.get(STATION_FILE))
    # A file that cannot be read is the build's to report; one that can must keep the platform's fields.
    if owner.role is not Role.PLATFORM_OWNER and edited is not None:
        messages += platform_fields_changed(_yaml(content.files.get(STATION_FILE)), edited,
                                            f"{CONTENT}/{station}/{STATION_FILE}")
    if owner.role is not Role.PLATFORM_OWNER:
        for path in sorted(p for p in changes if p.startswith(PRODUCTS)):
            if (after := _front(changes[path])) is not None:
                messages += platform_sku_fields_changed(_front(content.files.get(path)), after,
                                                        f"{CONTENT}/{station}/{path}")
    try:
        build(root, folder / "site", site.templates_dir, stations=[station])
    except ContentError as error:
        return Trial(messages + error.messages, {})
    if messages:
        return Trial(messages, {})
    return Trial([], _preview(folder / "site" / station, changes))


def _preview(built: Path, changes: Mapping[str, str | None]) -> dict[str, str]:
    """The built HTML of the landing page and of each edited page, by the file it was made from."""
    wanted = {LANDING: built / "index.html"}
    for path, text in changes.items():
        if path.startswith(PAGES) and text is not None:
            wanted[path] = built / path[len(PAGES):-len(".md")] / "index.html"
        elif path.startswith(PRODUCTS) and text is not None:
            wanted[path] = built / "p" / path[len(PRODUCTS):-len(".md")] / "index.html"
    return {path: page.read_text(encoding="utf-8") for path, page in wanted.items() if page.is_file()}


def _release(station: str, folder: Path, site: ContentSite, put_price_book: Any, read_at: datetime) -> None:
    if site.site_dir is not None:
        # Built again from the published content into site/: only the pages that changed are rewritten.
        build(folder / CONTENT, site.site_dir, site.templates_dir,
              publish=lambda books: [put_price_book(book) for book in books if book.station == station])
    if site.cdn is not None:
        publish_site.publish(folder / "site", [station], site.cdn.bucket, site.cdn.distribution_id,
                             site.cdn.publisher, put_price_book, echo=log.info, lease=site.cdn.lease, built_at=read_at)


def _yaml(text: str | None) -> dict | None:
    if text is None:
        return None
    try:
        data = read_yaml(normalize(text.encode("utf-8")))
    except ParseError:
        return None
    return data if isinstance(data, dict) else None


def _front(text: str | None) -> dict | None:
    """A product's front matter; None when there is none to read (the build reports why)."""
    if text is None:
        return None
    try:
        return read_front_matter(normalize(text.encode("utf-8"))).fields
    except ParseError:
        return None


def _digest(text: str | None) -> str | None:
    return None if text is None else digest_of(text)
