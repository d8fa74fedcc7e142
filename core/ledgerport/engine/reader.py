"""Reading one window: every stream of the connector, slice by slice and page by page, merged into one list."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

from ..errors import BadRecordError, PluginError
from ..model.entry import Entry
from ..sdk.connector import Connector, SyncContext
from ..sdk.paging import Window
from ..sdk.stream import Stream
from .fetch import Fetcher
from .plugins import Registry
from .quarantine import Quarantine

__all__ = ["Progress", "WindowReader", "check_tiling"]

log = logging.getLogger(__name__)


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
    ) -> None:
        self.connector = connector
        self.ctx = ctx
        self.fetcher = fetcher
        self.registry = registry
        self.quarantine = quarantine
        self.progress = progress
        self.windows_total = windows_total
        self.windows_done = 0
        self.entries = 0
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
        """Every entry the window owns, once each, from every stream, sorted by (time, id), processed."""
        owner: dict[str, str] = {}
        kept: list[Entry] = []
        for stream in self.streams():
            slices = list(stream.slices(window))
            check_tiling(slices, window, f"{self.ctx.source}: stream {stream.name}: slices")
            for part in slices:
                self._read_slice(stream, part, window, owner, kept)
        kept.sort(key=_order)
        return self.registry.process_entries(self.ctx, kept)

    def _read_slice(
        self, stream: Stream, part: Window, window: Window, owner: dict[str, str], kept: list[Entry]
    ) -> None:
        """Pages of one slice until the stream says it is done or a page brings nothing new."""
        request: Any = stream.first_request(part)
        while request is not None:
            page = self.fetcher.fetch(request, stream.read_page)
            fresh = False
            for record in page.records:
                for entry in self._map(stream, record):
                    seen = owner.get(entry.entry_id)
                    if seen is not None:
                        if seen != stream.name:
                            raise PluginError(
                                f"{self.ctx.source}: entry id {entry.entry_id!r} comes from both stream {seen} and "
                                f"stream {stream.name}: ids must be unique across a connector's streams"
                            )
                        continue
                    owner[entry.entry_id] = stream.name
                    fresh = True
                    if window.owns(entry.timestamp):
                        kept.append(entry)
            self.report(window, stream.name, len(kept))
            if not fresh:
                break
            request = stream.next_request(part, page)

    def _map(self, stream: Stream, record: Any) -> Sequence[Entry]:
        try:
            return stream.map_record(record)
        except BadRecordError as error:
            if self.quarantine is None:
                raise
            log.warning("%s (skipped, see %s)", error, self.quarantine.path)
            self.quarantine.add(error, self.ctx.account, record)
            return ()
