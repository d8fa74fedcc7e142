"""What both QuickBooks files share: an append-only file, journal numbers and valuation across runs."""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import attrs

from ledgerport import ConfigError, Entry, FileSink, MissingPriceError, PluginError, RunInfo, Transaction

from .fairvalue import Carried
from .numbers import JournalNumbers
from .valuation import JournalEntry, cost_entry, journal_entry

__all__ = ["QuickBooksSink", "Settings"]

log = logging.getLogger(__name__)
_warned: set[str] = set()


@attrs.frozen
class Settings:
    """`[sinks.iif]` / `[sinks.qbo]`: where the cents that rounding leaves over are booked, and with
    cost basis on, the day (`YYYY-MM-DD`) whose end the holdings are adjusted to fair value on."""

    rounding_account: str = "Expenses:Rounding"
    fair_value_at: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.fair_value_at is not None:
            try:
                date.fromisoformat(self.fair_value_at)
            except ValueError:
                raise ValueError(f"fair_value_at: expected a day as YYYY-MM-DD, not {self.fair_value_at!r}") from None

    @property
    def fair_value_day(self) -> date | None:
        return date.fromisoformat(self.fair_value_at) if self.fair_value_at is not None else None


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


class QuickBooksSink(FileSink):
    """A QuickBooks import file written window by window, valued in the run's home currency.

    The checkpoint holds the journal numbers handed out so far (so they stay unique across runs) and
    what a subclass needs to carry over (`extra_state`).
    """

    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: Settings | None, checkpoint: Any = None) -> None:
        settings = settings or Settings()
        day = settings.fair_value_day
        carried = Carried((checkpoint or {}).get("state", {}).get("carried")) if run.cost_basis is not None else None
        if day is not None:  # checked before the file is opened, so a refusal leaves it alone
            if carried is None:
                raise ConfigError(
                    f"{self.name}: fair_value_at needs books at cost (--cost-basis): without it every posting "
                    "is valued at market on its own day, and no holding is carried at cost to adjust"
                )
            if carried.due(day) and carried.through is not None and carried.through > day:
                raise PluginError(
                    f"{self.name}: fair_value_at {day} lies before what {target} holds already (up to "
                    f"{carried.through}): its holdings at the end of that day are not known; write it anew with --fresh"
                )
        super().__init__(target, run, settings, checkpoint)
        self._numbers = JournalNumbers(self.saved.get("numbers"))
        self.restore(self.saved.get("extra", {}))
        self._carried = carried
        if carried is not None and self.fresh and carried.begins is None:
            carried.begins = run.since.date()
            if day is not None and carried.due(day) and carried.begins > day:
                log.warning(
                    "%s: fair_value_at %s is before the range the file starts with (%s): not written",
                    self.name,
                    day,
                    carried.begins,
                )
                carried.revalued.append(day.isoformat())  # the holdings of that day are not in this file
        if carried is None and self.name not in _warned:
            _warned.add(self.name)
            log.warning(
                "%s: without --cost-basis every posting is valued at market on its day: holdings are not "
                "carried at cost and no gain is realized",
                self.name,
            )
        if self.fresh:
            self.file.write(self.header())

    def write_entries(self, entries: Sequence[Entry]) -> None:
        """At cost, which sub-account each holding is, for an `unrealized` template that names it."""
        if self._carried is not None:
            for entry in entries:
                self._carried.subs[self.run.chart.holding(entry, self.run.source_title)] = (
                    entry.sub_account or entry.account
                )

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        """Values every transaction before writing any, so a missing price leaves nothing half-written."""
        if self._carried is not None:
            self._write_at_cost(transactions)
            return
        entries = [journal_entry(t, self.run, self.settings.rounding_account) for t in transactions]
        for transaction, entry in zip(transactions, entries, strict=True):
            self._write(transaction.txn_id, transaction.date, entry)

    def _write(self, txn_id: str, day: date, entry: JournalEntry) -> None:
        if not entry.lines:
            log.info("%s: %s is worth 0.00 %s: not written", self.name, txn_id, self.run.home_currency)
            return
        self.file.write(self.render(self._numbers.next(day), entry))

    def _write_at_cost(self, transactions: Sequence[Transaction]) -> None:
        """Books at cost; the fair-value adjustment goes in before the first transaction after its day."""
        assert self._carried is not None
        carried = self._carried.copy()
        day = self.settings.fair_value_day
        rows: list[tuple[str, date, JournalEntry]] = []
        for transaction in transactions:
            if day is not None and transaction.date > day and carried.due(day):
                rows.append((f"fair-value:{day}", day, carried.revalue(day, self.run)))
            rows.append(
                (
                    transaction.txn_id,
                    transaction.date,
                    cost_entry(transaction, self.run, self.settings.rounding_account),
                )
            )
            carried.add(transaction, self.run)
        self._carried = carried
        for txn_id, when, entry in rows:
            self._write(txn_id, when, entry)

    def closing(self) -> str:
        """The fair-value adjustment, when the run's range covers all of its day and no transaction
        after it has come yet: past the last commit, so the next run cuts it off and writes it anew
        (before its first transaction after that day, or again at its end)."""
        day = self.settings.fair_value_day
        if self._carried is None or day is None or self.run.until < _end_of(day):
            return ""
        carried = self._carried.copy()
        if not carried.due(day):
            return ""
        try:
            entry = carried.revalue(day, self.run)
        except MissingPriceError as exc:
            log.warning("%s: the fair-value adjustment of %s is not written: %s", self.name, day, exc)
            return ""
        return self.render(self._numbers.next(day), entry) if entry.lines else ""

    def state(self) -> dict[str, Any]:
        # a copy: what `closing` numbers past the commit must not reach the checkpoint handed back
        state = {"numbers": dict(self._numbers.counts), "extra": self.extra_state()}
        if self._carried is not None:
            state["carried"] = self._carried.state()
        return state

    def header(self) -> str:
        return ""

    def restore(self, extra: dict[str, Any]) -> None:
        """Takes back what `extra_state` saved."""

    def extra_state(self) -> dict[str, Any]:
        return {}

    @abc.abstractmethod
    def render(self, number: str, entry: JournalEntry) -> str:
        """The entry's rows under journal number `number`."""
