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
from .numbers import JournalNumbers, check_prefix, default_prefix
from .valuation import JournalEntry, cost_entry, journal_entry

__all__ = ["DATE_FORMATS", "QuickBooksSink", "Settings"]

log = logging.getLogger(__name__)
_warned: set[str] = set()
_old_numbers: set[tuple[str, str]] = set()

DATE_FORMATS = {"MM/DD/YYYY": "%m/%d/%Y", "DD/MM/YYYY": "%d/%m/%Y"}
"""The dates QuickBooks reads, as the company's region writes them: US, or most other countries."""
_OLD_FORMAT = "MM/DD/YYYY"
"""What files begun before `date_format` was kept in their state were written in."""


@attrs.frozen
class Settings:
    """`[sinks.iif]` / `[sinks.qbo]`: where the cents that rounding leaves over are booked; with
    cost basis on, the day (`YYYY-MM-DD`) whose end the holdings are adjusted to fair value on; the
    prefix of the journal numbers (1 to 3 letters and digits, a letter first; default: 2 characters
    derived from the run's source and account); the dates' format, `MM/DD/YYYY` or `DD/MM/YYYY`.

    A file keeps the prefix and the date format it was begun with (they are in its state): another
    one for a file that holds entries is refused, `--fresh` writes it anew."""

    rounding_account: str = "Expenses:Rounding"
    fair_value_at: str | None = None
    journal_prefix: str | None = attrs.field(default=None, converter=attrs.converters.optional(check_prefix))
    date_format: str = "MM/DD/YYYY"

    def __attrs_post_init__(self) -> None:
        if self.fair_value_at is not None:
            try:
                date.fromisoformat(self.fair_value_at)
            except ValueError:
                raise ValueError(f"fair_value_at: expected a day as YYYY-MM-DD, not {self.fair_value_at!r}") from None
        if self.date_format not in DATE_FORMATS:
            raise ValueError(f"date_format: expected {' or '.join(DATE_FORMATS)}, not {self.date_format!r}")

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
        prefix, self._date_format = self._numbering(target, run, settings, checkpoint)
        super().__init__(target, run, settings, checkpoint)
        self._numbers = JournalNumbers(self.saved.get("numbers"), prefix)
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

    def _numbering(self, target: str, run: RunInfo, settings: Settings, checkpoint: Any) -> tuple[str | None, str]:
        """The journal-number prefix and the date format: the settings' for a file that holds no entry
        yet, else what its state says it was begun with (a file begun before prefixes: None, the old
        numbers; before the date format was kept: MM/DD/YYYY). Another one asked for is refused."""
        wanted = settings.journal_prefix or default_prefix(run.source, run.account)
        checkpoint = checkpoint or {}
        saved = checkpoint.get("state", {})
        if checkpoint.get("offset") is None or not any(saved.get("numbers", {}).values()):
            return wanted, settings.date_format
        prefix: str | None = saved.get("journal_prefix")
        if prefix is None and settings.journal_prefix is not None:
            raise ConfigError(
                f"{self.name}: journal_prefix {settings.journal_prefix}: {target} was begun with journal numbers "
                "without a prefix (YYMMDD-NNNN) and keeps them, so that one file never mixes two kinds; leave "
                "journal_prefix unset for it, or write it anew with --fresh"
            )
        if prefix is not None and settings.journal_prefix is not None and prefix != settings.journal_prefix:
            raise ConfigError(
                f"{self.name}: journal_prefix {settings.journal_prefix}: the journal numbers of {target} carry the "
                f"prefix {prefix}; a file keeps one prefix: set journal_prefix = {prefix!r} for it, or write it "
                "anew with --fresh"
            )
        if prefix is None and (self.name, target) not in _old_numbers:
            _old_numbers.add((self.name, target))
            log.warning(
                "%s: %s keeps the journal numbers it was begun with (YYMMDD-NNNN, no prefix), which another "
                "source's or account's file may use too; --fresh writes it anew with prefixed numbers",
                self.name,
                target,
            )
        date_format = saved.get("date_format", _OLD_FORMAT)
        if date_format != settings.date_format:
            raise ConfigError(
                f"{self.name}: date_format {settings.date_format}: {target} holds dates written {date_format}, and a "
                f"file must not change format mid-way; set date_format = {date_format!r} for it, or write it anew "
                "with --fresh"
            )
        return prefix, date_format

    def day(self, when: date) -> str:
        """A date as the file writes it."""
        return when.strftime(DATE_FORMATS[self._date_format])

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
        valued = []
        for transaction in transactions:
            try:
                valued.append((transaction, journal_entry(transaction, self.run, self.settings.rounding_account)))
            except MissingPriceError as exc:
                if self.run.set_aside is None:
                    raise
                self.run.set_aside(self.name, transaction, str(exc))  # --on-missing-price skip: the others write it
        for transaction, entry in valued:
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
        state: dict[str, Any] = {"numbers": dict(self._numbers.counts), "extra": self.extra_state()}
        if self._numbers.prefix is not None:  # a file begun before prefixes keeps a state without one
            state["journal_prefix"] = self._numbers.prefix
        state["date_format"] = self._date_format
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
