"""The sync engine: drives a connector's hooks window by window and hands each window's entries to the sinks."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import attrs
import httpx

from . import __version__
from ._hooks import ConnectorHooks
from .config import Config, build_settings, load_config, parse_assignments
from .connector import Connector, SyncContext, Window
from .errors import ConfigError, PluginError
from .fetch import Fetcher
from .model import Entry
from .plugins import Registry, default_registry
from .retry import RetryPolicy
from .sink import RunInfo, Sink

__all__ = ["SyncReport", "sync"]

log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class SyncReport:
    """What a finished sync did, for `--json` and for callers of the Python API."""

    source: str
    account: str
    since: datetime
    until: datetime
    windows: int
    entries: int
    requests: int
    retries: int
    rate_limit_waits: int
    paced: int
    waited_seconds: float
    duration_seconds: float
    sinks: tuple[str, ...]


def _order(entry: Entry) -> tuple[datetime, str]:
    return (entry.timestamp, entry.entry_id)


def _split_sink(spec: str) -> tuple[str, str]:
    name, sep, target = spec.partition(":")
    if not (sep and name and target):
        raise ConfigError(f"--sink {spec!r}: expected NAME:TARGET, e.g. csv:out.csv")
    return name, target


def _check_tiling(windows: Sequence[Window], since: datetime, until: datetime, source: str) -> None:
    """Exactly once rests on windows that tile the range; a plan that does not is a plugin bug."""
    edge = since
    for window in windows:
        if window.start != edge or window.end <= window.start:
            raise PluginError(f"{source}: plan_windows returned {window}, which does not continue from {edge}")
        edge = window.end
    if edge != until:
        raise PluginError(f"{source}: plan_windows stops at {edge}, not at the end of the range {until}")


def _settings_for(
    what: str, name: str, cls: type, config: Config, env: Mapping[str, str], overrides: Mapping[str, Mapping[str, str]]
) -> tuple[object, dict[str, object]]:
    """Returns the structured settings and the generic keys (base_url, account) a connector table may hold."""
    table = dict(getattr(config, what).get(name, {}))
    generic = {key: table.pop(key) for key in ("base_url", "account") if key in table and what == "connectors"}
    settings = build_settings(
        cls, path=f"{what}.{name}", file_values=table, env=env, overrides=overrides.get(name, {})
    )
    return settings, generic


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
    settings, generic = _settings_for("connectors", connector.name, connector.settings, config, env, overrides)
    base_url = base_url or generic.get("base_url") or connector.default_base_url  # type: ignore[assignment]
    if not base_url:
        raise ConfigError(
            f"{connector.name} has no default base URL: give --base-url or connectors.{connector.name}.base_url"
        )
    account = account or generic.get("account")  # type: ignore[assignment]
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


@contextlib.contextmanager
def _open_sinks(
    specs: Sequence[str],
    run: RunInfo,
    registry: Registry,
    config: Config,
    env: Mapping[str, str],
    overrides: Mapping[str, Mapping[str, str]],
) -> Iterator[list[Sink]]:
    """Open every sink, and close every one that opened, whatever happens."""
    if not specs:
        raise ConfigError("no sink given: add --sink NAME:TARGET, e.g. --sink csv:out.csv")
    prepared = []
    for spec in specs:
        name, target = _split_sink(spec)
        sink_type = registry.sink_type(name)
        settings, _ = _settings_for("sinks", name, sink_type.settings, config, env, overrides)
        prepared.append((sink_type, target, settings))
    with contextlib.ExitStack() as stack:
        sinks = []
        for sink_type, target, settings in prepared:
            sink = sink_type.open(target, run, settings)
            stack.callback(sink.close)
            sinks.append(sink)
        yield sinks


def _collect_window(window: Window, hooks: ConnectorHooks, fetcher: Fetcher) -> list[Entry]:
    """Every entry the window owns, once each; pages stop when one brings nothing new."""
    seen: set[str] = set()
    kept: list[Entry] = []
    request = hooks.first_request(window)
    while request is not None:
        page = fetcher.fetch(request)
        fresh = False
        for record in page.records:
            for entry in hooks.map_record(record):
                if entry.entry_id in seen:
                    continue
                seen.add(entry.entry_id)
                fresh = True
                if window.owns(entry.timestamp):
                    kept.append(entry)
        if not fresh:
            break
        request = hooks.next_request(window, page)
    kept.sort(key=_order)
    return kept


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
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    retry: RetryPolicy = RetryPolicy(),
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Fetch every entry of `source` in `[since, until)` and write each one exactly once to every sink.

    `sinks` are `NAME:TARGET` specs, `options` are `PLUGIN.FIELD=VALUE` settings (as `--set`), and
    `config` is a `Config` or the path of a TOML config file. Entries flow window by window: the
    engine holds one window's entries at a time, never the whole ledger.
    """
    started = time.monotonic()
    registry = registry or default_registry()
    env = os.environ if env is None else env
    if not isinstance(config, Config):
        config = load_config(config) if config is not None else Config()
    overrides = parse_assignments(options)
    connector = registry.connector(source)
    ctx = _context(
        connector, since=since, until=until, base_url=base_url, account=account,
        config=config, env=env, overrides=overrides,
    )
    hooks = ConnectorHooks(registry.pm, ctx)
    windows = hooks.plan_windows(since, until)
    _check_tiling(windows, since, until, source)
    run = RunInfo(source=source, account=ctx.account, since=since, until=until)
    written = 0
    client = httpx.Client(
        base_url=ctx.base_url, auth=hooks.auth(), timeout=timeout,
        headers={"User-Agent": f"ledgerport/{__version__}"},
    )
    with client, _open_sinks(sinks, run, registry, config, env, overrides) as open_sinks:
        fetcher = Fetcher(client, hooks, source, retry, sleep)
        for window in windows:
            entries = hooks.process_entries(_collect_window(window, hooks, fetcher))
            for sink in open_sinks:
                sink.write_entries(entries)
            for sink in open_sinks:
                sink.commit()
            written += len(entries)
            log.info("%s: %s .. %s: %d entries", source, window.start.isoformat(), window.end.isoformat(), len(entries))
    stats = fetcher.stats
    return SyncReport(
        source=source,
        account=ctx.account,
        since=since,
        until=until,
        windows=len(windows),
        entries=written,
        requests=stats.requests,
        retries=stats.retries,
        rate_limit_waits=stats.rate_limit_waits,
        paced=stats.paced,
        waited_seconds=round(stats.waited, 3),
        duration_seconds=round(time.monotonic() - started, 3),
        sinks=tuple(sinks),
    )
