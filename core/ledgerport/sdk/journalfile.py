"""What the plain-text journal sinks share: an append-only file, declarations made once, balances tracked.

Where the declarations go is the sinks' `declarations` setting (`JournalSettings`): `inline`, before
the first transaction that needs each (a file that stands alone); `none`, nowhere (the main file
declares, as beangulp importers leave it); `separate`, into a sidecar beside the output
(`declarations_path`: `books.beancount` → `books.declarations.beancount`) that holds every
declaration the committed journal needs and no other: it is written whole at each commit (a
temporary file, fsynced, renamed over it) after the journal's bytes are durable, and a sink reopened
at a checkpoint puts back the sidecar of that commit where a crashed run left another. Like the
journal, a new sidecar keeps a staging name until the state has recorded the first commit, and a
sidecar ledgerport did not write is never replaced unless `--fresh`.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact
from typing import Any

import attrs

from ..books.balances import BalanceTracker
from ..books.transactions import Posting, Transaction
from ..errors import ConfigError, MissingPriceError, StateError
from ..model.money import format_decimal
from .outputfile import FileSink
from .sidecar import Sidecar, sidecar_path
from .sink import RunInfo

__all__ = [
    "DECLARATIONS",
    "PRICE_HORIZON_DAYS",
    "JournalSettings",
    "JournalTextSink",
    "PriceDays",
    "declarations_path",
    "price_quotient",
]

DECLARATIONS = ("inline", "none", "separate")


def _check_declarations(_instance: object, _attribute: object, value: str) -> None:
    if value not in DECLARATIONS:
        raise ValueError(f"declarations: expected {', '.join(DECLARATIONS)}, not {value!r}")


@attrs.frozen
class JournalSettings:
    """`[sinks.beancount]` / `[sinks.ledger]` (`--set beancount.declarations=separate`): where the
    account, commodity and tag declarations go: `inline` (the default: before the first transaction
    that uses each), `none` (not written: the main file declares them) or `separate` (a sidecar
    beside the output, `declarations_path(target)`, to include once before the output); and
    `prices` (`--set beancount.prices=false`): whether the day's price of each commodity posted goes
    into the journal, so `convert(position, 'USD')`, `hledger bal -V` and `ledger bal -X USD` value
    the holdings."""

    declarations: str = attrs.field(default="inline", validator=_check_declarations)
    prices: bool = True


PRICE_HORIZON_DAYS = 31
"""The checkpoint remembers, per commodity, the days of its price lines within this many days of its
latest one, and the last this many + 1 it wrote (`PriceDays`): a late entry never repeats a price
line, and a backfill of an older gap writes its days' own."""
_28_DIGITS = Context(prec=28, rounding=ROUND_HALF_EVEN)


def price_quotient(value: Decimal, divisor: Decimal) -> Decimal:
    """value ÷ |divisor| as a number to write: exact (without trailing zeros) when it ends within 28
    significant digits, else rounded to 28, half-to-even: beancount's own arithmetic, and the
    precision of a price annotation, which is no money posted."""
    context = _28_DIGITS.copy()
    context.clear_flags()
    result = context.divide(value, abs(divisor))
    return result.normalize(context) if not context.flags[Inexact] else result


class PriceDays:
    """The (commodity, day) pairs whose price line the journal holds, for the checkpoint, bounded: per
    commodity, in the order written, the days within `PRICE_HORIZON_DAYS` of its latest day and the
    last `PRICE_HORIZON_DAYS` + 1 days written. Windows go forward, so a late entry lands on a day
    still known; a backfill of an older gap writes its days' prices, and remembers them while it
    goes on (its days are the ones last written)."""

    def __init__(self, saved: Mapping[str, list[str]] | None = None) -> None:
        self.days: dict[str, dict[date, None]] = {
            c: dict.fromkeys(date.fromisoformat(d) for d in days) for c, days in (saved or {}).items()
        }

    def __contains__(self, key: tuple[str, date]) -> bool:
        commodity, day = key
        return day in self.days.get(commodity, {})

    def add(self, commodity: str, day: date) -> None:
        days = self.days.setdefault(commodity, {})
        days[day] = None
        order = list(days)
        oldest = max(order) - timedelta(days=PRICE_HORIZON_DAYS)
        last = set(order[-(PRICE_HORIZON_DAYS + 1) :])
        self.days[commodity] = {d: None for d in order if d >= oldest or d in last}

    def state(self) -> dict[str, list[str]]:
        return {c: [d.isoformat() for d in days] for c, days in sorted(self.days.items())}


