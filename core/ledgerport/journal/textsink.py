"""What the plain-text journal sinks share: an append-only file, declarations made once, balances tracked."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar

from ..outputfile import AppendFile
from ..sink import RunInfo, Sink
from .balances import BalanceTracker
from .model import Posting, Transaction

__all__ = ["JournalTextSink"]


class JournalTextSink(Sink):
    """A journal file written window by window.

    Subclasses render text; this class keeps what must survive between runs in the checkpoint: the
    file's committed length, the accounts and commodities already declared in it, and the running
    balances that decide which balance assertions are safe to write.
    """

    needs_transactions = True
    name: ClassVar[str]

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        state = checkpoint or {}
        self.run = run
        self._out = AppendFile(target, state.get("offset"), self.name)
        self.resumable = self._out.resumable
        self.accounts: set[str] = set(state.get("accounts", ()))
        self.commodities: dict[str, str] = dict(state.get("commodities", {}))
        self.balances = BalanceTracker(state.get("balances"))
        self.restore(state.get("extra", {}))
        if self._out.fresh:
            self._out.file.write(self.header())

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        self._out.file.write("".join(map(self.render, transactions)))

    def commit(self) -> dict[str, Any] | None:
        offset = self._out.commit()
        if offset is None:
            return None
        return {
            "offset": offset,
            "accounts": sorted(self.accounts),
            "commodities": self.commodities,
            "balances": self.balances.state(),
            "extra": self.extra_state(),
        }

    def close(self) -> None:
        """What is written here lies past the last commit: the next run cuts it off and writes it anew."""
        self._out.file.write(self.closing())
        self._out.close()

    def symbol(self, commodity: str) -> str:
        """The commodity as the format spells it, chosen once per file (renames must stay stable)."""
        known = self.commodities.get(commodity)
        if known is None:
            known = self.commodities[commodity] = self.spell(commodity, set(self.commodities.values()))
            self._out.file.write(self.declare_commodity(commodity, known))
        return known

    def account(self, name: str) -> str:
        if name not in self.accounts:
            self.accounts.add(name)
            self._out.file.write(self.declare_account(name))
        return name

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

    def closing(self) -> str:
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
