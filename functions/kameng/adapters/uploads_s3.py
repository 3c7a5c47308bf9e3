"""Uploads on S3: the owner's client PUTs the file to a presigned URL, never through the API (a Lambda
request is at most 6 MB). The URL signs the file's exact Content-Length and expires with its ticket;
objects live under a private prefix, read back streaming and deleted once imported.

    import boto3
    from botocore.config import Config
    uploads = S3Uploads(boto3.client("s3", config=Config(signature_version="s3v4")), "my-private-bucket")
"""
from __future__ import annotations

from typing import Any, Iterator

from kameng.domain.errors import UploadTooLarge
from kameng.domain.uploads import UploadTarget, UploadTicket
from kameng.ports.store import UnknownRecord

PREFIX = "private/uploads/"
CHUNK = 1 << 20
CONTENT_TYPE = "text/plain; charset=utf-8"


class S3Uploads:
    def __init__(self, s3: Any, bucket: str, prefix: str = PREFIX):
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix

    def _key(self, upload_id: str, kind: str) -> str:
        return f"{self._prefix}{upload_id}.{kind}"

    def open_upload(self, ticket: UploadTicket) -> UploadTarget:
        self._s3.put_object(Bucket=self._bucket, Key=self._key(ticket.upload_id, "json"),
                            Body=ticket.to_json(), ContentType="application/json")
        seconds = max(1, int((ticket.expires_at - ticket.opened_at).total_seconds()))
        # Content-Length is a signed header: S3 refuses a body of any other size.
        url = self._s3.generate_presigned_url(
            "put_object", HttpMethod="PUT", ExpiresIn=seconds,
            Params={"Bucket": self._bucket, "Key": self._key(ticket.upload_id, "keys"),
                    "ContentLength": ticket.size, "ContentType": CONTENT_TYPE},
        )
        return UploadTarget(url, "PUT", {"content-type": CONTENT_TYPE, "content-length": str(ticket.size)})

    def ticket(self, upload_id: str) -> UploadTicket | None:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=self._key(upload_id, "json"))["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            return None
        return UploadTicket.from_json(body)

    def chunks(self, upload_id: str) -> Iterator[bytes]:
        ticket = self.ticket(upload_id)
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=self._key(upload_id, "keys"))
        except self._s3.exceptions.NoSuchKey:
            raise UnknownRecord(upload_id) from None
        if ticket is None or found["ContentLength"] > ticket.size:
            found["Body"].close()
            raise UploadTooLarge(f"文件大小 {found['ContentLength']} 字节，超过了上传时申请的大小")
        return _stream(found["Body"])

    def discard(self, upload_id: str) -> None:
        self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": [
            {"Key": self._key(upload_id, "keys")}, {"Key": self._key(upload_id, "json")}], "Quiet": True})


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
