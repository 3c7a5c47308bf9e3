"""The Publisher on S3 + CloudFront: one bucket prefix per station, one invalidation per publish.

Each object carries its content's SHA-256 in `x-amz-meta-sha256`, so the next
publish can tell unchanged files without downloading them. ListObjectsV2 does
not return user metadata, so listing a prefix costs one HeadObject per object,
run `max_workers` at a time (boto3 clients are thread-safe; give the S3 client
`botocore.config.Config(max_pool_connections=...)` at least `max_workers`).

    import boto3
    from botocore.config import Config
    publisher = S3CloudFrontPublisher(
        boto3.client("s3", config=Config(max_pool_connections=16)),
        boto3.client("cloudfront"),
        max_workers=16,
    )
"""
from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from kameng.ports.outside import PublishError, RemoteObject, Upload

HASH_METADATA = "sha256"  # stored by S3 as x-amz-meta-sha256
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
DEFAULT_WORKERS = 10  # botocore's default connection pool size

T = TypeVar("T")
R = TypeVar("R")


class S3CloudFrontPublisher:
    def __init__(self, s3: Any, cloudfront: Any = None, max_workers: int = DEFAULT_WORKERS):
        self._s3 = s3
        self._cloudfront = cloudfront
        self._workers = max(1, max_workers)

    def list_objects(self, bucket: str, prefix: str) -> list[RemoteObject]:
        keys = [
            item["Key"]
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", ())
        ]
        return self._each(keys, lambda key: self._head(bucket, key))

    def upload(self, bucket: str, uploads: Sequence[Upload]) -> dict[str, str | None]:
        return dict(zip((u.key for u in uploads), self._each(uploads, lambda upload: self._put(bucket, upload))))

    def delete(self, bucket: str, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            response = self._s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            errors = response.get("Errors") or []
            if errors:
                shown = "; ".join(f"{e.get('Key')}: {e.get('Code')} {e.get('Message', '')}".strip() for e in errors[:5])
                raise PublishError(f"s3://{bucket}: {len(errors)} object(s) could not be deleted: {shown}")

    def invalidate(self, distribution_id: str, paths: Sequence[str]) -> str:
        if self._cloudfront is None:
            raise PublishError("a CloudFront client is needed to invalidate; none was given")
        response = self._cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": list(paths)},
                # Unique per request: a repeated reference makes CloudFront hand back
                # the earlier invalidation instead of invalidating again.
                "CallerReference": f"kameng-{uuid.uuid4().hex}",
            },
        )
        return response["Invalidation"]["Id"]

    def put_record(self, bucket: str, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json",
                            ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode())

    def read_record(self, bucket: str, key: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            raise PublishError(f"s3://{bucket}/{key}: no such record") from None

    def record_keys(self, bucket: str, prefix: str) -> list[str]:
        return sorted(
            item["Key"]
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", ())
        )

    def restore(self, bucket: str, key: str, version_id: str) -> str | None:
        # A copy of the old version onto its own key keeps its metadata (hash, type, caching) and becomes the
        # current version; the versions in between stay, so a rollback can itself be rolled back.
        response = self._s3.copy_object(Bucket=bucket, Key=key,
                                        CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id})
        return response.get("VersionId")

    def _head(self, bucket: str, key: str) -> RemoteObject:
        head = self._s3.head_object(Bucket=bucket, Key=key)
        return RemoteObject(
            key=key,
            sha256=(head.get("Metadata") or {}).get(HASH_METADATA),
            content_type=head.get("ContentType"),
            cache_control=head.get("CacheControl"),
            version_id=_version(head.get("VersionId")),
        )

    def _put(self, bucket: str, upload: Upload) -> str | None:
        body = upload.source.read_bytes()
        response = self._s3.put_object(
            Bucket=bucket,
            Key=upload.key,
            Body=body,
            ContentType=upload.content_type,
            CacheControl=upload.cache_control,
            Metadata={HASH_METADATA: upload.sha256},
            # S3 checks the bytes it received against the hash we planned with.
            ChecksumSHA256=base64.b64encode(bytes.fromhex(upload.sha256)).decode(),
        )
        return _version(response.get("VersionId"))

    def _each(self, items: Iterable[T], call: Callable[[T], R]) -> list[R]:
        items = list(items)
        if len(items) <= 1 or self._workers == 1:
            return [call(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self._workers, len(items))) as pool:
            # Raises the first failure, after every call has finished.
            return list(pool.map(call, items))


def _version(version_id: str | None) -> str | None:
    # An unversioned bucket names every object's version "null".
    return None if version_id in (None, "null") else version_id
