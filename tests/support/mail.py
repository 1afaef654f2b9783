"""A local SMTP server that keeps what it is sent, for tests of Spojka's e-mails."""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

POLL_SECONDS = 0.02


class Inbox:
    """The messages a local SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        return "250 OK"

    async def wait_for(self, count: int, *, seconds: float = 10.0) -> list[email.message.EmailMessage]:
        """The messages, once at least ``count`` have arrived (e-mails are sent after the answer)."""
        # The SMTP server runs in its own thread and loop: poll rather than share an asyncio.Event.
        for _ in range(int(seconds / POLL_SECONDS)):
            if len(self.messages) >= count:
                break
            await asyncio.sleep(POLL_SECONDS)
        return self.messages


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on a free loopback port: its inbox and the port."""
    box = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
