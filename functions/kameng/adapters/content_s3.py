"""Stations' content under a prefix of a private S3 bucket: where the production console edits it.

    S3ContentFiles(boto3.client("s3"), "kameng-content", prefix="content/")

Keys mirror the content/ folder: <prefix><station>/station.yaml, .../pages/about.md, .../images/logo.svg.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path, PurePosixPath
from typing import Any

from kameng.domain.content import LANDING, PAGES, PRODUCTS, STATION_FILE, version_of
from kameng.ports.content import StationContent
from kameng.ports.store import Conflict


# Downloads at once in copy_all; the S3 client must pool as many connections (content_wiring makes it so).
COPY_THREADS = 32


class S3ContentFiles:
    def __init__(self, s3: Any, bucket: str, prefix: str = "content/",
                 lock: Callable[[], AbstractContextManager[Any]] | None = None):
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix
        self._lock = lock

    def station_content(self, station: str) -> StationContent | None:
        keys = self._keys(f"{self._prefix}{station}/")
        if not keys:
            return None
        files: dict[str, str] = {}
        images: list[str] = []
        for relative in keys:
            if relative in (STATION_FILE, LANDING) or _is_page(relative):
                files[relative] = self._read(f"{self._prefix}{station}/{relative}")
            elif relative.startswith("images/") and relative.count("/") == 1:
                images.append(relative.removeprefix("images/"))
        return StationContent(dict(sorted(files.items())), tuple(sorted(images)), version_of(files))

    def save(self, station: str, changes: Mapping[str, str | None], expected_version: str) -> str:
        current = self.station_content(station)
        if current is None or current.version != expected_version:
            raise Conflict(f"{station}: content changed since version {expected_version}")
        files = dict(current.files)
        for path, text in changes.items():
            key = f"{self._prefix}{station}/{path}"
            if text is None:
                self._s3.delete_object(Bucket=self._bucket, Key=key)
                files.pop(path, None)
            else:
                self._s3.put_object(Bucket=self._bucket, Key=key, Body=text.encode("utf-8"),
                                    ContentType="text/plain; charset=utf-8")
                files[path] = text
        return version_of(files)

    def copy_all(self, folder: Path) -> None:
        # A thousand stations are thousands of small objects: one at a time, their round trips took over a
        # minute of each build call; COPY_THREADS at once (the client's pool holds as many) take seconds.
        copies: list[tuple[str, Path]] = []
        for relative in self._keys(self._prefix):
            parts = PurePosixPath(relative).parts
            # A key is a name, not a path: one that climbs out of the folder is not content.
            if not parts or any(part in ("", ".", "..") for part in parts):
                continue
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            copies.append((self._prefix + relative, target))
        with ThreadPoolExecutor(COPY_THREADS) as pool:
            # list(): the first failed download fails the copy, as it did one at a time.
            list(pool.map(lambda copy: self._s3.download_file(self._bucket, copy[0], str(copy[1])), copies))

    def replace_file(self, path: str, text: str) -> bool:
        key = self._prefix + path
        try:
            if self._read(key) == text:
                return False
        except self._s3.exceptions.NoSuchKey:
            pass
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=text.encode("utf-8"),
                            ContentType="text/plain; charset=utf-8")
        return True

    @contextmanager
    def lock(self) -> Iterator[None]:
        # The console's publish and the supplier sync are two functions: each reads content/, writes to it,
        # builds and publishes under this one lock (a lease in the store), so neither builds without the
        # other's change and then publishes over it. Without one (a single writer), nothing to hold.
        with self._lock() if self._lock is not None else nullcontext():
            yield

    def _keys(self, prefix: str) -> list[str]:
        return [
            item["Key"][len(prefix):]
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
            for item in page.get("Contents", ())
            if not item["Key"].endswith("/")
        ]

    def _read(self, key: str) -> str:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read().decode("utf-8")


def _is_page(relative: str) -> bool:
    """A page, or one of a substation's own goods: products/<id>.md."""
    return relative.startswith((PAGES, PRODUCTS)) and relative.endswith(".md") and relative.count("/") == 1
