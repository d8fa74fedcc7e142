"""The two file formats, chosen by the target's extension: CSV for spreadsheets, JSON Lines for scripts."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import PurePath
from typing import IO, Protocol

import attrs

from ledgerport import ConfigError

from .rows import COLUMNS, PostingRow

__all__ = ["RowWriter", "writer_for"]


class RowWriter(Protocol):
    def header(self) -> None: ...

    def write(self, rows: Iterable[PostingRow]) -> None: ...


def _cell(value: str | tuple[str, ...] | None) -> str:
    return ",".join(value) if isinstance(value, tuple) else value or ""


class CsvRows:
    """A header line, then one line per posting; `entry_ids` joined by commas, an absent price left empty."""

    def __init__(self, file: IO[str]) -> None:
        self._csv = csv.writer(file, lineterminator="\n")

    def header(self) -> None:
        self._csv.writerow(COLUMNS)

    def write(self, rows: Iterable[PostingRow]) -> None:
        self._csv.writerows([_cell(getattr(row, column)) for column in COLUMNS] for row in rows)


class JsonLines:
    """One JSON object per line, no header; numbers stay strings so no JSON reader rounds them."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file

    def header(self) -> None:
        """JSON Lines has none: every line names its fields."""

    def write(self, rows: Iterable[PostingRow]) -> None:
        self._file.writelines(json.dumps(attrs.asdict(row), ensure_ascii=False) + "\n" for row in rows)


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
