"""The sync engine: drives a connector's hooks window by window and hands each window's entries to the sinks."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import attrs
import httpx

from .. import __version__
from .._hooks import ConnectorHooks
from .config import Books, Config, build_settings, load_config, parse_assignments
from ..sdk.connector import Connector, SyncContext, Window
from .coverage import gaps, segments
from ..errors import BadRecordError, ConfigError, PluginError
from .fetch import Fetcher
from ..books import JournalBuilder
from ..model.entry import Entry
from .plugins import Registry, default_registry
from ..books.prices import PriceBook
from .quarantine import Quarantine
from ..sdk.retry import RetryPolicy
from ..sdk.sink import RunInfo, Sink, SinkType
from .state import SinkKey, StateStore

__all__ = ["Progress", "SyncReport", "sync"]

log = logging.getLogger(__name__)

OnBadRecord = Literal["fail", "skip"]


@attrs.frozen(kw_only=True)
class SyncReport:
    """What a finished sync did, for `--json` and for callers of the Python API."""

    source: str
    account: str
    since: datetime
    until: datetime
    windows: int
    entries: int
    written: Mapping[str, int]
    skipped: int
    quarantine: str | None
    requests: int
    retries: int
    rate_limit_waits: int
    paced: int
    waited_seconds: float
    duration_seconds: float


@attrs.frozen(kw_only=True)
class Progress:
    """A snapshot for a progress display, sent after every page and every committed window."""

    windows_done: int
    windows_total: int
    window: Window
    entries: int
    requests: int
    retries: int
    rate_limit_waits: int


@attrs.frozen
class _Output:
    spec: str
    key: SinkKey
    sink_type: SinkType
    target: str
    settings: Any


def _order(entry: Entry) -> tuple[datetime, str]:
    return (entry.timestamp, entry.entry_id)


def _identity(target: str) -> str:
    """What a sink's state is keyed on: a URL or `-` as given, a path made absolute."""
    return target if target == "-" or "://" in target else str(Path(target).resolve())


def _check_tiling(windows: Sequence[Window], span: Window, source: str) -> None:
    """Exactly once rests on windows that tile the range; a plan that does not is a plugin bug."""
    edge = span.start
    for window in windows:
        if window.start != edge or window.end <= window.start:
            raise PluginError(f"{source}: plan_windows returned {window}, which does not continue from {edge}")
        edge = window.end
    if edge != span.end:
        raise PluginError(f"{source}: plan_windows stops at {edge}, not at the end of the range {span.end}")


def _context(
    connector: Connector,
    *,
    since: datetime,
    until: datetime,
    base_url: str | None,
    account: str | None,
    config: Config,
    env: Mapping[str, str],
    overrides: Mapping[str, Mapping[str, str]],
) -> SyncContext:
    if since.tzinfo is None or until.tzinfo is None:
        raise ConfigError("since and until must be timezone-aware")
    if until <= since:
        raise ConfigError(f"the range is empty: until ({until.isoformat()}) is not after since ({since.isoformat()})")
    table = dict(config.connectors.get(connector.name, {}))
    file_base_url, file_account = table.pop("base_url", None), table.pop("account", None)  # the engine's own keys
    settings = build_settings(
        connector.settings, path=f"connectors.{connector.name}", file_values=table, env=env,
        overrides=overrides.get(connector.name, {}),
    )
    base_url = base_url or file_base_url or connector.default_base_url
    if not base_url:
        raise ConfigError(
            f"{connector.name} has no default base URL: give --base-url or connectors.{connector.name}.base_url"
        )
    account = account or file_account
    if not account and connector.needs_account:
        raise ConfigError(f"{connector.name} needs an account: give --account or connectors.{connector.name}.account")
    return SyncContext(
        connector=connector,
        settings=settings,
        since=since,
        until=until,
        base_url=str(base_url),
        account=str(account or "default"),
    )


def _outputs(
    specs: Sequence[str],
    ctx: SyncContext,
    registry: Registry,
    config: Config,
    env: Mapping[str, str],
    overrides: Mapping[str, Mapping[str, str]],
) -> list[_Output]:
    if not specs:
        raise ConfigError("no sink given: add --sink NAME:TARGET, e.g. --sink csv:out.csv")
    outputs = []
    for spec in specs:
        name, sep, target = spec.partition(":")
        if not (sep and name and target):
            raise ConfigError(f"--sink {spec!r}: expected NAME:TARGET, e.g. csv:out.csv")
        sink_type = registry.sink_type(name)
        settings = build_settings(
            sink_type.settings, path=f"sinks.{name}", file_values=config.sinks.get(name, {}), env=env,
            overrides=overrides.get(name, {}),
        )
        key = SinkKey(ctx.source, ctx.account, f"{name}:{_identity(target)}")
        outputs.append(_Output(spec, key, sink_type, target, settings))
    if len({o.key for o in outputs}) < len(outputs):
        raise ConfigError("the same sink target is given twice")
    return outputs


