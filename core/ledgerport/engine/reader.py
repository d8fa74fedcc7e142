"""Reading windows: every stream of the connector, slice by slice and page by page, merged into one list.

A window is read in two steps. Fetching its pages (`WindowReader.fetch_stream`, one stream at a time)
touches nothing of the sync's own, so `ReadAhead` runs it in threads, for several windows and streams
at once, ahead of the window being written. Accounting for a window (`WindowReader.account`: ids
across streams and across windows, bad records into the quarantine, the `process_entries` hooks, the
counts and the progress) happens in the sync's thread, strictly in the windows' order, so what is
written and committed is what a sync reading one page at a time would write.
"""

from __future__ import annotations

import collections
import contextvars
import copy
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import Any

import attrs

from ..errors import BadRecordError, PluginError, SourceError
from ..model.entry import Entry
from ..model.money import format_decimal
from ..sdk.connector import Connector, SyncContext
from ..sdk.paging import Window
from ..sdk.stream import Stream
from .fetch import Fetcher
from .plugins import Registry
from .quarantine import Quarantine

__all__ = ["DEFAULT_MAX_PAGES", "Progress", "ReadAhead", "WindowReader", "check_tiling"]

log = logging.getLogger(__name__)

_ASTRAY_SLACK = 2
"""Entries outside its window a window may bring without failing the sync, if it holds more than that."""

DEFAULT_MAX_PAGES = 100_000
"""Pages one window may take: far beyond any real ledger's window (a million entries or more), and
the end of a source whose pages always bring new ids."""


@attrs.frozen(kw_only=True)
class Progress:
    """A snapshot for a progress display, sent after every page and every committed window, always
    from the thread that called `sync`."""

    windows_done: int
    windows_total: int
    window: Window
    stream: str
    entries: int
    requests: int
    retries: int
    rate_limit_waits: int


def check_tiling(windows: Sequence[Window], span: Window, what: str) -> None:
    """Exactly once rests on windows that tile the range; a plan that does not is a plugin bug."""
    edge = span.start
    for window in windows:
        if window.start != edge or window.end <= window.start:
            raise PluginError(f"{what} returned {window}, which does not continue from {edge}")
        edge = window.end
    if edge != span.end:
        raise PluginError(f"{what} stops at {edge}, not at the end of the range {span.end}")


def _order(entry: Entry) -> tuple[datetime, str]:
    return (entry.timestamp, entry.entry_id)


def _describe(entry: Entry) -> str:
    fee = f" (fee {format_decimal(entry.fee)})" if entry.fee else ""
    return f"{format_decimal(entry.amount)} {entry.asset}{fee} {entry.kind.value} at {entry.timestamp.isoformat()}"


@attrs.define
class _StreamRead:
    """What one stream's pages brought for one window, before the window is accounted for."""

    stream: str
    slices: int
    first: dict[str, Entry] = attrs.Factory(dict)  # each id it gave, the first time, in the order given
    kept: list[Entry] = attrs.Factory(list)
    astray: list[Entry] = attrs.Factory(list)
    bad: list[tuple[BadRecordError, Any]] = attrs.Factory(list)
    pages: int = 0


