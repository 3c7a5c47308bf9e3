"""Mail written to a folder (one .eml file each) and the log, for one machine and for tests."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from kameng.adapters.private_files import private_folder, write_private
from kameng.domain.ids import new_id

log = logging.getLogger(__name__)


class OutboxMail:
    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = "Kameng outbox <outbox@localhost>"
        message["To"] = to
        message["Subject"] = subject
        # 8-bit UTF-8, not base64: an owner can read or grep the file (a sign-in link, say) as it is.
        message.set_content(body, cte="8bit")
        path = private_folder(self.folder) / f"{new_id(datetime.now(timezone.utc))}.eml"
        # A delivery mail carries the order's link, which opens its keys.
        write_private(path, bytes(message))
        log.info("mail written to the outbox", extra={"path": str(path)})

    def sent(self) -> list[EmailMessage]:
        from email import message_from_bytes, policy

        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(self.folder.glob("*.eml"))]
