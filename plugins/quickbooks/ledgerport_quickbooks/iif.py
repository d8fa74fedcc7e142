"""The `iif` sink: QuickBooks Desktop general journal entries in an IIF file (File > Utilities > Import).

IIF is tab-separated; a `!`-row names the columns of the rows of its type that follow. Each entry
is a `TRNS` row, `SPL` rows and `ENDTRNS`, debits positive, credits negative, summing to 0. Accounts
must exist before an entry uses them, so the first use of an account is preceded by `ACCNT` rows
declaring it and its parents, typed by the chart's top level (`Assets` → other current asset, ...).
Names and memos go through `ledgerport.plain`: a tab or a newline in them cannot add a column or a row.
"""

from __future__ import annotations

from typing import Any

import attrs

from ledgerport import RunInfo, format_decimal, plain

from .sink import QuickBooksSink, Settings
from .valuation import JournalEntry, Line

__all__ = ["ACCOUNT_TYPES", "IifSettings", "IifSink"]

ACCOUNT_TYPES = {"assets": "OCASSET", "liabilities": "OCLIAB", "equity": "EQUITY", "income": "INC", "expenses": "EXP"}
"""QuickBooks account types by the top level of the chart; accounts under another top level are not declared."""

_COLUMNS = ("TRNSTYPE", "DATE", "ACCNT", "AMOUNT", "DOCNUM", "MEMO")
_TRANSACTION_HEADER = f"!TRNS\t{chr(9).join(_COLUMNS)}\n!SPL\t{chr(9).join(_COLUMNS)}\n!ENDTRNS\n"
_ACCOUNT_HEADER = "!ACCNT\tNAME\tACCNTTYPE\n"


@attrs.frozen
class IifSettings(Settings):
    """`declare_accounts = false` leaves the accounts out, for a company file that has them already."""

    declare_accounts: bool = True


def _parents(account: str) -> list[str]:
    """`Assets:KuCoin:Main` → `Assets`, `Assets:KuCoin`, `Assets:KuCoin:Main`: parents come first."""
    parts = account.split(":")
    return [":".join(parts[: n + 1]) for n in range(len(parts))]


class IifSink(QuickBooksSink):
    name = "iif"
    settings: IifSettings

    def __init__(self, target: str, run: RunInfo, settings: IifSettings | None, checkpoint: Any = None) -> None:
        super().__init__(target, run, settings or IifSettings(), checkpoint)

    def restore(self, extra: dict[str, Any]) -> None:
        self._accounts: set[str] = set(extra.get("accounts", ()))
        self._section: str = extra.get("section", "")

    def extra_state(self) -> dict[str, Any]:
        return {"accounts": sorted(self._accounts), "section": self._section}

    def _switch(self, section: str, header: str) -> str:
        """The header of a section, when the rows before were of another kind."""
        if self._section == section:
            return ""
        self._section = section
        return header

    def _declare(self, lines: tuple[Line, ...]) -> str:
        if not self.settings.declare_accounts:
            return ""
        new = [
            name
            for line in lines
            for name in _parents(line.account)
            if name.split(":")[0].lower() in ACCOUNT_TYPES and name not in self._accounts
        ]
        rows = []
        for name in dict.fromkeys(new):
            self._accounts.add(name)
            rows.append(f"ACCNT\t{plain(name)}\t{ACCOUNT_TYPES[name.split(':')[0].lower()]}\n")
        return self._switch("ACCNT", _ACCOUNT_HEADER) + "".join(rows) if rows else ""

    def render(self, number: str, entry: JournalEntry) -> str:
        text = [self._declare(entry.lines), self._switch("TRNS", _TRANSACTION_HEADER)]
        for kind, line in zip(("TRNS", *("SPL",) * (len(entry.lines) - 1)), entry.lines, strict=True):
            fields = (
                "GENERAL JOURNAL",
                self.day(entry.date),
                plain(line.account),
                format_decimal(line.amount),
                number,
                plain(line.memo),
            )
            text.append("\t".join((kind, *fields)) + "\n")
        text.append("ENDTRNS\n")
        return "".join(text)
