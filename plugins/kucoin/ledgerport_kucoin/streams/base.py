"""What every KuCoin ledger stream does alike: the padded time bounds it asks for, the retention warning,
the count of rows a ledger returned outside the window asked for, and a page that does not move on.

Every ledger is asked for a window with `paging.bounds`, padded by a millisecond since KuCoin does not
say whether its bounds are inclusive. A row outside even the padded
bounds is the source not honouring them: it is counted and warned about, never booked there (the
engine books an entry only in the window its time falls in).

A page after a window's first that brings only rows of earlier pages is a server that ignored the page
number or cursor (`cursor`): the engine would take it for the window's end and keep what it had, so the
stream stops the sync naming the window instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ledgerport import PageRequest, SourceError, Stream, Window

from ..paging import bounds
from ..settings import Settings

__all__ = ["KucoinStream"]

log = logging.getLogger("ledgerport.kucoin")


class KucoinStream(Stream):
    """A KuCoin ledger: knows its settings and account, how far back it is served, and its rows' times.

    `warned` holds the unknown business types already warned about in this sync, so each is warned once.
    """

    retention: ClassVar[timedelta]
    """How far back the ledger is served, as documented; a window older than that is warned about once."""
    cursor: ClassVar[str] = "lastId"
    """The request parameter that moves to the next page."""

    def __init__(self, settings: Settings, account: str, now: datetime | None = None) -> None:
        self.settings = settings
        self.account = account
        self.warned: set[str] = set()
        self.outside = 0
        self._now = now
        self._retention_told = False
        self._window: Window | None = None
        self._keys: set[str] = set()
        self._pages = 0

    def served_from(self) -> datetime:
        return (self._now or datetime.now(UTC)) - self.retention

    def slices(self, window: Window) -> Sequence[Window]:
        served = self.served_from()
        if window.start < served and not self._retention_told:
            self._retention_told = True
            log.warning(
                "kucoin: stream %s serves only from about %s (%s back); the range from %s reaches further, "
                "so older entries of this ledger may be missing",
                self.name,
                served.isoformat(timespec="seconds"),
                _span(self.retention),
                window.start.isoformat(),
            )
        return [window]

    def begin(self, window: Window) -> None:
        """`window`'s first page is about to be asked: the rows of the window before are forgotten."""
        self._window, self._keys, self._pages = window, set(), 0

    def row_key(self, record: Any) -> str | None:
        """What tells one row of this ledger from another, or None for a row without it."""
        value = record.get("id") if isinstance(record, Mapping) else None
        return None if value is None else str(value)

    def check_moved(self, request: PageRequest, records: Sequence[Any]) -> None:
        """Raises when this page, not the window's first, brings rows and only rows of earlier pages."""
        self._pages += 1
        keys = {key for key in map(self.row_key, records) if key is not None}
        if self._pages > 1 and keys and keys <= self._keys and self._window is not None:
            asked = dict(request.params).get(self.cursor)
            raise SourceError(
                f"kucoin: stream {self.name}, window {self._window.start.isoformat()} .. "
                f"{self._window.end.isoformat()}: page {self._pages} brings only rows of earlier pages "
                f"({self.cursor}={asked} was not followed): the window cannot be read whole, so nothing of it is "
                "written (run the sync again; if it persists, report it to KuCoin)"
            )
        self._keys |= keys

    def row_ms(self, record: Mapping[str, Any]) -> int | None:
        """The row's time in epoch ms, or None when it has none readable (its mapping names that)."""
        return None

    def count_outside(self, window: Window, records: Sequence[Mapping[str, Any]]) -> None:
        """Counts rows outside the padded bounds asked for `window`, and says so once per page."""
        lo, hi = bounds(window)
        outside = 0
        for record in records:
            ms = self.row_ms(record)
            if ms is not None and not lo <= ms <= hi:
                outside += 1
        if outside:
            self.outside += outside
            log.warning(
                "kucoin: stream %s returned %d rows outside the window asked for (%s .. %s); "
                "each is booked only in the window its time falls in",
                self.name,
                outside,
                window.start.isoformat(),
                window.end.isoformat(),
            )


def _span(delta: timedelta) -> str:
    return f"{delta.days} days" if delta.days >= 2 else f"{int(delta.total_seconds() // 3600)} h"
