"""Mail sent through Amazon SES (the v2 API's SendEmail), from one verified sender.

SES sends only from a verified identity (the address or its domain), and an
account still in the SES sandbox only to verified recipients. Errors are
raised as boto3 gives them: delivery and stock mail log and carry on
(services/notify.py), a sign-in request fails with a logged 500.
The body holds sign-in and order links, which are secrets: it is never logged.
"""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

CHARSET = "UTF-8"


class SesMail:
    def __init__(self, sender: str, configuration_set: str | None = None, client: Any = None):
        if client is None:
            import boto3  # only here, so a caller passing its own client pays no import
            from botocore.config import Config as BotoConfig

            # Well inside a function's 10 s: a slow SES must not take the request with it. Standard
            # retries back off on SES's per-second sending limit (TooManyRequestsException).
            client = boto3.client("sesv2", config=BotoConfig(
                connect_timeout=3, read_timeout=5, retries={"mode": "standard", "max_attempts": 3}))
        self._ses = client
        self.sender = sender
        self.configuration_set = configuration_set

    def send(self, to: str, subject: str, body: str) -> None:
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [to]},
            "Content": {"Simple": {
                "Subject": {"Data": subject, "Charset": CHARSET},
                "Body": {"Text": {"Data": body, "Charset": CHARSET}},
            }},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        sent = self._ses.send_email(**request)
        log.info("mail sent through SES", extra={"message_id": sent.get("MessageId")})
