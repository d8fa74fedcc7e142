"""Reading QuickBooks files back with Decimal, checking what QuickBooks insists on as they are read.

For tests, the sink's own and anyone's who checks a file before importing it: `read_iif`,
`read_qbo`, and `assert_balanced`. The readers check every date against the file's `date_format`
(`MM/DD/YYYY` unless told otherwise): a real day, written in that shape.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from .qbo import COLUMNS
from .sink import DATE_FORMATS

__all__ = ["Journals", "Line", "assert_balanced", "read_iif", "read_qbo"]

Line = tuple[str, Decimal, str]
"""Account, signed amount (debit +, credit −), memo."""
Journals = dict[str, list[Line]]
"""The lines of each journal entry, by its DOCNUM / Journal No., in file order."""

_DATE = re.compile(r"\d\d/\d\d/\d{4}")
_IIF_COLUMNS = ["TRNSTYPE", "DATE", "ACCNT", "AMOUNT", "DOCNUM", "MEMO"]


def _check_date(text: str, date_format: str) -> None:
    assert _DATE.fullmatch(text), f"{text!r} is not a date as {date_format}"
    try:
        datetime.strptime(text, DATE_FORMATS[date_format])
    except ValueError:
        raise AssertionError(f"{text!r} is not a date as {date_format}") from None


def _cents(text: str) -> Decimal:
    amount = Decimal(text)
    assert amount.as_tuple().exponent == -2, f"{text!r} is not written with 2 decimals"
    return amount


def read_iif(path: Path, date_format: str = "MM/DD/YYYY") -> Journals:
    """Every TRNS..ENDTRNS block, checked for shape: one TRNS, SPL rows, one date (as `date_format`)
    and DOCNUM, GENERAL JOURNAL."""
    journals: Journals = {}
    block: list[dict[str, str]] | None = None
    columns: dict[str, list[str]] = {}
    for row in path.read_text(encoding="utf-8").splitlines():
        kind, *fields = row.split("\t")
        if kind.startswith("!"):
            columns[kind[1:]] = fields
            continue
        if kind == "ACCNT":
            assert columns["ACCNT"] == ["NAME", "ACCNTTYPE"] and len(fields) == 2
            continue
        if kind == "TRNS":
            assert block is None, "a TRNS inside an open block"
            block = []
        assert block is not None, f"{kind} outside a TRNS..ENDTRNS block"
        if kind == "ENDTRNS":
            assert columns["ENDTRNS"] == [] and fields == [] and block
            number = block[0]["DOCNUM"]
            assert {(r["DOCNUM"], r["DATE"], r["TRNSTYPE"]) for r in block} == {
                (number, block[0]["DATE"], "GENERAL JOURNAL")
            }
            _check_date(block[0]["DATE"], date_format)
            assert number not in journals, f"DOCNUM {number} is used twice"
            journals[number] = [(r["ACCNT"], _cents(r["AMOUNT"]), r["MEMO"]) for r in block]
            block = None
            continue
        assert kind == ("TRNS" if not block else "SPL") and columns[kind] == _IIF_COLUMNS
        block.append(dict(zip(_IIF_COLUMNS, fields, strict=True)))
    assert block is None, "the file ends inside a block"
    return journals


def read_qbo(path: Path, date_format: str = "MM/DD/YYYY") -> Journals:
    """Rows grouped by Journal No., which must be consecutive and share their date (as `date_format`);
    one of Debits or Credits each."""
    journals: Journals = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        last = None
        dates: dict[str, str] = {}
        for row in reader:
            number = row["Journal No."]
            assert number == last or number not in journals, f"journal {number} is split or used twice"
            last = number
            assert dates.setdefault(number, row["Journal Date"]) == row["Journal Date"]
            _check_date(row["Journal Date"], date_format)
            assert row["Name"] == ""
            debit, credit = row["Debits"], row["Credits"]
            assert bool(debit) != bool(credit), f"row needs exactly one of Debits and Credits: {row}"
            amount = _cents(debit) if debit else -_cents(credit)
            assert amount > 0 if debit else amount < 0
            # a spreadsheet shows a text cell without the ' that keeps it from being run as a formula
            memo = row["Description"].removeprefix("'")
            journals.setdefault(number, []).append((row["Account Name"], amount, memo))
    return journals


def assert_balanced(journals: Journals) -> None:
    """Every entry sums to exactly 0.00, and every number is at most 11 characters."""
    assert journals
    for number, lines in journals.items():
        assert len(number) <= 11, number
        assert sum(amount for _, amount, _ in lines) == Decimal("0.00"), (number, lines)
