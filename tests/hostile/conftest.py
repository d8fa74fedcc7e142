"""What the hostile suites share: a server that drips a real sandbox's answers, and a window read with
a page cap of the test's choosing (the sync itself keeps the engine's generous default)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sample import FAST_RETRY

from ledgerport import Connector, RetryPolicy, SandboxRequest, SandboxResponse, SyncContext, Window
from ledgerport.engine import plugins
from ledgerport.engine.fetch import Fetcher, FetchStats
from ledgerport.engine.reader import WindowReader

Handler = Callable[[SandboxRequest], SandboxResponse]
DRIP_EVERY = 0.02
"""Seconds between two bytes of a dripping answer: each read is quick, the whole is not."""
DRIP_PADDING = 200
"""Blanks after the answer's JSON, so that even a short answer takes seconds to arrive."""


@pytest.fixture
def dripping() -> Iterator[Callable[[Handler], str]]:
    """`dripping(handler)`: serves a sandbox's handler on 127.0.0.1, every answer sent one byte every
    `DRIP_EVERY` seconds (padded with `DRIP_PADDING` blanks); returns its URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(handle: Handler) -> str:
        class Dripping(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                response = handle(
                    SandboxRequest(
                        method=self.command,
                        path=split.path,
                        raw_query=split.query,
                        query=dict(parse_qsl(split.query, keep_blank_values=True)),
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=self.rfile.read(length) if length else b"",
                    )
                )
                body = response.body + b" " * DRIP_PADDING
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in response.headers:
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(DRIP_EVERY)  # the attack itself
                except OSError:  # the client gave up, as it should
                    return

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                """Silent."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def read_window(
    connector: Connector[Any],
    ctx: SyncContext,
    registry: plugins.Registry,
    window: Window,
    max_pages: int,
    policy: RetryPolicy = FAST_RETRY,
) -> tuple[Callable[[], Sequence[object]], FetchStats]:
    """A reader of `window` through the connector's streams with a cap of `max_pages` pages, as the sync
    reads it, and the fetcher's counts: `read()` runs it."""
    client = httpx.Client(base_url=ctx.base_url, auth=connector.auth())
    fetcher = Fetcher(client, ctx.source, policy)
    reader = WindowReader(connector, ctx, fetcher, registry, None, None, 1, max_pages=max_pages)

    def read() -> Sequence[object]:
        with client:
            return reader.read(window)

    return read, fetcher.stats


@pytest.fixture
def capped_reader() -> Callable[..., tuple[Callable[[], Sequence[object]], FetchStats]]:
    """`capped_reader(connector, ctx, registry, window, max_pages)`: see `read_window`."""
    return read_window


def leaked(secrets: Sequence[str], *texts: str) -> list[str]:
    """The secrets (each of at least 8 characters) that appear in any of `texts`."""
    return [secret for secret in secrets if any(secret in text for text in texts)]


@pytest.fixture
def no_secret_in() -> Callable[..., None]:
    """`no_secret_in(secrets, *texts)`: fails naming how many secrets showed up, never the secrets."""

    def check(secrets: Sequence[str], *texts: str) -> None:
        found = leaked(secrets, *texts)
        assert not found, f"{len(found)} secret(s) of {len(secrets)} appear in the error, logs or outputs"

    return check
