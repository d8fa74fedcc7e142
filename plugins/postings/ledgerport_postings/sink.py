"""The `postings` sink: one row per posting of the books, appended window by window; with cost basis on, the
open lots in a file of their own beside it, replaced at each commit."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from ledgerport import FileSink, OpenLot, RunInfo, StateError, Transaction
from ledgerport.sdk.outputfile import staging_path

from .formats import writer_for
from .rows import COLUMNS, COST_COLUMNS, LOT_COLUMNS, LotRow, lot_rows, posting_rows

__all__ = ["PostingsSink", "lots_path"]

log = logging.getLogger(__name__)


def lots_path(target: str) -> str:
    """The lots file of an output: `books.csv` → `books.lots.csv`, `books.jsonl` → `books.lots.jsonl`."""
    path = PurePath(target)
    return str(path.with_name(f"{path.stem}.lots{path.suffix}"))


def _temporary_path(path: str) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.ledgerport-tmp")


def _fsync_folder(path: str) -> None:
    folder = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as file:
            return file.read()
    except FileNotFoundError:
        return None


class PostingsSink(FileSink):
    """Writes the transactions' postings; crash safety and resuming are `FileSink`'s commits and cut-backs.

    With cost basis on (`run.cost_basis`), every row also carries the posting's cost, value, gain and lots
    (`COST_COLUMNS`), and the open lots after each window go to `lots_path(target)`. That file is written
    whole at each commit (a temporary file in the same folder, fsynced, renamed over it), after the window's
    rows are durable; the snapshot is also kept in the checkpoint, so a sink reopened at a checkpoint puts
    back the lots of that commit if a crashed run had replaced them with those of a window the state never
    recorded. Like the postings file, the lots file keeps a staging name until the state has recorded the
    first commit, and a lots file ledgerport did not write is never replaced unless `--fresh`.
    """

    name = "postings"
    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        writer = writer_for(target)
        self._costed = run.cost_basis is not None
        checkpoint = checkpoint or {}
        resuming = checkpoint.get("offset") is not None  # `-` is refused above: it has no extension
        if resuming and bool(checkpoint.get("state", {}).get("cost")) != self._costed:
            written = "at cost" if self._costed is False else "without cost basis"
            raise StateError(
                f"postings:{target}: the file was written {written} and this run is "
                f"{'at cost' if self._costed else 'without cost basis'}, which would change its columns "
                "mid-file. Keep the setting, name another file, or start it over with --fresh."
            )
        self._lots_path: str | None = None
        if self._costed:
            self._lots_path = lots_path(target)
            if not resuming:
                self._refuse_foreign_lots(target, run)
        super().__init__(target, run, settings, checkpoint)
        self._columns = COLUMNS + COST_COLUMNS if self._costed else COLUMNS
        self._writer = writer(self.file, self._columns)
        self._lot_writer = writer
        if self.fresh:
            self._writer.header()
        self._committed: list[list[Any]] | None = self.saved.get("lots")
        self._lots: list[list[Any]] | None = None
        self._commits = 0
        self._staged = self.fresh  # the lots file keeps its staging name until the state knows a commit
        if self._lots_path is not None and self._committed is not None:
            self._restore()

    def _refuse_foreign_lots(self, target: str, run: RunInfo) -> None:
        assert self._lots_path is not None
        with contextlib.suppress(FileNotFoundError):
            if os.path.getsize(self._lots_path) and not run.replace:
                raise StateError(
                    f"postings:{target}: {self._lots_path} already exists and the state has no record of writing "
                    "it; ledgerport never overwrites a file it did not create. Name another file, move this one "
                    "away, or re-run with --fresh to replace it."
                )

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        self._writer.write(row for transaction in transactions for row in posting_rows(transaction))

    def write_lots(self, lots: Sequence[OpenLot]) -> None:
        if self._costed:
            self._lots = [
                [getattr(row, column) for column in LOT_COLUMNS] for row in lot_rows(lots, self.run.home_currency)
            ]

    def state(self) -> dict[str, Any]:
        """With cost basis on: that the file has the cost columns, and the open lots of this commit."""
        if not self._costed:
            return {}
        lots = self._lots if self._lots is not None else self._committed
        return {"cost": True, "lots": lots if lots is not None else []}

    def commit(self) -> dict[str, Any] | None:
        checkpoint = super().commit()
        if self._lots is not None:
            self._committed, self._lots = self._lots, None
        if self._lots_path is not None and self._committed is not None:
            if self._staged and self._commits:  # the state has recorded the first commit: take the real name
                self._staged = False
                self._discard_staged()
            self._replace(self._committed)
        self._commits += 1
        return checkpoint

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lots_path is not None and self._staged and self._commits:
                self._staged = False
                with contextlib.suppress(FileNotFoundError):
                    os.replace(staging_path(self._lots_path), self._lots_path)
                    _fsync_folder(self._lots_path)
            elif self._lots_path is not None and self._staged:
                self._discard_staged()

    def _discard_staged(self) -> None:
        assert self._lots_path is not None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging_path(self._lots_path))

    def _render(self, lots: list[list[Any]]) -> str:
        text = io.StringIO()
        writer = self._lot_writer(text, LOT_COLUMNS)
        writer.header()
        writer.write(LotRow(**dict(zip(LOT_COLUMNS, row, strict=True))) for row in lots)
        return text.getvalue()

    def _restore(self) -> None:
        """Puts back the lots of the checkpoint's commit where a crashed run left others (or none)."""
        assert self._lots_path is not None and self._committed is not None
        self._staged = False
        self._discard_staged()
        text = self._render(self._committed)
        if _read(self._lots_path) != text:
            log.info("postings: %s: putting back the open lots of the last commit", self._lots_path)
            self._write_file(self._lots_path, text)

    def _replace(self, lots: list[list[Any]]) -> None:
        assert self._lots_path is not None
        path = staging_path(self._lots_path) if self._staged else self._lots_path
        self._write_file(path, self._render(lots))

    def _write_file(self, path: str, text: str) -> None:
        """Writes `path` whole or not at all: a temporary file beside it, fsynced, renamed over it."""
        temporary = _temporary_path(path)
        try:
            with open(temporary, "w", encoding="utf-8", newline="") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
            _fsync_folder(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise StateError(f"postings: cannot write {path}: {exc.strerror}") from None
