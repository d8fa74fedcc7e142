"""Reading one window: every stream of the connector, slice by slice and page by page, merged into one list."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
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

__all__ = ["DEFAULT_MAX_PAGES", "Progress", "WindowReader", "check_tiling"]

log = logging.getLogger(__name__)

_ASTRAY_SLACK = 2
"""Entries outside its window a window may bring without failing the sync, if it holds more than that."""

DEFAULT_MAX_PAGES = 100_000
"""Pages one window may take: far beyond any real ledger's window (a million entries or more), and
the end of a source whose pages always bring new ids."""


@attrs.frozen(kw_only=True)
class Progress:
    """A snapshot for a progress display, sent after every page and every committed window."""

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
        self._pages = 0  # pages read in the current window
        self._astray: list[Entry] = []  # the current window's entries whose time lies outside it
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
        """Every entry the window owns, once each, from every stream, sorted by (time, id), processed.

        An id kept in an earlier window of this run is not kept again: a source that returns one
        entry in several windows (under another time) must not have it written twice.
        """
        first: dict[str, tuple[str, Entry]] = {}
        kept: list[Entry] = []
        self._pages, self._astray = 0, []
        for stream in self.streams():
            slices = list(stream.slices(window))
            check_tiling(slices, window, f"{self.ctx.source}: stream {stream.name}: slices")
            before, pages = len(kept), self._pages
            for part in slices:
                self._read_slice(stream, part, window, first, kept)
            log.debug(
                "%s: window %s .. %s: stream %s: %d entries in %d pages (%d slices)",
                self.ctx.source,
                window.start.isoformat(),
                window.end.isoformat(),
                stream.name,
                len(kept) - before,
                self._pages - pages,
                len(slices),
            )
        self._check_astray(window, kept)
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
            len(self.streams()),
            self._pages,
        )
        kept.sort(key=_order)
        return self.registry.process_entries(self.ctx, kept)

    def _read_slice(
        self, stream: Stream, part: Window, window: Window, first: dict[str, tuple[str, Entry]], kept: list[Entry]
    ) -> None:
        """Pages of one slice until the stream says it is done or a page brings nothing new."""
        request: Any = stream.first_request(part)
        while request is not None:
            self._pages += 1
            if self._pages > self.max_pages:
                raise SourceError(
                    f"{self.ctx.source}: {window.start.isoformat()} .. {window.end.isoformat()} still brings new "
                    f"entries after {self.max_pages:,} pages (stream {stream.name}): a source that never ends "
                    "its pages; nothing of this window is written"
                )
            page = self.fetcher.fetch(request, stream.read_page)
            fresh = False
            for record in page.records:
                for entry in self._map(stream, record):
                    seen = first.get(entry.entry_id)
                    if seen is not None:
                        self._same(entry, *seen, stream)
                        continue
                    first[entry.entry_id] = (stream.name, entry)
                    fresh = True
                    if window.owns(entry.timestamp):
                        kept.append(entry)
                    elif entry.timestamp not in (window.start, window.end):  # not a repeat on an inclusive bound
                        self._astray.append(entry)
            self.report(window, stream.name, len(kept))
            if not fresh:
                break
            request = stream.next_request(part, page)

    def _check_astray(self, window: Window, kept: Sequence[Entry]) -> None:
        """Entries the source returned for this window that lie outside it are not this window's to
        write; a few are a source's slack, more than the window holds mean it answers for another range
        or in another unit of time (seconds for milliseconds), and the sync must not go on without them."""
        if not self._astray:
            return
        example = self._astray[0]
        what = (
            f"{self.ctx.source}: {len(self._astray)} entries returned for {window.start.isoformat()} .. "
            f"{window.end.isoformat()} lie outside it (e.g. {example.entry_id!r} at {example.timestamp.isoformat()})"
        )
        if len(self._astray) > max(len(kept), _ASTRAY_SLACK):
            raise SourceError(f"{what}, more than it holds: the source answers for another range or in another unit")
        log.warning("%s; they are left to the window they belong to", what)

    def _same(self, entry: Entry, stream_name: str, earlier: Entry, stream: Stream) -> None:
        """A repeated id is a repeat (overlapping pages, a boundary) only if it repeats the same entry."""
        if stream_name != stream.name:
            raise PluginError(
                f"{self.ctx.source}: entry id {entry.entry_id!r} comes from both stream {stream_name} and "
                f"stream {stream.name}: ids must be unique across a connector's streams"
            )
        if earlier != entry:
            raise SourceError(
                f"{self.ctx.source}: stream {stream.name} gave entry id {entry.entry_id!r} twice with different "
                f"content: {_describe(earlier)}, then {_describe(entry)}; which one is true cannot be told, so "
                "nothing of this window is written"
            )

    def _map(self, stream: Stream, record: Any) -> Sequence[Entry]:
        try:
            return stream.map_record(record)
        except BadRecordError as error:
            if self.quarantine is None:
                raise
            log.warning("%s (skipped, see %s)", error, self.quarantine.path)
            self.quarantine.add(error, self.ctx.account, record)
            return ()
