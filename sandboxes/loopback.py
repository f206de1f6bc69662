"""What the services' sandboxes share: an HTTP server on loopback in a thread of its own, the outcomes scripted
for the next payments, and a request handler that logs nothing and hands each call to the sandbox's routes."""

import datetime
import sys
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackSandbox:
    """A sandbox served on 127.0.0.1 (``port`` 0: any free one) by ``handler``; ``scripts`` the outcomes it knows."""

    name = "sandbox"
    scripts_known = ()

    def __init__(self, handler, port=0):
        self.scripts = deque()
        self.broken = None
        self.slow_seconds = 12
        self.calls, self.webhooks, self.errors = [], [], []
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.server.sandbox = self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, name=self.name, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def serve(self, label):
        """Serve in the foreground, from the command line, until Ctrl-C."""
        sys.stdout.write(f"{label} on {self.url}, started {datetime.datetime.now():%H:%M:%S}\n")
        sys.stdout.flush()
        try:
            self.server.serve_forever()
        except KeyboardInterrupt:
            self.server.server_close()

    def script(self, *outcomes):
        unknown = set(outcomes) - set(self.scripts_known)
        if unknown:
            raise ValueError(f"unknown scripts {unknown}, known: {self.scripts_known}")
        with self.lock:
            self.scripts.extend(outcomes)


class QuietHandler(BaseHTTPRequestHandler):
    """Answers GET and POST through ``_dispatch(method)``, without logging each request."""

    def log_message(self, *args):
        return

    @property
    def sandbox(self):
        return self.server.sandbox

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        raise NotImplementedError

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
