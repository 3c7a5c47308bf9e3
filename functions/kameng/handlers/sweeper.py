import logging

from kameng.services.sweeper import sweep
from kameng.wiring import deps

log = logging.getLogger(__name__)


def handler(event, context=None):
    done = sweep(deps())
    log.info("sweep finished", extra=dict(done))
    return dict(done)