def declarations_path(target: str) -> str:
    """The sidecar of an output: `books.beancount` → `books.declarations.beancount`."""
    return sidecar_path(target, "declarations")


class JournalTextSink(FileSink):
    """A journal file written window by window.

    Subclasses render text; this class keeps what must survive between runs in the checkpoint: the
    accounts and commodities already declared in the file, and the running balances that decide
    which balance assertions are safe to write. Where the declarations go follows the settings'
    `declarations` field (see the module docstring): a subclass writes them through `declaration()`
    and the header, looks at `inline`/`mode`, and adds to the sidecar through `sidecar_header()`
    and `extra_declarations()`; the sidecar is rendered from the state, so it is always exactly
    what the committed journal declares.
    """

    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        # any settings class with a `declarations` field (`JournalSettings` or a subclass's own) chooses
        mode = str(getattr(settings, "declarations", "inline"))
        if mode not in DECLARATIONS:
            raise ConfigError(f"{self.name}: declarations: expected {', '.join(DECLARATIONS)}, not {mode!r}")
        checkpoint = checkpoint or {}
        resuming = checkpoint.get("offset") is not None
        written = checkpoint.get("state", {}).get("declarations", "inline") if resuming else mode
        if written != mode:
            raise StateError(
                f"{self.name}:{target}: the file was begun with declarations = {written!r} and this run asks for "
                f"{mode!r}, which would change where its declarations are mid-file. Keep the setting, name "
                "another file, or start it over with --fresh."
            )
        self.mode = mode
        self.target = target
        if self.mode == "separate":
            if target == "-":
                raise ConfigError(f"{self.name}: declarations = 'separate' needs a file, not standard output")
            self.sidecar = Sidecar(self.name, declarations_path(os.path.abspath(target)))
            if not resuming:
                self.sidecar.refuse_foreign(target, run.replace)
        super().__init__(target, run, settings, checkpoint)
        self.accounts: set[str] = set(self.saved.get("accounts", ()))
        self.commodities: dict[str, str] = dict(self.saved.get("commodities", {}))
        self.balances = BalanceTracker(self.saved.get("balances"))
        self._declared: list[str] = []
        self._priced = PriceDays(self.saved.get("prices"))
        self._unpriced: set[tuple[str, date]] = set()  # looked up in vain in this window: not again
        self.restore(self.saved.get("extra", {}))
        if self.fresh:
            self.file.write(self.header())
        elif self.sidecar is not None:
            self.sidecar.restore(self.sidecar_text(), "the declarations")

    @property
    def sidecar_name(self) -> str:
        """The sidecar's file name, as the main file includes it from the output's folder."""
        return os.path.basename(declarations_path(self.target))

    @property
    def inline(self) -> bool:
        """Declarations go into the journal itself (`declarations = "inline"`)."""
        return self.mode == "inline"

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        """Each transaction with the declarations it needs just before it, wherever a window begins:
        a run in parts then writes the bytes one run writes."""
        text = []
        for transaction in transactions:
            body = self.render(transaction)
            text += self._declared
            self._declared.clear()
            text.append(body)
        self.file.write("".join(text))

    def state(self) -> dict[str, Any]:
        state = {
            "accounts": sorted(self.accounts),
            "commodities": self.commodities,
            "balances": self.balances.state(),
            "extra": self.extra_state(),
        }
        if not self.inline:  # an inline file's state stays as it was before the setting
            state["declarations"] = self.mode
        if self._priced.days:
            state["prices"] = self._priced.state()
        return state

    def commit(self) -> dict[str, Any] | None:
        self._unpriced.clear()  # the next window's trades may price them: a run in parts asks as one run does
        return super().commit()

    def price_lines(self, transaction: Transaction) -> str:
        """The price directives of the transaction's day not in the file yet, one per commodity it
        posts: the run's price book in the home currency (`price_quotient`), none where the book has no
        price (none is invented, and none is needed: the journal values nothing itself)."""
        if not getattr(self.settings, "prices", True):
            return ""
        home, day, lines = self.run.home_currency, transaction.date, []
        for commodity in dict.fromkeys(p.commodity for p in transaction.postings):
            key = (commodity, day)
            if commodity == home or key in self._priced or key in self._unpriced:
                continue
            try:
                rate = self.run.prices.rate(commodity, home, day)
            except MissingPriceError:
                self._unpriced.add(key)
                continue
            self._priced.add(commodity, day)
            price = format_decimal(price_quotient(rate.amount, rate.per))
            lines.append(self.price_directive(day, self.symbol(commodity), price, self.symbol(home)))
        return "".join(lines)

    def price_directive(self, day: date, symbol: str, price: str, currency: str) -> str:
        """One price line in the format's own syntax (a format without them writes none)."""
        return ""

    def sidecar_text(self) -> str:
        """The sidecar's text: every declaration the committed journal needs, in a fixed order (so a
        run in parts writes what one run does), after `sidecar_header()`."""
        text = [self.sidecar_header()]
        text += [self.declare_commodity(c, s) for c, s in sorted(self.commodities.items(), key=lambda i: i[1])]
        text += [self.declare_account(name) for name in sorted(self.accounts)]
        text += self.extra_declarations()
        return "".join(text)

    def sidecar_header(self) -> str:
        return ""

    def extra_declarations(self) -> list[str]:
        """Declarations of the sidecar besides accounts and commodities (ledger's tags)."""
        return []

    def symbol(self, commodity: str) -> str:
        """The commodity as the format spells it, chosen once per file (renames must stay stable)."""
        known = self.commodities.get(commodity)
        if known is None:
            known = self.commodities[commodity] = self.spell(commodity, set(self.commodities.values()))
            self.declaration(self.declare_commodity(commodity, known))
        return known

    def account(self, name: str) -> str:
        if name not in self.accounts:
            self.accounts.add(name)
            self.declaration(self.declare_account(name))
        return name

    def declaration(self, text: str) -> None:
        """Text that must come before the transaction being rendered (a directive it needs); only
        `inline` writes it into the journal (`separate` renders the sidecar from the state)."""
        if self.inline:
            self._declared.append(text)

    def declare(self, transaction: Transaction) -> None:
        """Declares every account and commodity the transaction uses before it is written."""
        for posting in transaction.postings:
            self.account(posting.account)
            self.symbol(posting.commodity)
            if posting.price_commodity:
                self.symbol(posting.price_commodity)

    def assertion(self, posting: Posting, transaction: Transaction) -> Any:
        return self.balances.apply(posting, transaction.timestamp)

    def header(self) -> str:
        return ""

    def restore(self, extra: dict[str, Any]) -> None:
        """Takes back what `extra_state` saved."""

    def extra_state(self) -> dict[str, Any]:
        return {}

    @abc.abstractmethod
    def render(self, transaction: Transaction) -> str:
        """The transaction's text; call `declare` first so its accounts and commodities exist."""

    @abc.abstractmethod
    def spell(self, commodity: str, taken: set[str]) -> str:
        """A symbol the format accepts for `commodity`, not one of `taken`."""

    @abc.abstractmethod
    def declare_commodity(self, commodity: str, symbol: str) -> str: ...

    @abc.abstractmethod
    def declare_account(self, name: str) -> str: ...
