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
from collections.abc import Sequence
from typing import Any

import attrs

from ..books.balances import BalanceTracker
from ..books.transactions import Posting, Transaction
from ..errors import ConfigError, StateError
from .outputfile import FileSink
from .sidecar import Sidecar, sidecar_path
from .sink import RunInfo

__all__ = ["DECLARATIONS", "JournalSettings", "JournalTextSink", "declarations_path"]

DECLARATIONS = ("inline", "none", "separate")


def _check_declarations(_instance: object, _attribute: object, value: str) -> None:
    if value not in DECLARATIONS:
        raise ValueError(f"declarations: expected {', '.join(DECLARATIONS)}, not {value!r}")


@attrs.frozen
class JournalSettings:
    """`[sinks.beancount]` / `[sinks.ledger]` (`--set beancount.declarations=separate`): where the
    account, commodity and tag declarations go: `inline` (the default: before the first transaction
    that uses each), `none` (not written: the main file declares them) or `separate` (a sidecar
    beside the output, `declarations_path(target)`, to include once before the output)."""

    declarations: str = attrs.field(default="inline", validator=_check_declarations)


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
        return state

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
