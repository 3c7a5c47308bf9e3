"""The sync's costs into content (suppliers/synced.yaml, through the content port) and the pages they change.

Locally the site is built again in place, as `make build` does; in production only the stations where a SKU
halted or resumed are built and published to the CDN, as the console's content publish does. The build's
incremental render rewrites only the pages whose displayed values changed.
"""
from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from kameng.services import publish_site
from kameng.services.content_edit import CONTENT, ContentSite
from kameng.services.supply_sync import SYNCED_FILE, SyncReport, synced_yaml
from kameng.sitegen import build

log = logging.getLogger(__name__)


def publish_synced(report: SyncReport, site: ContentSite, rebuild: bool = True) -> list[str]:
    """Write suppliers/synced.yaml; when it changed and `rebuild`, build again. The stations whose pages may
    have changed (a SKU halted or resumed there), sorted; [] when the file was as it is."""
    if not report.skus:
        return []  # nothing is bought from suppliers: no file to write
    text = synced_yaml({outcome.record.sku: outcome.record for outcome in report.skus})
    stations = sorted({station for outcome in report.skus for station in (*outcome.halted, *outcome.resumed)})
    with site.files.lock():
        if not site.files.replace_file(SYNCED_FILE, text):
            return []
        if not rebuild:
            return stations
        with tempfile.TemporaryDirectory(prefix="kameng-sync-") as folder:
            root = Path(folder) / CONTENT
            # When this build's content was read: a console publish that read later is never overwritten by it.
            read_at = datetime.now(timezone.utc)
            site.files.copy_all(root)
            if site.site_dir is not None:
                build(root, site.site_dir, site.templates_dir)
            if site.cdn is not None and stations:
                build(root, Path(folder) / "site", site.templates_dir, stations=stations)
                publish_site.publish(Path(folder) / "site", stations, site.cdn.bucket, site.cdn.distribution_id,
                                     site.cdn.publisher, None, echo=log.info, lease=site.cdn.lease, built_at=read_at)
    return stations