def _price_book(books: Books, files: str | Path | Sequence[str | Path] | None, hooks: ConnectorHooks) -> PriceBook:
    """The price files given to the run (else those of the config), with the `lookup_price` hook behind them."""
    if files is None:
        files = books.prices
    elif isinstance(files, str | Path):
        files = [files]
    book = PriceBook(max_age_days=books.max_age_days, fallback=hooks.lookup_price)
    for path in files:
        book.load(path)
    return book


@contextlib.contextmanager
def _open_sinks(
    outputs: Sequence[_Output], run: RunInfo, state: StateStore | None
) -> Iterator[dict[SinkKey, Sink]]:
    """Open every sink at its last checkpoint, and close every one that opened, whatever happens."""
    with contextlib.ExitStack() as stack:
        opened = {}
        for output in outputs:
            checkpoint = state.checkpoint(output.key) if state else None
            sink = output.sink_type.open(output.target, run, output.settings, checkpoint)
            stack.callback(sink.close)
            opened[output.key] = sink
        yield opened


def _plan(
    hooks: ConnectorHooks,
    ctx: SyncContext,
    sinks: Mapping[SinkKey, Sink],
    state: StateStore | None,
) -> list[tuple[Window, frozenset[SinkKey]]]:
    """The windows still to fetch, each with the sinks that still need it."""
    whole = [Window(ctx.since, ctx.until)]
    needs = {
        key: gaps(ctx.since, ctx.until, state.covered(key)) if state and sink.resumable else whole
        for key, sink in sinks.items()
    }
    plan = []
    for segment in segments(needs):
        windows = hooks.plan_windows(segment.window.start, segment.window.end)
        _check_tiling(windows, segment.window, ctx.source)
        plan.extend((window, segment.sinks) for window in windows)  # type: ignore[misc]
    return plan


