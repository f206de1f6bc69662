"""A real SMS gateway on 127.0.0.1, for the tests and the demo: it speaks the JSON-RPC API that Odoo's
``sms`` module calls on IAP (``POST /api/sms/3/send``, see ``odoo/addons/sms/tools/sms_api.py``),
accepts every message except to the numbers it is told to refuse, and keeps what it received."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEND_PATH = "/api/sms/3/send"


class GatewayHandler(BaseHTTPRequestHandler):
    """Answers IAP's SMS calls for ``self.server.gateway``; subclasses may serve pages on GET."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        if self.path != SEND_PATH:
            self.answer(404, {"jsonrpc": "2.0", "id": request.get("id"),
                              "error": {"code": 404, "message": "Not found", "data": {"name": "NotFound"}}})
            return
        self.answer(200, {"jsonrpc": "2.0", "id": request.get("id"),
                          "result": self.server.gateway.send(request.get("params") or {})})

    def answer(self, status, body, content_type="application/json"):
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args):
        pass


class LoopbackSMS:
    def __init__(self, port=0, on_message=None, handler=GatewayHandler):
        if not port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        self.port = port
        self.messages = []
        self.refused = {}
        self.on_message = on_message
        self.handler = handler
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def refuse(self, number, state="wrong_number_format"):
        self.refused[number] = state

    def send(self, params):
        """IAP's answer to a batch of SMS: one result per number, by the uuid Odoo gave it."""
        results = []
        for message in params.get("messages", []):
            for recipient in message.get("numbers", []):
                state = self.refused.get(recipient["number"], "success")
                results.append({"uuid": recipient["uuid"], "state": state, "credit": 1 if state == "success" else 0})
                if state == "success":
                    received = {"number": recipient["number"], "body": message["content"], "uuid": recipient["uuid"]}
                    self.messages.append(received)
                    if self.on_message:
                        self.on_message(received)
        return results

    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self.server.gateway = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
