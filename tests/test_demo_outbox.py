"""The demo's outbox: emails over real SMTP and SMS over IAP's JSON-RPC API, kept and listed on its page."""

import json
import smtplib
import socket
import urllib.request
from email.message import EmailMessage

import pytest

from devkit.demo_outbox import Outbox


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path, free_port(), free_port()).start()
    yield box
    box.stop()


def get(outbox, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{outbox.sms.port}{path}", timeout=10) as response:
        return response.read().decode()


def test_an_email_is_kept_as_eml_and_listed(outbox, tmp_path):
    message = EmailMessage()
    message["From"], message["To"], message["Cc"] = "odoo@example.com", "client@example.com", "copy@example.com"
    message["Subject"] = "Relance : facture en retard"
    message.set_content("Texte")
    message.add_alternative("<p>Bonjour, <b>facture INV/2026/00001</b></p>", subtype="html")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="INV_2026_00001.pdf")
    with smtplib.SMTP("127.0.0.1", outbox.smtp.port, timeout=10) as smtp:
        smtp.send_message(message)
    [kept] = (tmp_path / "mail").glob("*.eml")
    assert b"Relance" in kept.read_bytes()
    page = get(outbox, "/")
    assert "Relance : facture en retard" in page
    assert "copy@example.com" in page and "INV_2026_00001.pdf" in page
    assert "<b>facture INV/2026/00001</b>" in get(outbox, f"/mail/{kept.name}")


def test_an_sms_is_answered_as_iap_does_and_listed(outbox, tmp_path):
    call = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"messages": [
        {"content": "Rappel : 250,00 € à régler. Payer : http://x/r/Ab",
         "numbers": [{"uuid": "u1", "number": "+33612345678"}]},
    ]}}
    request = urllib.request.Request(f"http://127.0.0.1:{outbox.sms.port}/api/sms/3/send",
                                     data=json.dumps(call).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer = json.loads(response.read())
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": [{"uuid": "u1", "state": "success", "credit": 1}]}
    assert len(list((tmp_path / "sms").glob("*.json"))) == 1
    assert "+33612345678" in get(outbox, "/") and "250,00 € à régler" in get(outbox, "/")
