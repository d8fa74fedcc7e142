"""The test exchange's connector against its sandbox misbehaving: each way ends in a clear error or a
complete result, never in a partial one reported as success."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sample import FAST_RETRY, SINCE, TOKEN, UNTIL
from test_engine import EXPECTED_CSV, run

from ledgerport import Secret, SourceError, SyncContext, Window
from ledgerport.engine import plugins
from ledgerport.engine.fetch import Fetcher
from ledgerport.engine.reader import WindowReader


@pytest.mark.parametrize(
    ("hostile", "error"),
    [
        ("lying-totals", r"the server says it holds 5 rows but served 3 in 1 pages"),
        ("ignores-page", r"page 2 repeats rows of an earlier page \(r1\)"),
        ("says-page-1", r"asked for page 2, the server answered page 1"),
        ("seconds", r"5 entries returned for 2024-01-01T00:00:00\+00:00 .. 2024-01-02T00:00:00\+00:00 lie outside it"),
        ("huge", r"/ledger: the answer is larger than 67,108,864 bytes"),
        ("echo", r"upstream failed; request was .*'x-token': '\*{8}'"),
    ],
)
def test_a_lying_server_stops_the_sync_before_anything_is_written(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path, hostile: str, error: str
) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(SourceError, match=error) as info:
        run(registry, serve(hostile=hostile), out)
    assert out.read_text() == "", "the first window was refused: nothing of it may be written"
    assert TOKEN not in str(info.value)


def test_the_same_sandbox_honest_gives_the_complete_result(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    run(registry, serve(), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV


def test_pages_that_never_end_stop_at_the_cap(registry: plugins.Registry, serve: Callable[..., str]) -> None:
    from ledgerport_testexchange import Settings, TestExchange  # type: ignore[import-not-found]

    url = serve(hostile="endless")
    ctx = SyncContext(source="testexchange", title="Test", account="default", base_url=url)
    connector = TestExchange(Settings(token=Secret(TOKEN)), ctx)
    with httpx.Client(base_url=url, auth=connector.auth()) as client:
        fetcher = Fetcher(client, "testexchange", FAST_RETRY)
        reader = WindowReader(connector, ctx, fetcher, registry, None, None, 1, max_pages=50)
        with pytest.raises(SourceError, match=r"still brings new entries after 50 pages \(stream ledger\)"):
            reader.read(Window(SINCE, UNTIL))
    assert fetcher.stats.requests == 51  # the /features probe and 50 pages


@pytest.fixture
def drip() -> Iterator[str]:
    """A server that sends its answer one byte every 20 ms: each read is quick, the whole is not."""

    class Dripping(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = b'{"rewards": false}' + b" " * 200
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.02)

        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_dripping_server_cannot_keep_a_sync_alive_past_the_deadline(
    registry: plugins.Registry, drip: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"/features: the answer did not arrive within 1s"):
        run(registry, drip, tmp_path / "out.csv", timeout=0.25)
    assert time.monotonic() - started < 3  # the whole answer would take over 4 s
