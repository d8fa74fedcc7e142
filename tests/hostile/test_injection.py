"""Hostile text from a source, through every sink: no forged line, column or transaction, no formula,
no raw control character; the accountants' own tools accept the journals and count what was booked."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from ledgerport import Entry, Kind, SinkType, cell, plain
from ledgerport.engine import plugins
from ledgerport.testing import bean_check, hledger, ledger, run_sink

FORGED = "x)\n2024-03-01 * (forged) Forged\n    Assets:Evil  1000000 USDT\n    Equity:Evil\n\n"
HOSTILE = [
    FORGED,
    "cr\rreturn",
    "crlf\r\nline",
    "tab\tcolumn",
    "nul\x00byte",
    "esc\x1b[2J\x1b]0;owned\x07",
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\tleading tab",
    "\rleading cr",
    "line\u2028separator",
    "bidi\u202eevil\u202c",
    "del\x7fc1\x85",
    'quote " and ; comment and | pipe',
]
START = datetime(2024, 3, 1, 9, tzinfo=UTC)


def hostile_entries(asset: str = "USD") -> list[Entry]:
    """One deposit per hostile string, carried in every text field a source fills."""
    return [
        Entry(
            source="demo",
            account="main",
            entry_id=f"{n}:{text}",
            timestamp=START + timedelta(minutes=n),
            asset=asset,
            amount=Decimal(n + 1),
            kind=Kind.DEPOSIT,
            category=text,
            sub_account=text,
            group_id=text,
            description=text,
            tags=(text,),
        )
        for n, text in enumerate(HOSTILE)
    ]


TOTAL = sum(range(1, len(HOSTILE) + 1))
_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def sinks() -> dict[str, SinkType]:
    registry = plugins.Registry.load(env={plugins.PLUGINS_ENV: "csv,beancount,ledger,postings,quickbooks,taxtools,sql"})
    return {sink.name: sink for sink in registry.sink_types()}


def written(sinks: dict[str, SinkType], name: str, path: Path) -> str:
    run_sink(sinks[name], path, hostile_entries())
    text = path.read_text(encoding="utf-8")
    assert not _RAW_CONTROL.search(text), f"{name}: a raw control character: {_RAW_CONTROL.findall(text)}"
    assert "\r" not in text and ("\t" not in text or name == "iif")
    return text


def test_the_helpers_escape_every_hostile_string_onto_one_line() -> None:
    for text in HOSTILE:
        assert not _RAW_CONTROL.search(plain(text)) and "\n" not in plain(text) and "\t" not in plain(text)
        assert not cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert plain("a\nb\tc\x00d\x1b\u202e") == "a\\nb\\tc\\x00d\\x1b\\u202e"
    assert cell("-2+3") == "'-2+3" and cell("plain") == "plain" and plain("naïve €") == "naïve €"


def _spreadsheet_rows(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    width = len(rows[0])
    assert all(len(row) == width for row in rows), "a row with another number of columns"
    return rows[1:]


@pytest.mark.parametrize(("name", "numeric"), [("csv", {5, 6, 7}), ("koinly", {1, 3, 5, 7}), ("qbo", {3, 4})])
def test_spreadsheet_files_hold_one_row_per_entry_and_no_formula(
    sinks: dict[str, SinkType], tmp_path: Path, name: str, numeric: set[int]
) -> None:
    rows = _spreadsheet_rows(written(sinks, name, tmp_path / f"out.{name}.csv"))
    assert len(rows) == len(HOSTILE) * (2 if name == "qbo" else 1)
    for row in rows:
        for column, value in enumerate(row):
            if column not in numeric:
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), f"{name}: formula in {row}"
    if name != "qbo":  # a qbo memo starts with the quantity: no source text leads a cell there
        assert any(value.startswith("'-2+3") for row in rows for value in row)


def test_the_postings_files_hold_one_row_per_posting(sinks: dict[str, SinkType], tmp_path: Path) -> None:
    rows = _spreadsheet_rows(written(sinks, "postings", tmp_path / "p.csv"))
    assert len(rows) == 2 * len(HOSTILE)
    assert sum(Decimal(row[6]) for row in rows if row[5] == "USD" and row[4].startswith("Assets")) == TOTAL
    lines = written(sinks, "postings", tmp_path / "p.jsonl").splitlines()
    assert len(lines) == 2 * len(HOSTILE)
    assert {json.loads(line)["description"] for line in lines} == set(HOSTILE)  # JSON keeps the text exactly


def test_no_id_forges_a_transaction_that_hledger_or_ledger_accepts(sinks: dict[str, SinkType], tmp_path: Path) -> None:
    journal = tmp_path / "j.journal"
    written(sinks, "ledger", journal)
    hledger(journal, "check", "-s")
    ledger(journal, "balance")
    postings = list(csv.DictReader(io.StringIO(hledger(journal, "register", "^Assets", "-O", "csv"))))
    assert len(postings) == len(HOSTILE)
    assert "Assets:Evil" not in hledger(journal, "accounts").splitlines()
    assert sum(Decimal(p["amount"].split()[0]) for p in postings) == TOTAL
    assert len(ledger(journal, "register", "^Assets").splitlines()) == len(HOSTILE)


def test_beancount_accepts_the_journal_with_every_transaction_once(sinks: dict[str, SinkType], tmp_path: Path) -> None:
    journal = tmp_path / "j.beancount"
    text = written(sinks, "beancount", journal)
    bean_check(journal)
    assert len(re.findall(r"^\d{4}-\d\d-\d\d \* ", text, re.MULTILINE)) == len(HOSTILE)
    assert not re.search(r"^\s*Assets:Evil\b", text, re.MULTILINE)


def test_iif_rows_keep_their_columns(sinks: dict[str, SinkType], tmp_path: Path) -> None:
    text = written(sinks, "iif", tmp_path / "out.iif")
    widths = {"TRNS": 7, "SPL": 7, "ENDTRNS": 1, "ACCNT": 3}
    for line in text.splitlines():
        kind = line.split("\t")[0]
        if not kind.startswith("!"):
            assert len(line.split("\t")) == widths[kind], f"a forged column or row: {line!r}"
    assert text.count("\nTRNS\t") == len(HOSTILE)


def test_the_database_stores_the_text_exactly(sinks: dict[str, SinkType], tmp_path: Path) -> None:
    """A database is not a text file: parameters carry any string, so it keeps the source's text as it was."""
    database = tmp_path / "books.db"
    run_sink(sinks["sql"], f"sqlite:///{database}", hostile_entries())  # type: ignore[arg-type]
    with sqlite3.connect(database) as connection:
        stored = [row[0] for row in connection.execute("SELECT description FROM entries ORDER BY timestamp")]
    assert stored == HOSTILE


