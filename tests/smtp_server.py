"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every message it accepts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Inbox:
    """A real SMTP server on 127.0.0.1 that keeps every message it is sent."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.envelopes: list = []
        self._controller: Controller | None = None
        # Called once, while the first message is being accepted.
        self.on_first_message: Callable[[], None] | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        if self.on_first_message is not None:
            # Blocking work (say, a second sender) runs off the server's event loop, which
            # keeps accepting connections meanwhile; the first sender waits for the reply.
            hook, self.on_first_message = self.on_first_message, None
            await asyncio.get_running_loop().run_in_executor(None, hook)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(envelope.original_content, policy=policy.default)
            for envelope in self.envelopes
        ]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    @property
    def recipients(self) -> list[str]:
        return sorted(address for envelope in self.envelopes for address in envelope.rcpt_tos)

    def clear(self) -> None:
        self.envelopes.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