class _Run:
    """One sync's moving parts, so each step below is a small method instead of one long function."""

    def __init__(
        self,
        ctx: SyncContext,
        hooks: ConnectorHooks,
        fetcher: Fetcher,
        quarantine: Quarantine | None,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.ctx = ctx
        self.hooks = hooks
        self.fetcher = fetcher
        self.quarantine = quarantine
        self.progress = progress
        self.entries = 0
        self.windows_done = 0
        self.windows_total = 0

    def report_progress(self, window: Window, pending: int = 0) -> None:
        if self.progress is None:
            return
        stats = self.fetcher.stats
        self.progress(
            Progress(
                windows_done=self.windows_done,
                windows_total=self.windows_total,
                window=window,
                entries=self.entries + pending,
                requests=stats.requests,
                retries=stats.retries,
                rate_limit_waits=stats.rate_limit_waits + stats.paced,
            )
        )

    def map_record(self, record: Any) -> Sequence[Entry]:
        try:
            return self.hooks.map_record(record)
        except BadRecordError as error:
            if self.quarantine is None:
                raise
            log.warning("%s (skipped, see %s)", error, self.quarantine.path)
            self.quarantine.add(error, self.ctx.account, record)
            return ()

    def collect(self, window: Window) -> list[Entry]:
        """Every entry the window owns, once each; pages stop when one brings nothing new."""
        seen: set[str] = set()
        kept: list[Entry] = []
        request: Any = self.hooks.first_request(window)
        while request is not None:
            page = self.fetcher.fetch(request)
            fresh = False
            for record in page.records:
                for entry in self.map_record(record):
                    if entry.entry_id in seen:
                        continue
                    seen.add(entry.entry_id)
                    fresh = True
                    if window.owns(entry.timestamp):
                        kept.append(entry)
            self.report_progress(window, len(kept))
            if not fresh:
                break
            request = self.hooks.next_request(window, page)
        kept.sort(key=_order)
        return self.hooks.process_entries(kept)


def sync(
    source: str,
    *,
    since: datetime,
    until: datetime,
    sinks: Sequence[str],
    base_url: str | None = None,
    account: str | None = None,
    config: Config | str | Path | None = None,
    options: Sequence[str] = (),
    state: str | Path | None = None,
    fresh: bool = False,
    on_bad_record: OnBadRecord = "fail",
    quarantine: str | Path = "ledgerport-quarantine.jsonl",
    prices: str | Path | Sequence[str | Path] | None = None,
    home_currency: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    retry: RetryPolicy = RetryPolicy(),
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Fetch every entry of `source` in `[since, until)` and write each one exactly once to every sink.

    `sinks` are `NAME:TARGET` specs, `options` are `PLUGIN.FIELD=VALUE` settings (as `--set`), and
    `config` is a `Config` or the path of a TOML config file. With a `state` file, a sync resumes
    where an interrupted one stopped and fetches only what its sinks do not hold yet; `fresh`
    forgets that and starts the outputs over. Without one, every sink starts afresh. Entries flow
    window by window: the engine holds one window's entries at a time, never the whole ledger.

    Sinks that value entries in money get `home_currency` and a price book read from the `prices`
    files (both default to the config's `[books]`), which also learns the prices each window's trades
    imply before the window reaches the sinks.
    """
    started = time.monotonic()
    registry = registry or default_registry()
    env = os.environ if env is None else env
    if not isinstance(config, Config):
        config = load_config(config) if config is not None else Config()
    if on_bad_record not in ("fail", "skip"):
        raise ConfigError(f"on_bad_record must be 'fail' or 'skip', not {on_bad_record!r}")
    overrides = parse_assignments(options)
    connector = registry.connector(source)
    ctx = _context(
        connector, since=since, until=until, base_url=base_url, account=account,
        config=config, env=env, overrides=overrides,
    )
    hooks = ConnectorHooks(registry.pm, ctx)
    outputs = _outputs(sinks, ctx, registry, config, env, overrides)
    specs = {output.key: output.spec for output in outputs}
    book = _price_book(config.books, prices, hooks)
    run_info = RunInfo(
        source=source, source_title=connector.title, account=ctx.account, since=since, until=until,
        home_currency=home_currency or config.books.home_currency, prices=book,
    )
    builder = JournalBuilder(config.journal, connector.title)
    written = dict.fromkeys(specs.values(), 0)
    bad = Quarantine(quarantine) if on_bad_record == "skip" else None
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(StateStore(state)) if state is not None else None
        if store and fresh:
            store.forget(list(specs))
        open_sinks = stack.enter_context(_open_sinks(outputs, run_info, store))
        plan = _plan(hooks, ctx, open_sinks, store)
        client = stack.enter_context(
            httpx.Client(
                base_url=ctx.base_url, auth=hooks.auth(), timeout=timeout,
                headers={"User-Agent": f"ledgerport/{__version__}"},
            )
        )
        run = _Run(ctx, hooks, Fetcher(client, hooks, source, retry, sleep), bad, progress)
        run.windows_total = len(plan)
        for window, wanting in plan:
            entries = run.collect(window)
            targets = [(key, open_sinks[key]) for key in specs if key in wanting]
            transactions = builder.build(entries) if any(s.needs_transactions for _, s in targets) else []
            book.learn(transactions)
            for _, sink in targets:
                sink.write_entries(entries)
                if sink.needs_transactions:
                    sink.write_transactions(transactions)
            checkpoints = [(key, sink.commit(), len(entries)) for key, sink in targets]
            if bad:
                bad.commit()
            if store:
                store.commit(window, [c for c, (_, sink) in zip(checkpoints, targets, strict=True) if sink.resumable])
            for key, _ in targets:
                written[specs[key]] += len(entries)
            run.entries += len(entries)
            run.windows_done += 1
            run.report_progress(window)
            log.info("%s: %s .. %s: %d entries", source, window.start.isoformat(), window.end.isoformat(), len(entries))
    stats = run.fetcher.stats
    return SyncReport(
        source=source,
        account=ctx.account,
        since=since,
        until=until,
        windows=len(plan),
        entries=run.entries,
        written=written,
        skipped=bad.count if bad else 0,
        quarantine=str(bad.path) if bad and bad.count else None,
        requests=stats.requests,
        retries=stats.retries,
        rate_limit_waits=stats.rate_limit_waits,
        paced=stats.paced,
        waited_seconds=round(stats.waited, 3),
        duration_seconds=round(time.monotonic() - started, 3),
    )
