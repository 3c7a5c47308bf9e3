"""Release driven by the table's stream: every order that becomes paid is delivered.

The webhook already delivers inline; this is the retry path when that call
died (Lambda may be frozen or killed between two lines). Failed records are
reported back so only they are retried, then go to the dead-letter queue.
"""
import logging

from kameng.adapters.dynamodb.stream import paid_order_id
from kameng.services.release import release
from kameng.wiring import deps

log = logging.getLogger(__name__)


def handler(event, context=None):
    failures = []
    for record in event.get("Records", []):
        order_id = paid_order_id(record)
        if order_id is None:
            continue
        try:
            release(order_id, deps())
        except Exception:
            log.exception("release failed", extra={"order_id": order_id})
            failures.append({"itemIdentifier": (record.get("dynamodb") or {}).get("SequenceNumber")})
    return {"batchItemFailures": failures}
