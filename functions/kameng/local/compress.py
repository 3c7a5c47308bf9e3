"""Compressed responses, as CloudFront sends them (Compress: true on every behaviour of the template).

Brotli when the browser takes it, else gzip; text only, since images are compressed already;
and each encoding has an ETag of its own, so a cache never takes one encoding for another.
"""
from __future__ import annotations

import functools
import gzip

try:
    import brotli
except ImportError:  # pragma: no cover - the server still answers, in gzip only
    brotli = None

# As CloudFront: a smaller body gains nothing worth the decoding.
MIN_BYTES = 1000
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json",
                "application/xml", "image/svg+xml")

Headers = list[tuple[str, str]]


def accepted(accept_encoding: str) -> str | None:
    """The encoding to send for an Accept-Encoding header: "br", "gzip" or None (identity)."""
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        weights[name.strip()] = weight
    wildcard = weights.get("*", 0.0)
    for encoding in (("br", "gzip") if brotli is not None else ("gzip",)):
        if weights.get(encoding, wildcard) > 0:
            return encoding
    return None


def compressible(headers: Headers) -> bool:
    kind = _header(headers, "Content-Type").split(";")[0].strip().lower()
    return kind.startswith(COMPRESSIBLE) and not _header(headers, "Content-Encoding")


def negotiate(status: int, headers: Headers, body: bytes, accept_encoding: str,
              if_none_match: str) -> tuple[int, Headers, bytes]:
    """The response in the encoding the request accepts, or as it was; 304 when the client holds that encoding."""
    if not compressible(headers):
        return status, headers, body
    headers = headers + [("Vary", "Accept-Encoding")]
    encoding = accepted(accept_encoding)
    if encoding is None or len(body) < MIN_BYTES:
        return status, headers, body
    headers = [(k, _tagged(v, encoding) if k.lower() == "etag" else v) for k, v in headers]
    etag = _header(headers, "ETag").removeprefix("W/")
    if status == 200 and etag and etag in _tags(if_none_match):
        return 304, headers, b""
    return status, headers + [("Content-Encoding", encoding)], encode(body, encoding)


@functools.lru_cache(maxsize=256)
def encode(body: bytes, encoding: str) -> bytes:
    # Cached: a page is sent again and again while it is unchanged. The levels are a CDN's on-the-fly ones:
    # the API's answers change with every sale, and brotli's best level took the flash sale's CPU.
    if encoding == "br":
        return brotli.compress(body, quality=5)
    return gzip.compress(body, compresslevel=6, mtime=0)


def _tagged(etag: str, encoding: str) -> str:
    return etag[:-1] + f'-{encoding}"' if etag.endswith('"') else etag


def _tags(if_none_match: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in if_none_match.split(",") if t.strip()}


def _header(headers: Headers, name: str) -> str:
    return next((v for k, v in headers if k.lower() == name.lower()), "")
