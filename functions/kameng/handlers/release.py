"""Release driven by the table's stream: every order that becomes paid is delivered, and every order that
becomes delivered or refunded is counted in the statistics (once: the store keeps a marker per order and kind).

The webhook already delivers inline; this is the retry path when that call
died (Lambda may be frozen or killed between two lines). Failed records are
reported back so only they are retried, then go to the dead-letter queue.
"""
import logging

from kameng.adapters.dynamodb.stream import counted_change, paid_order_id
from kameng.services.supply_routing import deliver_paid
from kameng.services.stats import count
from kameng.wiring import deps

log = logging.getLogger(__name__)


def handler(event, context=None):
    failures = []
    for record in event.get("Records", []):
        order_id, counted = paid_order_id(record), counted_change(record)
        if order_id is None and counted is None:
            continue
        try:
            if order_id is not None:
                deliver_paid(order_id, deps())
            if counted is not None:
                count(*counted, deps())
        except Exception:
            log.exception("release or count failed", extra={"order_id": order_id or counted[0].id})
            failures.append({"itemIdentifier": (record.get("dynamodb") or {}).get("SequenceNumber")})
    return {"batchItemFailures": failures}
