"""The standard tests every connector should pass, run against the connector's own sandbox.

Subclass `ConnectorConformance` in a test module of your plugin (the class name must start with
`Test`) and define a `conformance` fixture that starts your sandbox and returns a
`ConformanceTarget`:

    class TestConformance(ConnectorConformance):
        @pytest.fixture
        def conformance(self):
            with MySandbox().serve() as server:
                yield ConformanceTarget(connector="myexchange", base_url=server.url, ...)

Each test drives the real engine over real HTTP: what they check is what users rely on.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from ..engine.config import Config, parse_assignments
from ..engine.fetch import Fetcher
from ..engine.plugins import Registry
from ..engine.request import SyncRequest
from ..engine.sync import SyncReport, open_connector, sync
from ..errors import AuthenticationError, ConfigError
from ..model.entry import Entry, Kind
from ..model.times import parse_instant
from ..sdk.connector import Connector, SyncContext
from ..sdk.hookspecs import hookimpl
from ..sdk.retry import RetryPolicy
from ..sdk.stream import Stream

__all__ = ["ConformanceTarget", "ConnectorConformance"]

_FAST = RetryPolicy(base_delay=0.001, max_delay=0.01)


@attrs.frozen(kw_only=True)
class ConformanceTarget:
    """What the conformance tests need to know about a connector and its running sandbox.

    `expected` is the sandbox's ground truth for `[since, until)`: entry id → the amount as the
    source sent it (text). `wrong_env` holds credentials the sandbox refuses (its values that differ
    from `env` must never show either); `secrets` every value that must never show.
    `unknown_kind_record` is a raw record of a category the connector does not know, as the stream
    named `unknown_kind_stream` (default: the first) sends it. `sign`, if given, signs a request with
    a frozen clock, for the determinism test.
    """

    connector: str
    base_url: str
    env: Mapping[str, str]
    wrong_env: Mapping[str, str]
    secrets: Sequence[str]
    since: datetime
    until: datetime
    expected: Mapping[str, str]
    unknown_kind_record: Mapping[str, Any]
    unknown_kind_stream: str | None = None
    account: str | None = None
    options: Sequence[str] = ()
    sign: Callable[[httpx.Request], httpx.Request] | None = None


class _Collector:
    """A plugin that keeps every entry handed to the sinks, to look at them as objects."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    @hookimpl(wrapper=True)
    def process_entries(self, ctx: SyncContext, entries: list[Entry]) -> Any:
        result = yield
        self.entries += result
        return result


