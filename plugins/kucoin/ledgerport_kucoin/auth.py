"""KuCoin request signing (API key versions 2 and 3), with recovery from clock skew.

KC-API-SIGN is base64(HMAC-SHA256(secret, timestamp + METHOD + path + "?" + query + body)) where the
query is the un-encoded `key=value&...` text, as the official SDK (kucoin-universal-sdk) builds it:
the URL carries `currency=BTC%2CETH`, the signature covers `currency=BTC,ETH`, since KuCoin checks
the signature over the query it decoded. KC-API-PASSPHRASE is the passphrase signed with the same secret.
The timestamp must be within 5 s of the server's clock, so on code 400002 the flow asks the server
for its time (GET /api/v1/timestamp), remembers the offset and re-signs the request once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Generator
from urllib.parse import parse_qsl

import httpx

from ledgerport import register_secret

from .settings import Settings

__all__ = ["KucoinAuth", "sign", "signed_passphrase", "signed_target"]

log = logging.getLogger("ledgerport.kucoin")

TIME_PATH = "/api/v1/timestamp"
CLOCK_SKEW = "400002"
REFUSED = 401
"""The HTTP status KuCoin answers a KC-API-* refusal with, 400002 included."""


def sign(secret: str, message: str) -> str:
    """base64(HMAC-SHA256(secret, message)): the KC-API-SIGN of a request and the v2/v3 passphrase."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_passphrase(secret: str, passphrase: str, version: int) -> str:
    """What goes in KC-API-PASSPHRASE: signed from version 2 on, plain text in version 1."""
    return passphrase if version == 1 else sign(secret, passphrase)


def signed_target(path: str, encoded_query: str) -> str:
    """`path?k=v&...` with each key and value decoded, in the order sent: what KuCoin verifies the signature of."""
    if not encoded_query:
        return path
    pairs = parse_qsl(encoded_query, keep_blank_values=True)
    return path + "?" + "&".join(f"{key}={value}" for key, value in pairs)


def _is_clock_skew(content: bytes) -> bool:
    """Code 400002 as a string or a JSON number; a cheap byte search spares parsing every refusal twice."""
    if CLOCK_SKEW.encode() not in content:
        return False
    try:
        return str(json.loads(content).get("code")) == CLOCK_SKEW
    except (ValueError, AttributeError):
        return False


class KucoinAuth(httpx.Auth):
    """Signs every request; holds the secret only as this object's private state, never in a message.

    Only a refusal (HTTP 401, where KuCoin puts the KC-API-* codes) is read here, to look for a clock
    skew; every other answer is left unread for the engine, which reads it within its deadline and size
    cap (httpx would otherwise read every page whole before the engine sees a byte of it).
    """

    requires_response_body = False

    def __init__(self, settings: Settings, base_url: str, clock: Callable[[], float] = time.time) -> None:
        self._key = settings.api_key.reveal()
        self._secret = settings.api_secret.reveal()
        self._passphrase = signed_passphrase(self._secret, settings.api_passphrase.reveal(), settings.key_version)
        register_secret(self._passphrase)  # sent in the passphrase's place, so a server may echo it
        self._version = str(settings.key_version)
        self._time_url = base_url.rstrip("/") + TIME_PATH
        self._clock = clock
        self._offset_ms = 0

    def __repr__(self) -> str:
        return f"KucoinAuth(version={self._version}, offset_ms={self._offset_ms})"

    def _now_ms(self) -> int:
        return int(self._clock() * 1000) + self._offset_ms

    def _sign(self, request: httpx.Request) -> None:
        timestamp = str(self._now_ms())
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        target = signed_target(path, query)
        message = f"{timestamp}{request.method}{target}{request.content.decode()}"
        request.headers["KC-API-KEY"] = self._key
        request.headers["KC-API-SIGN"] = sign(self._secret, message)
        request.headers["KC-API-TIMESTAMP"] = timestamp
        request.headers["KC-API-PASSPHRASE"] = self._passphrase
        request.headers["KC-API-KEY-VERSION"] = self._version

    def _learn_offset(self, answer: httpx.Response) -> bool:
        """Adopts the server's clock from a GET /api/v1/timestamp answer; False when it gave none."""
        try:
            server_ms = int(answer.json()["data"])
        except (ValueError, KeyError, TypeError):
            return False
        self._offset_ms = server_ms - int(self._clock() * 1000)
        log.warning(
            "kucoin: the local clock is %.1fs %s the server's; signing with the server's time",
            abs(self._offset_ms) / 1000,
            "behind" if self._offset_ms > 0 else "ahead of",
        )
        return True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self._sign(request)
        response = yield request
        if response.status_code != REFUSED or not _is_clock_skew(response.read()):
            return
        timeout = {"timeout": request.extensions["timeout"]} if "timeout" in request.extensions else {}
        answer = yield httpx.Request("GET", self._time_url, extensions=timeout)  # without, it would have none
        answer.read()
        if self._learn_offset(answer):
            self._sign(request)
            yield request