class _PageCount:
    """The pages one window has taken, counted across its streams fetched at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def take(self) -> int:
        with self._lock:
            self._count += 1
            return self._count


class WindowReader:
    """Reads windows for one sync; asks the connector for its streams when the first window is read."""

    def __init__(
        self,
        connector: Connector[Any],
        ctx: SyncContext,
        fetcher: Fetcher,
        registry: Registry,
        quarantine: Quarantine | None,
        progress: Callable[[Progress], None] | None,
        windows_total: int,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self.connector = connector
        self.ctx = ctx
        self.fetcher = fetcher
        self.registry = registry
        self.quarantine = quarantine
        self.progress = progress
        self.windows_total = windows_total
        self.max_pages = max_pages
        self.windows_done = 0
        self.entries = 0
        self._kept: set[str] = set()  # the ids kept in this run's windows: memory grows by one short string each
        self._streams: Sequence[Stream] | None = None

    @property
    def stream_names(self) -> tuple[str, ...]:
        return tuple(stream.name for stream in self._streams or ())

    def streams(self) -> Sequence[Stream]:
        if self._streams is None:
            streams = list(self.connector.streams(self.fetcher))
            names = [stream.name for stream in streams]
            if len(set(names)) < len(names):
                raise PluginError(f"{self.ctx.source}: two streams share a name: {', '.join(names)}")
            log.info("%s: reading %s", self.ctx.source, ", ".join(names) or "no stream")
            self._streams = streams
        return self._streams

    def report(self, window: Window, stream: str, pending: int = 0) -> None:
        if self.progress is None:
            return
        stats = self.fetcher.stats
        self.progress(
            Progress(
                windows_done=self.windows_done,
                windows_total=self.windows_total,
                window=window,
                stream=stream,
                entries=self.entries + pending,
                requests=stats.requests,
                retries=stats.retries,
                rate_limit_waits=stats.rate_limit_waits + stats.paced,
            )
        )

    def committed(self, window: Window, entries: int) -> None:
        self.entries += entries
        self.windows_done += 1
        self.report(window, "")

    def read(self, window: Window) -> list[Entry]:
        """`window` read in this thread, one stream after the other: see `account`."""
        pages = _PageCount()
        found: list[_StreamRead] = []
        for stream in self.streams():
            before = sum(len(read.kept) for read in found)
            slices = self.slices(window, stream)

            def report(kept: int, name: str = stream.name, before: int = before) -> None:
                self.report(window, name, before + kept)

            found.append(self.fetch_stream(window, stream, slices, pages, report, order=0))
        return self.account(window, found)

    def slices(self, window: Window, stream: Stream) -> list[Window]:
        """Asked of the stream itself, in the sync's thread and the windows' order, since a stream may
        remember what it has said (KuCoin warns once of a range older than it serves)."""
        slices = list(stream.slices(window))
        check_tiling(slices, window, f"{self.ctx.source}: stream {stream.name}: slices")
        return slices

    def fetch_stream(
        self,
        window: Window,
        stream: Stream,
        slices: Sequence[Window],
        pages: _PageCount,
        on_page: Callable[[int], None],
        *,
        order: int,
    ) -> _StreamRead:
        """The pages of one stream for one window, in any thread; `on_page` gets the count of entries
        kept so far after every page, `order` is the window's place in the sync (`Fetcher.fetch`).

        It reads through a copy of the stream: a stream keeps the state of the window it is reading
        (its cursor, the ids of its pages), and other windows are read by it at the same time.
        """
        stream = copy.copy(stream)
        found = _StreamRead(stream.name, len(slices))
        for part in slices:
            self._read_slice(stream, part, window, pages, found, on_page, order)
        return found

    def account(self, window: Window, found: Sequence[_StreamRead]) -> list[Entry]:
        """Every entry the window owns, once each, from every stream, sorted by (time, id), processed.

        Called in the sync's thread, in the windows' order, with what `fetch_stream` brought from each
        stream, in the order of the streams. An id kept in an earlier window of this run is not kept
        again: a source that returns one entry in several windows (under another time) must not have it
        written twice.
        """
        origin: dict[str, str] = {}
        kept: list[Entry] = []
        astray: list[Entry] = []
        for read in found:
            for entry_id in read.first:
                earlier = origin.setdefault(entry_id, read.stream)
                if earlier != read.stream:
                    raise PluginError(
                        f"{self.ctx.source}: entry id {entry_id!r} comes from both stream {earlier} and "
                        f"stream {read.stream}: ids must be unique across a connector's streams"
                    )
            for error, record in read.bad:
                self._set_aside(error, record)
            kept += read.kept
            astray += read.astray
            log.debug(
                "%s: window %s .. %s: stream %s: %d entries in %d pages (%d slices)",
                self.ctx.source,
                window.start.isoformat(),
                window.end.isoformat(),
                read.stream,
                len(read.kept),
                read.pages,
                read.slices,
            )
        self._check_astray(window, kept, astray)
        again = [entry.entry_id for entry in kept if entry.entry_id in self._kept]
        if again:
            log.warning(
                "%s: %d entries of %s .. %s were already written from an earlier window of this run and are not "
                "written again: %s",
                self.ctx.source,
                len(again),
                window.start.isoformat(),
                window.end.isoformat(),
                ", ".join(map(repr, again[:5])) + (", ..." if len(again) > 5 else ""),
            )
            kept = [entry for entry in kept if entry.entry_id not in self._kept]
        self._kept.update(entry.entry_id for entry in kept)
        log.debug(
            "%s: window %s .. %s: %d entries from %d streams, %d pages",
            self.ctx.source,
            window.start.isoformat(),
            window.end.isoformat(),
            len(kept),
            len(found),
            sum(read.pages for read in found),
        )
        kept.sort(key=_order)
        return self.registry.process_entries(self.ctx, kept)

    def _read_slice(
        self,
        stream: Stream,
        part: Window,
        window: Window,
        pages: _PageCount,
        found: _StreamRead,
        on_page: Callable[[int], None],
        order: int,
    ) -> None:
        """Pages of one slice until the stream says it is done or a page brings nothing new."""
        request: Any = stream.first_request(part)
        while request is not None:
            if pages.take() > self.max_pages:
                raise SourceError(
                    f"{self.ctx.source}: {window.start.isoformat()} .. {window.end.isoformat()} still brings new "
                    f"entries after {self.max_pages:,} pages (stream {stream.name}): a source that never ends "
                    "its pages; nothing of this window is written"
                )
            page = self.fetcher.fetch(request, stream.read_page, order=order)
            found.pages += 1
            fresh = False
            for record in page.records:
                for entry in self._map(stream, record, found):
                    seen = found.first.get(entry.entry_id)
                    if seen is not None:
                        self._same(entry, seen, stream)
                        continue
                    found.first[entry.entry_id] = entry
                    fresh = True
                    if window.owns(entry.timestamp):
                        found.kept.append(entry)
                    elif entry.timestamp not in (window.start, window.end):  # not a repeat on an inclusive bound
                        found.astray.append(entry)
            on_page(len(found.kept))
            if not fresh:
                break
            request = stream.next_request(part, page)

    def _check_astray(self, window: Window, kept: Sequence[Entry], astray: Sequence[Entry]) -> None:
        """Entries the source returned for this window that lie outside it are not this window's to
        write; a few are a source's slack, more than the window holds mean it answers for another range
        or in another unit of time (seconds for milliseconds), and the sync must not go on without them."""
        if not astray:
            return
        example = astray[0]
        what = (
            f"{self.ctx.source}: {len(astray)} entries returned for {window.start.isoformat()} .. "
            f"{window.end.isoformat()} lie outside it (e.g. {example.entry_id!r} at {example.timestamp.isoformat()})"
        )
        if len(astray) > max(len(kept), _ASTRAY_SLACK):
            raise SourceError(f"{what}, more than it holds: the source answers for another range or in another unit")
        log.warning("%s; they are left to the window they belong to", what)

    def _same(self, entry: Entry, earlier: Entry, stream: Stream) -> None:
        """A repeated id is a repeat (overlapping pages, a boundary) only if it repeats the same entry."""
        if earlier != entry:
            raise SourceError(
                f"{self.ctx.source}: stream {stream.name} gave entry id {entry.entry_id!r} twice with different "
                f"content: {_describe(earlier)}, then {_describe(entry)}; which one is true cannot be told, so "
                "nothing of this window is written"
            )

    def _map(self, stream: Stream, record: Any, found: _StreamRead) -> Sequence[Entry]:
        """A bad record is kept aside with the window's pages when the run skips them: the quarantine
        is written in the windows' order, by `account`."""
        try:
            return stream.map_record(record)
        except BadRecordError as error:
            if self.quarantine is None:
                raise
            found.bad.append((error, record))
            return ()

    def _set_aside(self, error: BadRecordError, record: Any) -> None:
        assert self.quarantine is not None  # only a run with a quarantine keeps bad records aside
        log.warning("%s (skipped, see %s)", error, self.quarantine.path)
        self.quarantine.add(error, self.ctx.account, record)


