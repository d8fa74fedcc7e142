"""The sync engine: drives a connector's streams window by window and hands each window's entries to the sinks."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import httpx

from .. import __version__
from ..books import Chart, JournalBuilder, LotSettings, OpeningLot, PriceBook
from ..books.counterparts import with_counterparts
from ..books.transactions import Transaction
from ..errors import ConfigError
from ..model.entry import Entry
from ..sdk.connector import Connector, SyncContext
from ..sdk.paging import Window
from ..sdk.sink import RunInfo, Sink, SinkType
from .config import Books, Config, book_zone, build_settings, load_config, parse_assignments
from .costs import Lanes, check_kept_alike, lot_settings, opening_lots
from .coverage import gaps, segments
from .fetch import Fetcher
from .holdings import Holdings, Reconciled, reconcile
from .identity import identity
from .plugins import Registry, default_registry
from .preflight import known_targets, one_use_per_file, warn_if_exposed
from .quarantine import Quarantine
from .reader import Progress, ReadAhead, WindowReader, check_tiling
from .request import SyncRequest
from .state import Committed, OutputKey, StateStore, Unsettled

__all__ = ["Progress", "SyncReport", "check_tiling", "open_connector", "sync"]

log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class SyncReport:
    """What a finished sync did, for `--json` and for callers of the Python API."""

    source: str
    account: str
    since: datetime | None
    until: datetime
    streams: tuple[str, ...]
    reconciliation: tuple[Reconciled, ...]
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


@attrs.frozen
class _Output:
    spec: str
    key: OutputKey
    sink_type: SinkType
    target: str
    settings: Any


def _identity_of_target(target: str) -> str:
    """What a sink's state is keyed on: a URL or `-` as given, a path made absolute."""
    return target if target == "-" or "://" in target else str(Path(target).resolve())


def open_connector(
    connector_class: type[Connector[Any]],
    *,
    base_url: str | None,
    account: str | None,
    config: Config,
    env: Mapping[str, str],
    overrides: Mapping[str, Mapping[str, str]],
) -> Connector[Any]:
    """The connector instance for one sync: settings from file, environment and overrides; its context."""
    name = connector_class.name
    table = dict(config.connectors.get(name, {}))
    file_base_url, file_account = table.pop("base_url", None), table.pop("account", None)  # the engine's own keys
    settings = build_settings(
        connector_class.settings_class,
        path=f"connectors.{name}",
        file_values=table,
        env=env,
        overrides=overrides.get(name, {}),
    )
    base_url = base_url or file_base_url or connector_class.default_base_url
    if not base_url:
        raise ConfigError(
            f"{name} has no default base URL: give --base-url (base_url= from Python) or connectors.{name}.base_url"
        )
    account = account or file_account
    if not account and connector_class.needs_account:
        raise ConfigError(
            f"{name} needs an account: give --account (account= from Python) or connectors.{name}.account"
        )
    ctx = SyncContext(
        source=name, title=connector_class.title, account=str(account or "default"), base_url=str(base_url)
    )
    return connector_class(settings, ctx)


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
            sink_type.settings,
            path=f"sinks.{name}",
            file_values=config.sinks.get(name, {}),
            env=env,
            overrides=overrides.get(name, {}),
        )
        key = OutputKey(ctx.source, ctx.account, f"{name}:{_identity_of_target(target)}")
        outputs.append(_Output(spec, key, sink_type, target, settings))
    return outputs


def _price_book(books: Books, files: Sequence[str | Path] | None, registry: Registry) -> PriceBook:
    """The price files given to the run (else those of the config), with the `lookup_price` hook behind them."""
    book = PriceBook(max_age_days=books.max_age_days, fallback=registry.lookup_price)
    for path in books.prices if files is None else files:
        book.load(path)
    return book


@contextlib.contextmanager
def _open_sinks(outputs: Sequence[_Output], run: RunInfo, state: StateStore | None) -> Iterator[dict[OutputKey, Sink]]:
    """Open every sink at its last checkpoint, and close every one that opened, whatever happens."""
    with contextlib.ExitStack() as stack:
        opened = {}
        for output in outputs:
            checkpoint = state.checkpoint(output.key) if state else None
            sink = output.sink_type.open(output.target, run, output.settings, checkpoint)
            stack.callback(sink.close)
            opened[output.key] = sink
        yield opened


@attrs.frozen
class _Need:
    """What one output still needs: the parts of time to fetch, and the second look at its newest stretch."""

    parts: list[Window]
    unsettled: Unsettled | None


