"""Posters already drawn, kept by their content hash: a folder on one machine, a private prefix of the
uploads bucket in a deployment. Keeping is an optimisation: a poster that cannot be kept is drawn again
next time, never an error for the shopper.

    cache = FolderPosterCache(Path("var/posters"))
    cache = S3PosterCache(boto3.client("s3"), "my-private-bucket")
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from kameng.adapters.private_files import private_folder, write_private

log = logging.getLogger(__name__)
KEY = re.compile(r"^[0-9a-f]{64}$")
PREFIX = "private/posters/"


def _checked(key: str) -> str:
    if not KEY.match(key):
        raise ValueError(f"not a poster's hash: {key!r}")
    return key


class FolderPosterCache:
    def __init__(self, folder: Path):
        self._folder = folder

    def get(self, key: str) -> bytes | None:
        try:
            return (self._folder / f"{_checked(key)}.png").read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, png: bytes) -> None:
        path = self._folder / f"{_checked(key)}.png"
        partial = path.with_suffix(".part")
        try:
            private_folder(self._folder)
            write_private(partial, png)
            # A reader sees the whole file or none: never half a PNG.
            partial.replace(path)
        except OSError:
            log.warning("poster not kept", extra={"key": key}, exc_info=True)


class S3PosterCache:
    def __init__(self, s3: Any, bucket: str, prefix: str = PREFIX):
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix

    def get(self, key: str) -> bytes | None:
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=self._prefix + _checked(key) + ".png")
        except self._s3.exceptions.ClientError as error:
            # Without s3:ListBucket a missing object answers AccessDenied, not NoSuchKey.
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "AccessDenied", "404", "403"}:
                return None
            raise
        return found["Body"].read()

    def put(self, key: str, png: bytes) -> None:
        try:
            self._s3.put_object(Bucket=self._bucket, Key=self._prefix + _checked(key) + ".png", Body=png,
                                ContentType="image/png")
        except Exception:  # noqa: BLE001 - the poster is served either way
            log.warning("poster not kept", extra={"key": key}, exc_info=True)