@pytest.mark.parametrize("name", ["csv", "ledger", "beancount", "postings", "koinly"])
def test_a_hostile_asset_name_forges_nothing_either(sinks: dict[str, SinkType], tmp_path: Path, name: str) -> None:
    """The asset becomes a commodity, a column and part of account names: the same table, as the asset."""
    path = tmp_path / f"out.{name}.{'journal' if name == 'ledger' else 'csv'}"
    entries = [e for text in HOSTILE for e in hostile_entries(asset=f"X{text}")[:1]]
    entries = [attrs.evolve(e, entry_id=f"a{n}", timestamp=START + timedelta(minutes=n)) for n, e in enumerate(entries)]
    run_sink(sinks[name], path, entries)
    text = path.read_text(encoding="utf-8")
    assert not _RAW_CONTROL.search(text) and "\r" not in text and "\t" not in text
    if name == "ledger":
        hledger(path, "check", "-s")
        ledger(path, "balance")
        assert len(list(csv.DictReader(io.StringIO(hledger(path, "register", "^Assets", "-O", "csv"))))) == len(HOSTILE)
    elif name == "beancount":
        bean_check(path)
    else:
        rows = _spreadsheet_rows(text)
        assert len(rows) == len(HOSTILE) * (2 if name == "postings" else 1)