def _needs(
    outputs: Sequence[_Output],
    sinks: Mapping[OutputKey, Sink],
    state: StateStore | None,
    since: datetime | None,
    until: datetime,
    history_start: Callable[[], datetime],
) -> dict[OutputKey, _Need]:
    """Per output: from `since`, else from where its state begins, else from the source's history start."""
    needs = {}
    for output in outputs:
        key, resumable = output.key, sinks[output.key].resumable
        covered = state.covered(key) if state and resumable else []
        start = since or (covered[0].start if covered else history_start())
        parts = gaps(start, until, covered) if start < until else []
        second = state.unsettled(key) if state and resumable else None
        if second is not None:
            look = Window(max(second.since, start), min(second.until, until))
            if look.start < look.end:
                parts = sorted([*parts, look], key=lambda w: w.start)
            else:
                second = None
        needs[key] = _Need(parts, second)
    return needs


class _History:
    """Where the source's history starts, asked of the connector once, and only when something needs it."""

    def __init__(self, connector: Connector[Any], fetcher: Fetcher) -> None:
        self._connector, self._fetcher = connector, fetcher
        self._asked = False
        self._start: datetime | None = None

    def known(self) -> datetime | None:
        if not self._asked:
            self._asked = True
            self._start = self._connector.history_start(self._fetcher)
            if self._start is not None:
                log.info("%s: history starts at %s", self._connector.name, self._start.isoformat())
        return self._start

    def start(self) -> datetime:
        """For an output that must begin there: without it the user has to say where."""
        found = self.known()
        if found is None:
            raise ConfigError(
                f"give --since (since= from Python): {self._connector.name} does not say where its history starts"
            )
        return found


def _clip_until(until: datetime | None, now: datetime) -> datetime:
    if until is None:
        return now
    if until.tzinfo is None:
        raise ConfigError("since and until must be timezone-aware")
    if until > now:
        log.warning("until (--until) %s is in the future: syncing up to now (%s)", until.isoformat(), now.isoformat())
        return now
    return until


