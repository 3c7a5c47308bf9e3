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

    def upload(self, bucket: str, uploads: Sequence[Upload]) -> None:
        self._each(uploads, lambda upload: self._put(bucket, upload))

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

    def _head(self, bucket: str, key: str) -> RemoteObject:
        head = self._s3.head_object(Bucket=bucket, Key=key)
        return RemoteObject(
            key=key,
            sha256=(head.get("Metadata") or {}).get(HASH_METADATA),
            content_type=head.get("ContentType"),
            cache_control=head.get("CacheControl"),
        )

    def _put(self, bucket: str, upload: Upload) -> None:
        body = upload.source.read_bytes()
        self._s3.put_object(
            Bucket=bucket,
            Key=upload.key,
            Body=body,
            ContentType=upload.content_type,
            CacheControl=upload.cache_control,
            Metadata={HASH_METADATA: upload.sha256},
            # S3 checks the bytes it received against the hash we planned with.
            ChecksumSHA256=base64.b64encode(bytes.fromhex(upload.sha256)).decode(),
        )

    def _each(self, items: Iterable[T], call: Callable[[T], R]) -> list[R]:
        items = list(items)
        if len(items) <= 1 or self._workers == 1:
            return [call(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self._workers, len(items))) as pool:
            # Raises the first failure, after every call has finished.
            return list(pool.map(call, items))
