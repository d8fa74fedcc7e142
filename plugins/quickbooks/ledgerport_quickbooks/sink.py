"""What both QuickBooks files share: an append-only file, journal numbers and valuation across runs."""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence
from typing import Any

import attrs

from ledgerport import FileSink, RunInfo, Transaction

from .numbers import JournalNumbers
from .valuation import JournalEntry, journal_entry

__all__ = ["QuickBooksSink", "Settings"]

log = logging.getLogger(__name__)


@attrs.frozen
class Settings:
    """`[sinks.iif]` / `[sinks.qbo]`: where the cents that rounding leaves over are booked."""

    rounding_account: str = "Expenses:Rounding"


class QuickBooksSink(FileSink):
    """A QuickBooks import file written window by window, valued in the run's home currency.

    The checkpoint holds the journal numbers handed out so far (so they stay unique across runs) and
    what a subclass needs to carry over (`extra_state`).
    """

    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: Settings | None, checkpoint: Any = None) -> None:
        super().__init__(target, run, settings or Settings(), checkpoint)
        self._numbers = JournalNumbers(self.saved.get("numbers"))
        self.restore(self.saved.get("extra", {}))
        if self.fresh:
            self.file.write(self.header())

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        """Values every transaction before writing any, so a missing price leaves nothing half-written."""
        entries = [journal_entry(t, self.run, self.settings.rounding_account) for t in transactions]
        for transaction, entry in zip(transactions, entries, strict=True):
            if not entry.lines:
                log.info("%s: %s is worth 0.00 %s: not written", self.name, transaction.txn_id, self.run.home_currency)
                continue
            self.file.write(self.render(self._numbers.next(transaction.date), entry))

    def state(self) -> dict[str, Any]:
        return {"numbers": self._numbers.counts, "extra": self.extra_state()}

    def header(self) -> str:
        return ""

    def restore(self, extra: dict[str, Any]) -> None:
        """Takes back what `extra_state` saved."""

    def extra_state(self) -> dict[str, Any]:
        return {}

    @abc.abstractmethod
    def render(self, number: str, entry: JournalEntry) -> str:
        """The entry's rows under journal number `number`."""
