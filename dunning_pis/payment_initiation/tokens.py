"""OAuth2 access tokens, cached by (token URL, client id) until shortly before they expire.

Shared by the banks' clients (``transport``) and the services that issue tokens (``fintecture``).
"""

import threading
import time

TOKEN_MARGIN = 30  # seconds before its expiry when a token is renewed


class TokenCache:
    """Access tokens by key, shared by every adapter of the process."""

    def __init__(self):
        self._tokens = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            token, expires_at = self._tokens.get(key, (None, 0))
        return token if time.monotonic() < expires_at else None

    def put(self, key, token, expires_in):
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(0, int(expires_in) - TOKEN_MARGIN))

    def drop(self, key):
        with self._lock:
            self._tokens.pop(key, None)


TOKENS = TokenCache()


def usable_token(data):
    """The access token of a token endpoint's JSON answer and its lifetime; ValueError if there is none."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    token = data.get("access_token")
    if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable():
        raise ValueError("no usable access_token")
    try:
        expires_in = int(data.get("expires_in") or 0)
    except (TypeError, ValueError) as error:
        raise ValueError("expires_in is not a number") from error
    return token, expires_in
