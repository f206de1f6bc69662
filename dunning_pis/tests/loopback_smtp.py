"""A real SMTP server on 127.0.0.1 for the tests and the demo: it accepts every message, except for the
recipients it is told to refuse, keeps what it received and, given a folder, writes each message there
as an .eml file."""

import email
import email.policy
import socket
from pathlib import Path

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, folder=None):
        self.messages = []
        self.refused = set()
        self.folder = Path(folder) if folder else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        html = message.get_body(preferencelist=("html",))
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "to_header": str(message["to"] or ""), "cc_header": str(message["cc"] or ""),
                              "message_id": str(message["message-id"] or ""),
                              "subject": str(message["subject"]), "html": html.get_content() if html else "",
                              "attachments": [part.get_filename() for part in message.iter_attachments()]})
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{len(list(self.folder.glob('*.eml'))) + 1:05d}.eml").write_bytes(envelope.content)
        return "250 Message accepted"


class LoopbackSMTP:
    def __init__(self, port=0, folder=None):
        if not port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        self.port = port
        self.handler = _Handler(folder)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.handler.messages

    def refuse(self, address):
        self.handler.refused.add(address)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
