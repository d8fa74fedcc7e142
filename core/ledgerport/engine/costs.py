"""Books at cost for a run's outputs: which lot settings apply, and one lot book per point in time.

Each journal output keeps its lots in the state, committed with its window, so incremental and
resumed runs continue with the same lots. Outputs whose lots stand at the same point (all outputs
of a run that began together) share one `CostBooks`, so the lot engine runs once per window, not
once per sink; an output that takes another path through time gets its own copy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..books import Chart, CostBooks, LotSettings, OpeningLot, OpenLot, PriceBook, read_opening_lots
from ..books.transactions import Transaction
from ..errors import ConfigError
from ..model.entry import Entry
from .config import Books
from .request import SyncRequest
from .state import OutputKey

__all__ = ["Lanes", "check_kept_alike", "lot_settings", "opening_lots"]

log = logging.getLogger(__name__)


def lot_settings(request: SyncRequest, books: Books, home_currency: str) -> LotSettings | None:
    """The request's choices over the config's; None when the books are kept in quantities only."""
    method = request.cost_basis or books.cost_basis
    if method == "none":
        return None
    return LotSettings(
        method=method,  # type: ignore[arg-type]  # LotSettings checks the value and names the choices
        pool=request.lot_pool or books.lot_pool,  # type: ignore[arg-type]
        fees=request.fees or books.fees,  # type: ignore[arg-type]
        on_missing_lots=request.on_missing_lots or books.on_missing_lots,  # type: ignore[arg-type]
        home_currency=home_currency,
    )


def opening_lots(request: SyncRequest, books: Books, settings: LotSettings | None) -> list[OpeningLot]:
    path = request.opening_lots or books.opening_lots
    if path is None:
        return []
    if settings is None:
        raise ConfigError(f"opening lots {path} were given, but the books are not kept at cost: add --cost-basis")
    return read_opening_lots(Path(path), settings.home_currency, settings.places)


def check_kept_alike(
    key: OutputKey, covered: bool, state: Mapping[str, Any] | None, settings: LotSettings | None
) -> None:
    """An output written in quantities cannot go on at cost (its lots are unknown), nor the reverse."""
    if not covered:
        return
    if settings is not None and state is None:
        raise ConfigError(
            f"{key.describe()} was written without cost basis; write it anew with --fresh to keep it at cost"
        )
    if settings is None and state is not None:
        raise ConfigError(
            f"{key.describe()} is kept at cost ({state.get('method')}, {state.get('pool')} pool); give "
            f"--cost-basis {state.get('method')} (or [books] cost_basis), or write it anew with --fresh"
        )


class Lanes:
    """The lot books of a run's journal outputs, shared while their lots stand at the same point."""

    def __init__(
        self,
        settings: LotSettings,
        prices: PriceBook,
        chart: Chart,
        source_title: str,
        opening: Sequence[OpeningLot],
        states: Mapping[OutputKey, Mapping[str, Any] | None],
    ) -> None:
        def make(state: Mapping[str, Any] | None) -> CostBooks:
            return CostBooks(
                settings, prices, chart, source_title, opening=opening if state is None else (), state=state
            )

        self._make = make
        shared: dict[str, CostBooks] = {}
        self._books: dict[OutputKey, CostBooks] = {}
        for key, state in states.items():
            point = json.dumps(state, sort_keys=True)
            if point not in shared:
                shared[point] = self._make(state)
            self._books[key] = shared[point]
        self._open: dict[CostBooks, list[OpenLot]] = {}
        self._states: dict[CostBooks, dict[str, Any]] = {}

    def split(self, together: Iterable[Sequence[OutputKey]]) -> None:
        """Outputs about to take the same step stay together; the rest of a shared book go on with a copy."""
        for group in together:
            for books in {id(self._books[k]): self._books[k] for k in group}.values():
                members = [k for k, b in self._books.items() if b is books]
                leaving = [k for k in members if k not in group]
                if leaving:
                    copy = self._make(books.state())
                    for key in leaving:
                        self._books[key] = copy

    def sharing(self, key: OutputKey, group: Sequence[OutputKey]) -> tuple[OutputKey, ...]:
        """The outputs of `group` that share `key`'s lot book (after `split`, the whole step's company)."""
        books = self._books[key]
        return tuple(k for k in group if self._books[k] is books)

    def cost(
        self, keys: Sequence[OutputKey], entries: Sequence[Entry], transactions: Sequence[Transaction]
    ) -> list[Transaction]:
        """The transactions at cost for outputs `keys`, which share one book (see `split`)."""
        books = self._books[keys[0]]
        costed = books.cost(entries, transactions)
        self._open.pop(books, None)
        self._states.pop(books, None)
        for message in books.lots.warnings:  # each once: the lot book keeps what it warned of in its state
            log.warning("cost basis: %s", message)
        books.lots.warnings.clear()
        return costed

    def open_lots(self, key: OutputKey) -> list[OpenLot]:
        """The open lots of `key`'s book now, listed once per step however many sinks ask."""
        books = self._books[key]
        if books not in self._open:
            self._open[books] = books.open_lots()
        return self._open[books]

    def state(self, key: OutputKey) -> dict[str, Any]:
        """What `key`'s lots are to the state file, made once per lot book and step."""
        books = self._books[key]
        if books not in self._states:
            self._states[books] = books.state()
        return self._states[books]
