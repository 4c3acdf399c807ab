"""Real SMTP servers for tests: aiosmtpd on 127.0.0.1, keeping every message it accepts, and
told to refuse, to take its time, or to stop; a server that never says a word; and the app
configured to send to one of them."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from flask import Flask

from transitreq import create_app

PUBLIC_URL = "https://stops.example"


class Inbox:
    """A real SMTP server on 127.0.0.1 that keeps every message it is sent.

    ``rcpt_replies`` and ``data_replies`` map a recipient to the answer the server gives it
    instead of accepting, at RCPT TO (a refused recipient) or after the message's data (a refused
    message), e.g. ``"451 4.2.0 Mailbox busy"`` or ``"550 5.1.1 No such user"``. With
    ``accept_delay_s`` it answers each message only after that long; a client that gave up
    waiting by then hung up, and a message whose sender never heard "250" is not kept.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.envelopes: list = []
        self._controller: Controller | None = None
        # Called once, while the first message is being accepted.
        self.on_first_message: Callable[[], None] | None = None
        self.rcpt_replies: dict[str, str] = {}
        self.data_replies: dict[str, str] = {}
        self.accept_delay_s = 0.0
        # Every answer given to a message's data or recipient other than acceptance, in order.
        self.refusals: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802
        if address in self.rcpt_replies:
            self.refusals.append((address, self.rcpt_replies[address]))
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        loop = asyncio.get_running_loop()
        if self.accept_delay_s:
            # Off the event loop, which keeps serving other connections meanwhile. If the client
            # hangs up first, aiosmtpd cancels this handler here: nothing is kept.
            await loop.run_in_executor(None, time.sleep, self.accept_delay_s)
        for address in envelope.rcpt_tos:
            if address in self.data_replies:
                self.refusals.append((address, self.data_replies[address]))
                return self.data_replies[address]
        self.envelopes.append(envelope)
        if self.on_first_message is not None:
            # Blocking work (say, a second sender) runs off the server's event loop, which
            # keeps accepting connections meanwhile; the first sender waits for the reply.
            hook, self.on_first_message = self.on_first_message, None
            await loop.run_in_executor(None, hook)
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


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers: the worst mail server, which a
    client can only leave by its own timeout. Counts the connections it was offered."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so the accepting thread notices stop()
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._held.append(connection)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for connection in self._held:
            connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mail_app(database_url: str, instance_path: str, port: int, **settings) -> Flask:
    """The suite's app, sending progress e-mails to 127.0.0.1:``port`` without TLS; ``settings``
    override any of its config."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "tests-only-secret",
            "TILE_URL": "",
            "SERVER_NAME": "transitreq.test",
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_SECURITY": "none",
            "MAIL_FROM": "stops@city.example",
            "MAIL_TIMEOUT_S": 3.0,
            "PUBLIC_URL": PUBLIC_URL,
            **settings,
        },
        instance_path=instance_path,
    )
