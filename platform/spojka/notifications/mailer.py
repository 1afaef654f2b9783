"""Sending e-mail through the configured SMTP server (stdlib smtplib, off the event loop)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import anyio.to_thread

from spojka.settings import Settings

log = logging.getLogger(__name__)


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    def _send(self, message: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20) as smtp:
            if s.smtp_starttls == "yes":
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(message)

    async def send(self, to: list[str], subject: str, body: str) -> bool:
        """Send one message; False (and a log line) when it could not be sent or SMTP is not set up."""
        if not to:
            return False
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message.set_content(body)
        if not self.configured:
            log.info("no SMTP server configured; would have e-mailed %d recipient(s): %s", len(to), subject)
            return False
        try:
            await anyio.to_thread.run_sync(self._send, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("e-mail %r could not be sent: %s", subject, exc)
            return False
        return True