def sync(
    request: SyncRequest,
    *,
    registry: Registry | None = None,
    env: Mapping[str, str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SyncReport:
    """Runs `request`: see `SyncRequest`. Entries flow window by window: the engine holds the
    entries of the windows it reads ahead (`SyncRequest.concurrency`), never the whole ledger.
    `registry` (default: the installed plugins), `env` (default: `os.environ`), `progress` (called
    in this thread only) and `sleep` (how it waits; default: a clock of its own, cut short when the
    sync stops) are what it runs with."""
    started = time.monotonic()
    registry = registry or default_registry()
    env = os.environ if env is None else env
    config = request.config
    if not isinstance(config, Config):
        config = load_config(config) if config is not None else Config()
    if request.concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, not {request.concurrency}")
    for name, policy in (("on_bad_record", request.on_bad_record), ("on_missing_price", request.on_missing_price)):
        if policy not in ("fail", "skip"):
            raise ConfigError(f"{name} must be 'fail' or 'skip', not {policy!r}")
    since = request.since
    if since is not None and since.tzinfo is None:
        raise ConfigError("since and until must be timezone-aware")
    until = _clip_until(request.until, datetime.now(UTC).replace(microsecond=0))
    if since is not None and until <= since:
        raise ConfigError(f"the range is empty: until ({until.isoformat()}) is not after since ({since.isoformat()})")
    overrides = parse_assignments(request.options)
    known_targets(config, overrides, registry)
    connector = open_connector(
        registry.connector(request.source),
        base_url=request.base_url,
        account=request.account,
        config=config,
        env=env,
        overrides=overrides,
    )
    ctx = connector.context
    if not isinstance(request.config, Config | None):
        warn_if_exposed(Path(request.config), connector.settings_class, config.connectors.get(ctx.source, {}))
    outputs = _outputs(request.sinks, ctx, registry, config, env, overrides)
    skipping = "skip" in (request.on_bad_record, request.on_missing_price)
    quarantine = request.quarantine if skipping else None
    one_use_per_file(
        [(output.spec, output.target) for output in outputs],
        {f"the state file ({request.state})": request.state, f"the quarantine file ({quarantine})": quarantine},
    )
    held = identity(ctx, connector.settings)
    book = _price_book(config.books, request.prices, registry)
    chart = attrs.evolve(config.journal, named_accounts=ctx.account != "default")
    zone = book_zone(request.timezone or config.books.timezone)
    home_currency = request.home_currency or config.books.home_currency
    builder = JournalBuilder(chart, ctx.title, zone, prices=book, home_currency=home_currency)
    at_cost = lot_settings(request, config.books, home_currency)
    opening = opening_lots(request, config.books, at_cost)
    written = {output.spec: 0 for output in outputs}
    bad = Quarantine(request.quarantine) if skipping else None
    with contextlib.ExitStack() as stack:
        # a file or a postgresql:// URL; a file is resolved there, so one reached through a symlink is itself
        store = stack.enter_context(StateStore(request.state)) if request.state is not None else None
        if store:
            store.claim(output.key for output in outputs)
            if request.fresh:
                store.forget([output.key for output in outputs])
            for output in outputs:
                store.check_identity(output.key, held)
        client = stack.enter_context(
            httpx.Client(
                base_url=ctx.base_url,
                auth=connector.auth(),
                timeout=request.timeout,
                headers={"User-Agent": f"ledgerport/{__version__}"},
            )
        )
        fetcher = Fetcher(
            client, ctx.source, request.retry, sleep, deadline=4 * request.timeout, max_bytes=request.max_answer_bytes
        )
        run_info = RunInfo(
            source=ctx.source,
            source_title=ctx.title,
            account=ctx.account,
            since=since or until,
            until=until,
            home_currency=home_currency,
            prices=book,
            replace=request.fresh,
            cost_basis=at_cost,
            chart=chart,
            timezone=zone,
            set_aside=bad.set_aside if bad and request.on_missing_price == "skip" else None,
        )
        sinks = stack.enter_context(_open_sinks(outputs, run_info, store))
        history = _History(connector, fetcher)
        needs = _needs(outputs, sinks, store, since, until, history.start)
        ledgers = {o.key: Holdings(store.books(o.key) if store and sinks[o.key].resumable else None) for o in outputs}
        lanes = _lanes(outputs, sinks, store, at_cost, book, chart, ctx.title, opening)
        plan = _plan(connector, needs)
        if store:
            for output in outputs:
                if sinks[output.key].resumable:
                    store.register(output.key, held)
        skipped_records = bad if request.on_bad_record == "skip" else None
        reader = WindowReader(
            connector, ctx, fetcher, registry, skipped_records, progress, len(plan), max_pages=request.max_pages
        )
        read_ahead = stack.enter_context(ReadAhead(reader, [window for window, _ in plan], request.concurrency))
        for (window, wanting), entries in zip(plan, read_ahead, strict=True):
            targets = [(output, sinks[output.key]) for output in outputs if output.key in wanting]
            delivered = _deliver(window, entries, targets, needs, builder, lanes, ledgers)
            for output, _ in targets:
                ledgers[output.key].add(delivered[output.key])
            checkpoints = [(output, sink.commit()) for output, sink in targets]
            if bad:
                bad.commit()
            if store:
                store.commit(
                    window,
                    [
                        Committed(
                            o.key,
                            c,
                            _stamps(delivered[o.key]),
                            ledgers[o.key].state(),
                            lanes.state(o.key) if lanes and sinks[o.key].needs_transactions else None,
                        )
                        for o, c in checkpoints
                        if sinks[o.key].resumable
                    ],
                    settled=datetime.now(UTC) - request.lookback,
                )
            for output, _ in targets:
                written[output.spec] += len(delivered[output.key])
            reader.committed(window, len(entries))
            log.info(
                "%s: %s .. %s: %d entries", ctx.source, window.start.isoformat(), window.end.isoformat(), len(entries)
            )
        for sink in sinks.values():
            sink.recorded()
        reconciliation = []
        if until >= datetime.now(UTC) - request.lookback:
            reconciliation = _reconcile(connector, fetcher, outputs, ledgers, needs, history, store, sinks)
    stats = fetcher.stats
    firsts = [n.parts[0].start for n in needs.values() if n.parts]
    return SyncReport(
        source=ctx.source,
        account=ctx.account,
        since=since or (min(firsts) if firsts else None),
        until=until,
        streams=reader.stream_names,
        reconciliation=tuple(reconciliation),
        windows=len(plan),
        entries=reader.entries,
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


def _reconcile(
    connector: Connector[Any],
    fetcher: Fetcher,
    outputs: Sequence[_Output],
    ledgers: Mapping[OutputKey, Holdings],
    needs: Mapping[OutputKey, _Need],
    history: _History,
    store: StateStore | None,
    sinks: Mapping[OutputKey, Sink],
) -> list[Reconciled]:
    """The source's balances now, against each output's books: a sync reaching the present says what
    does not add up, and keeps the opening balances it had to derive for the next run."""
    reported = connector.balances(fetcher)
    if reported is None:
        return []
    rows: list[Reconciled] = []
    for output in outputs:
        books = ledgers[output.key]
        if books.from_history is None:
            covered = store.covered(output.key) if store and sinks[output.key].resumable else needs[output.key].parts
            begins = history.known()
            books.from_history = bool(covered and begins is not None and covered[0].start <= begins)
        rows += reconcile(output.spec, books, reported, connector.name)
        if store and sinks[output.key].resumable:
            store.save_books(output.key, books.state())
    return rows


def _lanes(
    outputs: Sequence[_Output],
    sinks: Mapping[OutputKey, Sink],
    store: StateStore | None,
    settings: LotSettings | None,
    prices: PriceBook,
    chart: Chart,
    source_title: str,
    opening: Sequence[OpeningLot],
) -> Lanes | None:
    """The lot books of the journal outputs, from their last committed lots; refuses an output kept otherwise."""
    states = {}
    for output in outputs:
        if not sinks[output.key].needs_transactions:
            continue
        kept = store if store is not None and sinks[output.key].resumable else None
        state = kept.lots(output.key) if kept else None
        check_kept_alike(output.key, bool(kept and kept.covered(output.key)), state, settings)
        states[output.key] = state
    if settings is None:
        return None
    return Lanes(settings, prices, chart, source_title, opening, states)


def _stamps(entries: Sequence[Entry]) -> list[tuple[str, datetime]]:
    return [(entry.entry_id, entry.timestamp) for entry in entries]


def _plan(connector: Connector[Any], needs: Mapping[OutputKey, _Need]) -> list[tuple[Window, frozenset[OutputKey]]]:
    """The windows still to fetch, each with the outputs that still need it."""
    plan: list[tuple[Window, frozenset[OutputKey]]] = []
    for segment in segments({key: need.parts for key, need in needs.items()}):
        windows = list(connector.plan_windows(segment.window.start, segment.window.end))
        check_tiling(windows, segment.window, f"{connector.name}: plan_windows")
        plan.extend((window, segment.sinks) for window in windows)  # type: ignore[misc]
    return plan


def _deliver(
    window: Window,
    entries: list[Entry],
    targets: Sequence[tuple[_Output, Sink]],
    needs: Mapping[OutputKey, _Need],
    builder: JournalBuilder,
    lanes: Lanes | None,
    ledgers: Mapping[OutputKey, Holdings],
) -> dict[OutputKey, list[Entry]]:
    """Writes the window to each target, less what an output already holds from its newest stretch.

    A journal also gets the opening balance of each holding it sees for the first time with a running
    balance (`Holdings.openings`). The transactions of one set of entries are built once, and at cost
    once per lot book: outputs that receive the same entries and whose lots stand at the same point
    share the work."""
    delivered: dict[OutputKey, list[Entry]] = {}
    booked: dict[OutputKey, tuple[tuple[str, ...] | None, list[Entry]]] = {}
    groups: dict[tuple[str, ...] | None, list[OutputKey]] = {}
    for output, sink in targets:
        second = needs[output.key].unsettled
        mine = entries
        if second is not None and window.start < second.until and second.since < window.end:
            mine = [e for e in entries if e.entry_id not in second.entry_ids]
        delivered[output.key] = mine
        if sink.needs_transactions:
            openings = ledgers[output.key].openings(mine)
            books = sorted([*openings, *mine], key=lambda e: (e.timestamp, e.entry_id)) if openings else mine
            books = with_counterparts(books)
            group = None if books is entries else tuple(e.entry_id for e in books)
            booked[output.key] = (group, books)
            groups.setdefault(group, []).append(output.key)
    if lanes:
        lanes.split(groups.values())
    journals: dict[tuple[str, ...] | None, list[Transaction]] = {}
    costed: dict[tuple[OutputKey, ...], list[Transaction]] = {}
    for output, sink in targets:
        sink.write_entries(delivered[output.key])
        if not sink.needs_transactions:
            continue
        group, books = booked[output.key]
        if group not in journals:
            journals[group] = builder.build(books)
        if lanes is None:
            sink.write_transactions(journals[group])
            continue
        sharing = lanes.sharing(output.key, groups[group])
        if sharing not in costed:
            costed[sharing] = lanes.cost(sharing, books, journals[group])
        sink.write_transactions(costed[sharing])
        if type(sink).write_lots is not Sink.write_lots:  # listing every open lot costs: only for who keeps them
            sink.write_lots(lanes.open_lots(output.key))
    return delivered
