"""The two file formats, chosen by the target's extension: CSV for spreadsheets, JSON Lines for scripts."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import PurePath
from typing import IO, Protocol

import attrs

from ledgerport import ConfigError, cell, json_text

from .rows import COLUMNS

__all__ = ["RowWriter", "writer_for"]


class RowWriter(Protocol):
    def header(self) -> None: ...

    def write(self, rows: Iterable[object]) -> None: ...


_NUMBERS = frozenset({"quantity", "price", "cost", "value", "gain"})
"""Columns ledgerport writes numbers into: left as they are, every other one is a text cell."""


def _cell(column: str, value: str | tuple[str, ...] | bool | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = ",".join(value) if isinstance(value, tuple) else value or ""
    return text if column in _NUMBERS else cell(text)


class CsvRows:
    """A header line, then one line per row (a posting, or an open lot): `entry_ids` and `lot_ids` joined
    by commas, an absent price or cost left empty, `in_transit` `true` or `false`. Text cells go through
    `ledgerport.cell` (no control characters, no formulas)."""

    def __init__(self, file: IO[str], columns: tuple[str, ...] = COLUMNS) -> None:
        self._csv = csv.writer(file, lineterminator="\n")
        self._columns = columns

    def header(self) -> None:
        self._csv.writerow(self._columns)

    def write(self, rows: Iterable[object]) -> None:
        self._csv.writerows([_cell(column, getattr(row, column)) for column in self._columns] for row in rows)


class JsonLines:
    """One JSON object per line, no header; numbers stay strings so no JSON reader rounds them. JSON
    escapes control characters losslessly (`ledgerport.json_text` the few it leaves raw), so a reader gets
    the source's text back exactly."""

    def __init__(self, file: IO[str], columns: tuple[str, ...] = COLUMNS) -> None:
        self._file = file
        self._columns = columns

    def header(self) -> None:
        """JSON Lines has none: every line names its fields."""

    def write(self, rows: Iterable[object]) -> None:
        self._file.writelines(json_text(json.dumps(self._fields(row), ensure_ascii=False)) + "\n" for row in rows)

    def _fields(self, row: object) -> dict[str, object]:
        fields = attrs.asdict(row)  # type: ignore[arg-type]
        return {column: fields[column] for column in self._columns}


_FORMATS: dict[str, type[CsvRows | JsonLines]] = {".csv": CsvRows, ".jsonl": JsonLines}


def writer_for(target: str) -> type[CsvRows | JsonLines]:
    suffix = PurePath(target).suffix.lower()
    try:
        return _FORMATS[suffix]
    except KeyError:
        raise ConfigError(
            f"postings:{target}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            "give a file ending in .csv (CSV) or .jsonl (JSON Lines)"
        ) from None
