"""A few stations' build and publish: one iteration of the full build's fan-out (infra: BuildStationsStateMachine).

The state machine maps over the stations in batches of ten, 100 batches at a time; each call copies
content/ from the content bucket, builds its stations alone into /tmp (all of content/ is still validated,
so one mistake fails every iteration alike; loading it is most of a call, so a call builds several) and
publishes them as `kameng publish` does, without an invalidation: the state machine makes one for all
stations when the last iteration is done. A call run twice publishes the same bytes (uploads are compared
by content hash), so Step Functions may retry it.
"""
import logging
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from kameng.content_wiring import content_site
from kameng.domain.errors import InvalidRequest
from kameng.services import audit, publish_site
from kameng.sitegen import build
from kameng.wiring import deps

log = logging.getLogger(__name__)
ACTOR = "site build"


def handler(event, context=None):
    stations = _stations(event)
    site = content_site()
    if site.cdn is None:
        raise InvalidRequest("this function publishes to the CDN: KAMENG_CONTENT_BUCKET and KAMENG_SITE_BUCKET are unset")
    read_at = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="kameng-build-station-") as folder:
        content, built = Path(folder) / "content", Path(folder) / "site"
        site.files.copy_all(content)
        report = build(content, built, site.templates_dir, stations=stations)
        publish_site.publish(built, stations, site.cdn.bucket, None, site.cdn.publisher,
                             audit.publishing_price_books(deps(), ACTOR), echo=log.info, lease=site.cdn.lease,
                             built_at=read_at)
    done = {"stations": stations, "pages": report.pages, "seconds": round(report.seconds, 3)}
    log.info("stations built and published", extra=done)
    return done


def _stations(event) -> list[str]:
    """A Map state's batch ({"Items": [{"station": id}, ...]}) or one item ({"station": id})."""
    items = event.get("Items", [event]) if isinstance(event, dict) else None
    stations = [item.get("station") for item in items] if isinstance(items, list) and all(
        isinstance(item, dict) for item in items) else []
    if not stations or not all(isinstance(station, str) and station for station in stations):
        raise InvalidRequest('expected {"station": "<station id>"} or {"Items": [{"station": "<station id>"}, ...]}',
                             [{"loc": "station", "msg": "expected a station id"}])
    return stations