class ConnectorConformance:
    """The conformance tests; see the module docstring for how to run them."""

    def registry(self, target: ConformanceTarget) -> Registry:
        return Registry.load(env={"LEDGERPORT_PLUGINS": f"{target.connector},csv"})

    def run(
        self,
        target: ConformanceTarget,
        out: Path,
        *,
        registry: Registry | None = None,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> SyncReport:
        request = SyncRequest(
            source=target.connector,
            since=target.since,
            until=target.until,
            sinks=[f"csv:{out}"],
            base_url=target.base_url,
            account=target.account,
            options=tuple(target.options),
            retry=_FAST,
        )
        return sync(
            attrs.evolve(request, **overrides),
            registry=registry or self.registry(target),
            env=target.env if env is None else env,
        )

    @contextlib.contextmanager
    def connector(self, target: ConformanceTarget) -> Iterator[tuple[Connector[Any], Fetcher]]:
        """The connector object as a sync makes it, and a session to its sandbox to drive it with."""
        connector = open_connector(
            self.registry(target).connector(target.connector),
            base_url=target.base_url,
            account=target.account,
            config=Config(),
            env=target.env,
            overrides=parse_assignments(target.options),
        )
        with httpx.Client(base_url=connector.context.base_url, auth=connector.auth()) as client:
            yield connector, Fetcher(client, target.connector, _FAST)

    def stream(self, target: ConformanceTarget) -> Stream:
        """The stream `unknown_kind_stream` names, as the connector makes it for the sandbox's account."""
        with self.connector(target) as (connector, session):
            streams = list(connector.streams(session))
        assert streams, "the connector reads no stream for the sandbox's account"
        wanted = target.unknown_kind_stream
        chosen = [s for s in streams if s.name == wanted] if wanted else streams[:1]
        assert chosen, f"no stream {wanted!r}: the connector reads {', '.join(s.name for s in streams)}"
        return chosen[0]

    def test_the_range_is_covered_exactly_once_with_exact_amounts(
        self, conformance: ConformanceTarget, tmp_path: Path
    ) -> None:
        out = tmp_path / "out.csv"
        self.run(conformance, out)
        with out.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        ids = [row["entry_id"] for row in rows]
        assert len(ids) == len(set(ids)), "an entry was written twice"
        assert set(ids) == set(conformance.expected), "entries are missing, or lie outside the range"
        for row in rows:
            assert Decimal(row["amount"]).copy_abs() == Decimal(conformance.expected[row["entry_id"]]).copy_abs()

    def test_entries_are_exact_and_in_utc(self, conformance: ConformanceTarget, tmp_path: Path) -> None:
        registry = self.registry(conformance)
        collector = _Collector()
        registry.add(collector, name="conformance-collector")
        self.run(conformance, tmp_path / "out.csv", registry=registry)
        assert collector.entries, "the sandbox's range holds no entry: choose one that does"
        for entry in collector.entries:
            assert isinstance(entry.amount, Decimal) and isinstance(entry.fee, Decimal)
            assert entry.timestamp.utcoffset() == timedelta(0)
            assert conformance.since <= entry.timestamp < conformance.until
            assert entry.source == conformance.connector

    def test_a_first_sync_without_since_starts_at_the_history_start(
        self, conformance: ConformanceTarget, tmp_path: Path
    ) -> None:
        out = tmp_path / "out.csv"
        with self.connector(conformance) as (connector, session):
            start = connector.history_start(session)
        if start is None:
            with pytest.raises(ConfigError, match="give --since"):
                self.run(conformance, out, since=None)
            return
        assert start.utcoffset() == timedelta(0), "the history start must be an aware UTC instant"
        report = self.run(conformance, out, since=None)
        with out.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        ids = [row["entry_id"] for row in rows]
        assert len(ids) == len(set(ids)), "an entry was written twice"
        if start >= conformance.until:
            assert (report.windows, ids) == (0, [])
            return
        assert report.since == start
        assert all(start <= parse_instant(row["timestamp"]) < conformance.until for row in rows)
        if start <= conformance.since:
            assert set(conformance.expected) <= set(ids), "the history start is later than entries the source has"

    def test_a_second_run_with_state_fetches_and_writes_nothing_new(
        self, conformance: ConformanceTarget, tmp_path: Path
    ) -> None:
        out, state = tmp_path / "out.csv", tmp_path / "state.db"
        self.run(conformance, out, state=state)
        written = out.read_bytes()
        again = self.run(conformance, out, state=state)
        assert (again.requests, again.entries) == (0, 0)
        assert out.read_bytes() == written

    def test_windows_and_slices_tile_any_range(self, conformance: ConformanceTarget) -> None:
        odd = conformance.since + timedelta(hours=13, minutes=37, milliseconds=1)
        with self.connector(conformance) as (connector, session):
            streams = list(connector.streams(session))
            for since, until in ((conformance.since, conformance.until), (odd, odd + timedelta(days=3, seconds=1))):
                windows = list(connector.plan_windows(since, until))
                assert windows[0].start == since and windows[-1].end == until
                assert all(a.end == b.start for a, b in itertools.pairwise(windows))
                assert all(w.start < w.end for w in windows)
                for stream in streams:
                    for window in windows:
                        slices = list(stream.slices(window))
                        assert slices[0].start == window.start and slices[-1].end == window.end
                        assert all(a.end == b.start and a.start < a.end for a, b in itertools.pairwise(slices))
        assert connector.name == conformance.connector

    def test_an_unknown_kind_is_kept_as_other(
        self, conformance: ConformanceTarget, caplog: pytest.LogCaptureFixture
    ) -> None:
        stream = self.stream(conformance)
        with caplog.at_level(logging.WARNING):
            entries = stream.map_record(dict(conformance.unknown_kind_record))
        assert entries, "a record of an unknown kind was dropped"
        assert all(entry.kind is Kind.OTHER for entry in entries)
        assert caplog.records, "an unknown kind should be logged as a warning"

    def test_refused_credentials_fail_clearly_and_no_secret_shows(
        self, conformance: ConformanceTarget, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        out = tmp_path / "out.csv"
        with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as refused:
            self.run(conformance, out, env=conformance.wrong_env)
        self.run(conformance, out)
        texts = [str(refused.value), repr(refused.value), caplog.text, out.read_text(encoding="utf-8")]
        wrong = [value for name, value in conformance.wrong_env.items() if conformance.env.get(name) != value]
        for secret in (*conformance.secrets, *wrong):
            assert all(secret not in text for text in texts), f"a secret value was shown: {secret[:2]}..."

    def test_the_signer_is_deterministic(self, conformance: ConformanceTarget) -> None:
        if conformance.sign is None:
            pytest.skip("this connector signs nothing (no `sign` given)")
        url = f"{conformance.base_url}/probe?b=2&a=1"

        def headers(target: str) -> dict[str, str]:
            assert conformance.sign is not None
            return dict(conformance.sign(httpx.Request("GET", target)).headers)

        assert headers(url) == headers(url), "the same request, signed twice at the same time, differs"
        assert headers(url) != headers(f"{conformance.base_url}/probe?a=1&b=2"), "the query order is not signed"
