"""The one CDN invalidation that a build's changes need, across every station.

All stations are served from one distribution, the station chosen by host:
the host router rewrites /p/x/ on a station's domain to /<station>/p/x/index.html
before the cache is consulted (services/publish_site.py), so that rewritten
path is the one to invalidate. Only pages are listed: hashed assets get new
names, and the other files are cached for at most s-maxage (60 s).

CloudFront takes at most 3,000 paths in one invalidation and at most 15
wildcard paths in progress per distribution, and bills a wildcard as one
path. A station with many changed pages becomes `/<station>/*` (as a
station's own publish does); past either limit, `/*` (every station's pages
are fetched from the origin once more: extra fetches, never a stale page).
"""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

MAX_PATHS = 3000
MAX_WILDCARDS = 15
# The same threshold as a station's own publish (services/publish_site.WILDCARD_AFTER).
WILDCARD_AFTER = 100
EVERYTHING = ("/*",)


def invalidation_paths(changed: Iterable[str]) -> tuple[str, ...]:
    """CDN paths for the paths under site/ that a build wrote or deleted (BuildReport.changed)."""
    by_station: dict[str, set[str]] = {}
    for path in changed:
        if path.endswith(".html") and "/" in path:
            station = path.partition("/")[0]
            by_station.setdefault(station, set()).add("/" + quote(path, safe="/-._~"))
    paths: list[str] = []
    wildcards = 0
    for station, pages in sorted(by_station.items()):
        if len(pages) > WILDCARD_AFTER:
            wildcards += 1
            paths.append("/" + quote(station, safe="-._~") + "/*")
        else:
            paths.extend(sorted(pages))
    if len(paths) > MAX_PATHS or wildcards > MAX_WILDCARDS:
        return EVERYTHING
    return tuple(paths)
