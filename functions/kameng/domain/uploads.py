"""A key file's way in: what an owner may upload, and where the client puts it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UploadTicket:
    """What one owner may upload once: a file of `size` bytes for a SKU, until `expires_at`."""

    upload_id: str
    owner_id: str
    sku: str
    filename: str
    size: int
    opened_at: datetime
    expires_at: datetime

    def to_json(self) -> bytes:
        """As the adapters keep it beside the upload, read back by `from_json`."""
        return json.dumps({"upload_id": self.upload_id, "owner_id": self.owner_id, "sku": self.sku,
                           "filename": self.filename, "size": self.size, "opened_at": self.opened_at.isoformat(),
                           "expires_at": self.expires_at.isoformat()}).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> UploadTicket:
        record = json.loads(data)
        return cls(record["upload_id"], record["owner_id"], record["sku"], record["filename"], record["size"],
                   datetime.fromisoformat(record["opened_at"]), datetime.fromisoformat(record["expires_at"]))


@dataclass(frozen=True)
class UploadTarget:
    url: str
    method: str
    headers: dict[str, str]  # each to be sent as it is
