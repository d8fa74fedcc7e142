"""What a sink is: where the entries of one run go."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

import attrs

from ..books.chart import Chart
from ..books.lots import LotSettings, OpenLot
from ..books.prices import PriceBook
from ..model.entry import Entry
from .connector import NoSettings

if TYPE_CHECKING:
    from ..books import Transaction

__all__ = ["RunInfo", "Sink", "SinkType"]


@attrs.frozen(kw_only=True)
class RunInfo:
    """What a sink may want to know about the run it is opened for.

    A sink that writes values in money converts into `home_currency` with `prices`; the engine fills
    the book before each window reaches the sinks. `replace` is set when the user asked to write the
    outputs anew (`--fresh`): only then may a sink replace an existing file it holds no checkpoint for.

    `cost_basis` is set when the books are kept at cost (`--cost-basis`): the transactions a journal
    sink receives are then already costed by the core (`Posting.cost`, `gain`, `lots`, and a gain
    posting to the chart's `gains` account), and `write_lots` receives the open lots after each
    window. `chart` is the run's chart of accounts, for a sink that posts to one of its accounts
    itself (a period-end revaluation). `timezone` is the zone the books are dated in (None: UTC);
    `Transaction.date` already follows it. `set_aside` is set when the user allowed a sink that
    values at market to leave out a transaction it has no price for (`--on-missing-price skip`):
    call it with the sink's name, the transaction and the reason instead of raising.
    """

    source: str
    source_title: str
    account: str
    since: datetime
    until: datetime
    home_currency: str = "USD"
    prices: PriceBook = attrs.Factory(PriceBook)
    replace: bool = False
    cost_basis: LotSettings | None = None
    chart: Chart = attrs.Factory(Chart)
    timezone: tzinfo | None = None
    set_aside: Callable[[str, Transaction, str], None] | None = None


class Sink(abc.ABC):
    """An output open for one run.

    The engine calls `write_entries` once per window with that window's entries, de-duplicated
    and sorted by (timestamp, entry id), then `commit`, which makes them durable and returns a
    JSON-able checkpoint. The engine records the checkpoint in its state; when the sink is opened
    again after a crash it gets the last recorded checkpoint and must drop anything written after
    it. `close` is called exactly once, after success or failure alike.

    A sink that cannot go back to a checkpoint (standard output) sets `resumable = False`: it then
    receives the whole range on every run and no state is kept for it. A journal sink sets
    `needs_transactions = True` and gets each window's balanced transactions as well.
    """

    resumable: bool = True
    needs_transactions: bool = False

    def write_entries(self, entries: Sequence[Entry]) -> None:
        """Receives each window's entries; sinks that only write transactions leave it alone."""

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        """Receives each window's transactions when `needs_transactions` is set."""

    def write_lots(self, lots: Sequence[OpenLot]) -> None:
        """With cost basis on, receives the open lots after each window (a sink that keeps its own
        table of them replaces it); called after `write_transactions`, before `commit`."""

    @abc.abstractmethod
    def commit(self) -> Any: ...

    def recorded(self) -> None:
        """Called once the state has recorded every commit of the run, before `close`: what only a crash
        between a commit and its record would need (a file sink's pending record) can go."""

    @abc.abstractmethod
    def close(self) -> None: ...


@attrs.frozen(kw_only=True)
class SinkType:
    """A kind of output, registered by a plugin through `register_sinks`.

    `open(target, run, settings, checkpoint)` returns a `Sink`; `target` is what follows `NAME:` in
    `--sink`, `checkpoint` what its last committed run returned from `commit` (None: start afresh).
    `demo_target` is the target `ledgerport demo` gives the sink, `{path}` standing for the demo's
    output path of one source without extension (`"{path}.csv"`); a sink without one is left out.
    `checks` are the commands that validate such a file with the format's own tools, `{path}`
    standing for the file (`"bean-check {path}"`); the demo prints them.
    """

    name: str
    description: str
    open: Callable[[str, RunInfo, Any, Any], Sink]
    settings: type = NoSettings
    demo_target: str | None = None
    checks: tuple[str, ...] = ()
