"""The `qbo` sink: a journal-entry CSV for QuickBooks Online (Settings > Import data > Journal entries).

Rows sharing a Journal No. form one entry; each row has its amount in Debits or in Credits, 2
decimals, in the home currency. Name (a customer or vendor) stays empty: it must match one that
exists in the company. Text cells go through `ledgerport.cell` (no control characters, no formulas).
"""

from __future__ import annotations

import csv
import io

from ledgerport import cell, format_decimal

from .sink import QuickBooksSink
from .valuation import JournalEntry

__all__ = ["COLUMNS", "QboSink"]

COLUMNS = ("Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name")


def _rows(rows: list[tuple[str, ...]]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


class QboSink(QuickBooksSink):
    name = "qbo"

    def header(self) -> str:
        return _rows([COLUMNS])

    def render(self, number: str, entry: JournalEntry) -> str:
        return _rows(
            [
                (
                    number,
                    self.day(entry.date),
                    cell(line.account),
                    format_decimal(line.amount) if line.amount > 0 else "",
                    format_decimal(-line.amount) if line.amount < 0 else "",
                    cell(line.memo),
                    "",
                )
                for line in entry.lines
            ]
        )
