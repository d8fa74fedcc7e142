"""What the plain-text journal sinks share: an append-only file, declarations made once, balances tracked."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from ..books.balances import BalanceTracker
from ..books.transactions import Posting, Transaction
from .outputfile import FileSink
from .sink import RunInfo

__all__ = ["JournalTextSink"]


class JournalTextSink(FileSink):
    """A journal file written window by window.

    Subclasses render text; this class keeps what must survive between runs in the checkpoint: the
    accounts and commodities already declared in the file, and the running balances that decide
    which balance assertions are safe to write.
    """

    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        super().__init__(target, run, settings, checkpoint)
        self.accounts: set[str] = set(self.saved.get("accounts", ()))
        self.commodities: dict[str, str] = dict(self.saved.get("commodities", {}))
        self.balances = BalanceTracker(self.saved.get("balances"))
        self._declared: list[str] = []
        self.restore(self.saved.get("extra", {}))
        if self.fresh:
            self.file.write(self.header())

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
        return {
            "accounts": sorted(self.accounts),
            "commodities": self.commodities,
            "balances": self.balances.state(),
            "extra": self.extra_state(),
        }

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
        """Text that must come before the transaction being rendered (a directive it needs)."""
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
