"""A small real HTTP server on 127.0.0.1 for sandbox exchanges: tests, demos and benchmarks talk to it over TCP.

A sandbox is a function from `SandboxRequest` to `SandboxResponse`; this module does the HTTP/1.1
(keep-alive, threads) so each connector's sandbox only implements its API's contract.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

from ..errors import ConfigError

__all__ = ["SandboxRequest", "SandboxResponse", "SandboxServer", "json_response", "write_daily_prices"]


@attrs.frozen(kw_only=True)
class SandboxRequest:
    method: str
    path: str
    raw_query: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes

    @property
    def target(self) -> str:
        """Path and query exactly as sent, which is what request signatures cover."""
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path


@attrs.frozen(kw_only=True)
class SandboxResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_response(data: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> SandboxResponse:
    return SandboxResponse(status=status, body=json.dumps(data).encode(), headers=headers)


Handler = Callable[[SandboxRequest], SandboxResponse]


def write_daily_prices(path: Path, prices: Mapping[str, str], since: date, days: int, currency: str = "USD") -> Path:
    """A `--prices` file for a sandbox's assets: one price a day each, a little higher every day."""
    rows = ["date,asset,currency,price"]
    for day in range(days):
        rows += [
            f"{since + timedelta(days=day)},{asset},{currency},{Decimal(price) * (100 + day) / 100}"
            for asset, price in prices.items()
        ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _request_handler(handle: Handler) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = SandboxRequest(
                method=self.command,
                path=split.path,
                raw_query=split.query,
                query=dict(parse_qsl(split.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            response = handle(request)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: a sandbox serving thousands of pages must not flood the terminal."""

    return RequestHandler


class SandboxServer:
    """Serves `handler` on 127.0.0.1 (a free port unless given) in a background thread."""

    def __init__(self, handler: Handler, port: int = 0) -> None:
        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), _request_handler(handler))
        except OSError as exc:  # a port in use (another sandbox) is the user's to change, not a crash
            raise ConfigError(
                f"cannot serve on 127.0.0.1:{port}: {exc.strerror}; give another --port, or 0 for any free one"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
