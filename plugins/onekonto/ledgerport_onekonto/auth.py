"""Login with user and SHA-256 of the password, a bearer token, and one fresh login when it expires.

1Konto has no refresh call: a token that the server refuses (401) is replaced by logging in again,
once, and the request is sent again; a second refusal goes back to the engine as an error, so an
auth flow can never loop.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Generator

import httpx

from ledgerport import AuthenticationError, Secret, SourceError, register_secret

from .api import NAME, password_digest
from .errors import describe, error_for
from .settings import Settings

_MASK = "********"
DEADLINE_TIMES = 4
"""The login's answer must arrive within this many times the read timeout, as the engine bounds every answer."""
MAX_LOGIN_BYTES = 1024 * 1024
"""A login answer is a token: anything this large is a broken or hostile server."""


def join_url(base_url: str, path: str) -> str:
    """`path` under the base URL, keeping a base path prefix as httpx does for the client's requests."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def read_within(response: httpx.Response, what: str) -> httpx.Response:
    """The whole answer, read within `DEADLINE_TIMES` its request's read timeout and `MAX_LOGIN_BYTES`: httpx's
    timeout bounds each read, so a server sending a byte at a time would otherwise hold the login for ever."""
    read_timeout = (response.request.extensions.get("timeout") or {}).get("read")
    seconds: float | None = DEADLINE_TIMES * read_timeout if read_timeout else None
    give_up = time.monotonic() + seconds if seconds else None
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_LOGIN_BYTES:
            raise SourceError(f"{NAME}: {what}: the answer is larger than {MAX_LOGIN_BYTES:,} bytes")
        if give_up is not None and time.monotonic() > give_up:
            raise SourceError(
                f"{NAME}: {what}: the answer did not arrive within {seconds:g}s "
                f"({len(body):,} bytes so far): the server sends it too slowly"
            )
    response._content = bytes(body)  # what `read()` sets: httpx reads the answers of an auth flow again
    return response


class LoginAuth(httpx.Auth):
    """Logs in before the first request and after a 401, and sends `Authorization: Bearer <token>`.

    A ledger answer is left unread here (its status is all this needs), for the engine to read within its
    deadline and size cap; the login's answer is read here, within the same bounds (`read_within`).
    """

    requires_response_body = False

    def __init__(self, base_url: str, settings: Settings) -> None:
        self._login_url = join_url(base_url, settings.login_path)
        self._login_path = settings.login_path
        self._user = settings.user
        self._password = settings.password
        self._token: Secret | None = None
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = yield from self._current(request, refused=None)
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if response.status_code == 401:
            token = yield from self._current(request, refused=token)
            request.headers["Authorization"] = f"Bearer {token.reveal()}"
            yield request

    def _current(
        self, request: httpx.Request, refused: Secret | None
    ) -> Generator[httpx.Request, httpx.Response, Secret]:
        """The token to send: logged in for when there is none, or when the one refused is still the one
        held. Requests run in several threads at once (the engine reads ahead): one of them logs in
        while the others wait, and a token another thread has already replaced is not replaced again."""
        with self._lock:
            if self._token is None or self._token is refused:
                self._token = None  # should this login fail transiently, the retry logs in first
                self._token = yield from self._login(request)
            return self._token

    def _login(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, Secret]:
        """Logs in, with the timeouts of `request` (a request an auth flow makes has none of its own)."""
        digest = password_digest(self._password.reveal())
        register_secret(digest)  # it authenticates on the wire as well as the password does
        body = {"user": self._user, "password": digest}
        timeout = {"timeout": request.extensions["timeout"]} if "timeout" in request.extensions else {}
        streamed = yield httpx.Request("POST", self._login_url, json=body, extensions=timeout)
        response = read_within(streamed, self._login_path)
        if response.status_code != 200:
            reason = self._scrub(describe(response), digest)
            if response.status_code not in (400, 401, 403):
                raise error_for(response, self._login_path, reason)
            raise AuthenticationError(
                f"{NAME}: login refused for user {self._user!r} at {self._login_path} "
                f"(HTTP {response.status_code}: {reason}); check ONEKONTO_USER and ONEKONTO_PASSWORD"
            )
        try:
            token = json.loads(response.content)["token"]
        except (ValueError, KeyError, TypeError):
            token = None
        if not isinstance(token, str) or not token:
            raise SourceError(f"{NAME}: {self._login_path}: the login answer holds no token")
        return Secret(token)

    def _scrub(self, text: str, digest: str) -> str:
        """A server that echoes what it was sent must not put the password or its hash in our message,
        whatever the status (a password shorter than `Secret` masks by itself included)."""
        for secret in (self._password.reveal(), digest):
            if secret:
                text = text.replace(secret, _MASK)
        return text