@attrs.frozen
class _PageRead:
    """A page read ahead, for the progress display: the sync's thread reports it."""

    window: int
    stream: int
    kept: int


class ReadAhead:
    """Fetches `windows` in up to `concurrency` threads, at most `concurrency` windows ahead of the one
    being written, and hands each one over in order, accounted for (`WindowReader.account`).

    The first window's first page is read alone: it is where wrong credentials, a login and a pool's
    first budget show, and a failure there must cost one request, not one per thread. Each fetch runs
    in a copy of the calling thread's context (`contextvars`), so its log lines say what the caller's do.

    Use it with `with`: leaving early (an error in a window, one raised by a sink, Ctrl-C) cancels what
    has not started, lets no thread send another request, and waits for those in flight to be
    answered, so no thread outlives the sync. Windows after the one that failed are never handed over,
    so nothing of them is written or committed.
    """

    def __init__(self, reader: WindowReader, windows: Sequence[Window], concurrency: int) -> None:
        self._reader = reader
        self._windows = windows
        self._concurrency = concurrency
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ledgerport-read")
        self._events: queue.Queue[_PageRead | None] = queue.Queue()  # None: a stream's read ended
        self._ahead: collections.deque[list[Future[_StreamRead]]] = collections.deque()  # not yet handed over
        self._pending: dict[tuple[int, int], int] = {}  # entries kept so far per (window, stream) read ahead
        self._submitted = 0
        self._handed = 0
        self._answered = False  # a page has been read: the others may follow

    def __enter__(self) -> Iterator[list[Entry]]:
        return self._read()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if any(not task.done() for tasks in self._ahead for task in tasks):
            self._reader.fetcher.cancel()
        self._threads.shutdown(wait=True, cancel_futures=True)

    def _read(self) -> Iterator[list[Entry]]:
        for index, window in enumerate(self._windows):
            self._top_up()
            found = []
            for task in self._ahead[0]:  # in the streams' order: the first to fail is the error
                while not task.done():
                    self._show(self._events.get())
                    self._top_up()
                found.append(task.result())
            self._ahead.popleft()
            self._handed = index + 1
            self._pending = {key: kept for key, kept in self._pending.items() if key[0] > index}
            yield self._reader.account(window, found)

    def _top_up(self) -> None:
        room = self._concurrency if self._answered else 1
        while self._submitted < len(self._windows) and len(self._ahead) < room:
            self._ahead.append(self._submit(self._submitted))
            self._submitted += 1

    def _submit(self, index: int) -> list[Future[_StreamRead]]:
        window, pages = self._windows[index], _PageCount()
        tasks: list[Future[_StreamRead]] = []
        for number, stream in enumerate(self._reader.streams()):
            try:
                slices = self._reader.slices(window, stream)
            except Exception as exc:  # the window's error, raised in its turn, once the windows before it are written
                failed: Future[_StreamRead] = Future()
                failed.set_exception(exc)
                tasks.append(failed)
                break

            def on_page(kept: int, number: int = number) -> None:
                self._events.put(_PageRead(index, number, kept))

            task = self._threads.submit(
                contextvars.copy_context().run,
                self._reader.fetch_stream,
                window,
                stream,
                slices,
                pages,
                on_page,
                order=index,
            )
            task.add_done_callback(self._wake)
            tasks.append(task)
        return tasks

    def _wake(self, _: Future[_StreamRead]) -> None:
        self._events.put(None)

    def _show(self, event: _PageRead | None) -> None:
        if event is None:
            return
        self._answered = True
        if event.window < self._handed:
            return
        self._pending[event.window, event.stream] = event.kept
        self._reader.report(self._windows[event.window], self._stream_name(event.stream), sum(self._pending.values()))

    def _stream_name(self, number: int) -> str:
        return self._reader.stream_names[number]
