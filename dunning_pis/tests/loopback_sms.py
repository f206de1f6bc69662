"""A real SMS gateway on 127.0.0.1, for the tests and the demo: it speaks the JSON-RPC API that Odoo's
``sms`` module calls on IAP (``POST /api/sms/3/send``, see ``odoo/addons/sms/tools/sms_api.py``),
accepts every message except to the numbers it is told to refuse, and keeps what it received."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEND_PATH = "/api/sms/3/send"


class LoopbackSMS:
    def __init__(self, port=0, on_message=None):
        if not port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        self.port = port
        self.messages = []
        self.refused = {}
        self.on_message = on_message
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if self.path != SEND_PATH:
                    return self._answer(404, {"jsonrpc": "2.0", "id": request.get("id"),
                                              "error": {"code": 404, "data": {"name": "NotFound"}}})
                return self._answer(200, {"jsonrpc": "2.0", "id": request.get("id"),
                                          "result": gateway._send(request.get("params") or {})})

            def _answer(self, status, body):
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def refuse(self, number, state="wrong_number_format"):
        self.refused[number] = state

    def _send(self, params):
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
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
