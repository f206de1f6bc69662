"""A real SMTP server on 127.0.0.1 for the tests: it accepts every message, except for the
recipients it is told to refuse, and keeps what it received."""

import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self):
        self.messages = []
        self.refused = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        html = message.get_body(preferencelist=("html",))
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "subject": str(message["subject"]), "html": html.get_content() if html else "",
                              "attachments": [part.get_filename() for part in message.iter_attachments()]})
        return "250 Message accepted"


class LoopbackSMTP:
    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.handler = _Handler()
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
