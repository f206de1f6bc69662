"""The demo's outbox: what ``make demo`` sends, kept to be read.

    .venv/bin/python -m devkit.demo_outbox --folder .dev/outbox --smtp-port 1025 --http-port 8025

An SMTP server on 127.0.0.1 keeps every email as an ``.eml`` file in ``<folder>/mail``; an HTTP server
on 127.0.0.1 answers Odoo's SMS calls (IAP's JSON-RPC API) and keeps every SMS as a ``.json`` file in
``<folder>/sms``, and lists both on its home page, each email readable as the customer sees it.
Run with the project's ``.venv`` (aiosmtpd): the rest of devkit needs only the standard library.
"""

import argparse
import contextlib
import email
import email.policy
import html
import json
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import quote, unquote

from .paths import ADDON

sys.path.insert(0, str(ADDON / "tests"))
from loopback_sms import GatewayHandler, LoopbackSMS  # plain modules of the addon's tests
from loopback_smtp import LoopbackSMTP

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Demo outbox</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{padding:4px 8px;
border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}</style></head><body>
<h1>Demo outbox</h1><p>What the demo sent, newest first: {mail_count} emails in <code>{mail_folder}</code>,
{sms_count} SMS in <code>{sms_folder}</code>.</p>
<h2>Emails</h2><table><tr><th>Date</th><th>To</th><th>Cc</th><th>Subject</th><th>Attachments</th><th></th></tr>
{mail_rows}</table>
<h2>SMS</h2><table><tr><th>Number</th><th>Text</th></tr>{sms_rows}</table></body></html>"""


def read_mail(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def mail_row(path):
    message = read_mail(path)
    cells = [message["date"], message["to"], message["cc"], message["subject"],
             ", ".join(part.get_filename() or "" for part in message.iter_attachments())]
    link = f'<a href="/mail/{quote(path.name)}">read</a> · <a href="/mail/{quote(path.name)}?raw=1">.eml</a>'
    return "<tr>" + "".join(f"<td>{html.escape(str(cell or ''))}</td>" for cell in cells) + f"<td>{link}</td></tr>"


def sms_row(path):
    sms = json.loads(path.read_text())
    return f"<tr><td>{html.escape(sms['number'])}</td><td>{html.escape(sms['body'])}</td></tr>"


class OutboxHandler(GatewayHandler):
    def do_GET(self):
        folder = self.server.folder
        mails = sorted((folder / "mail").glob("*.eml"), reverse=True)
        smses = sorted((folder / "sms").glob("*.json"), reverse=True)
        path, _sep, query = self.path.partition("?")
        if path == "/":
            page = PAGE.format(
                mail_count=len(mails), mail_folder=folder / "mail", sms_count=len(smses), sms_folder=folder / "sms",
                mail_rows="".join(map(mail_row, mails)), sms_rows="".join(map(sms_row, smses)),
            )
            self.answer(200, page.encode(), "text/html; charset=utf-8")
            return
        name = unquote(path.removeprefix("/mail/"))
        found = next((mail for mail in mails if mail.name == name), None)
        if not path.startswith("/mail/") or not found:
            self.answer(404, b"Not found", "text/plain")
        elif query == "raw=1":
            self.answer(200, found.read_bytes(), "message/rfc822")
        else:
            body = read_mail(found).get_body(preferencelist=("html", "plain"))
            self.answer(200, (body.get_content() if body else "").encode(), "text/html; charset=utf-8")


class Outbox:
    def __init__(self, folder, smtp_port, http_port):
        self.folder = Path(folder)
        (self.folder / "sms").mkdir(parents=True, exist_ok=True)
        self.smtp = LoopbackSMTP(port=smtp_port, folder=self.folder / "mail")
        self.sms = LoopbackSMS(port=http_port, on_message=self._keep_sms, handler=OutboxHandler)
        self._lock = threading.Lock()

    def _keep_sms(self, sms):
        with self._lock:
            number = len(list((self.folder / "sms").glob("*.json"))) + 1
            (self.folder / "sms" / f"{number:05d}.json").write_text(json.dumps(sms, ensure_ascii=False))

    def start(self):
        self.smtp.start()
        self.sms.start()
        self.sms.server.folder = self.folder
        return self

    def stop(self):
        self.sms.stop()
        self.smtp.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()
    outbox = Outbox(args.folder, args.smtp_port, args.http_port).start()
    print(f"outbox: SMTP on 127.0.0.1:{args.smtp_port}, page and SMS gateway on http://127.0.0.1:{args.http_port}",
          flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    outbox.stop()


if __name__ == "__main__":
    main()
