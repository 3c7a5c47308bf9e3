"""The sync schedule (EventBridge, every 15 minutes): supplier prices and stock into the store, the costs into
content/suppliers/synced.yaml, and the stations whose SKUs halted or resumed built and published again."""
import logging

from kameng.content_wiring import content_site
from kameng.services.supply_sync import sync_supply
from kameng.services.supply_sync_site import publish_synced
from kameng.wiring import deps

log = logging.getLogger(__name__)


def handler(event, context=None):
    report = sync_supply(deps(), "sync schedule")
    done = report.summary()
    try:
        done["published"] = publish_synced(report, content_site())
    except Exception:
        # The store already holds the new figures (checkout and /api/stock follow them); the pages wait for
        # the next sync or publish.
        log.exception("synced costs not published")
        done["published"] = None
    log.info("supply sync finished", extra=done)
    return done
