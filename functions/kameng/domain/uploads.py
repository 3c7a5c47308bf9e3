"""A key file's way in: what an owner may upload, and where the client puts it."""
from __future__ import annotations

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


@dataclass(frozen=True)
class UploadTarget:
    url: str
    method: str
    headers: dict[str, str]  # each to be sent as it is
