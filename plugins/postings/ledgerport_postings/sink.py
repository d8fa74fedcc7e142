"""The `postings` sink: one row per posting of the books, appended window by window; with cost basis on, the
open lots in a file of their own beside it, replaced at each commit."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ledgerport import FileSink, OpenLot, RunInfo, Sidecar, StateError, Transaction, sidecar_path

from .formats import writer_for
from .rows import COLUMNS, COST_COLUMNS, LOT_COLUMNS, LotRow, lot_rows, posting_rows

__all__ = ["PostingsSink", "lots_path"]


def lots_path(target: str) -> str:
    """The lots file of an output: `books.csv` → `books.lots.csv`, `books.jsonl` → `books.lots.jsonl`."""
    return sidecar_path(target, "lots")


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
        if self._costed:
            self.sidecar = Sidecar("postings", lots_path(target))
            if not resuming:
                self.sidecar.refuse_foreign(target, run.replace)
        super().__init__(target, run, settings, checkpoint)
        self._columns = COLUMNS + COST_COLUMNS if self._costed else COLUMNS
        self._writer = writer(self.file, self._columns)
        self._lot_writer = writer
        if self.fresh:
            self._writer.header()
        self._committed: list[list[Any]] | None = self.saved.get("lots")
        self._lots: list[list[Any]] | None = None
        if self.sidecar is not None and self._committed is not None:
            self.sidecar.restore(self._render(self._committed), "the open lots")

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

    def sidecar_text(self) -> str | None:
        lots = self._lots if self._lots is not None else self._committed
        return None if lots is None else self._render(lots)

    def commit(self) -> dict[str, Any] | None:
        checkpoint = super().commit()
        if self._lots is not None:
            self._committed, self._lots = self._lots, None
        return checkpoint

    def _render(self, lots: list[list[Any]]) -> str:
        text = io.StringIO()
        writer = self._lot_writer(text, LOT_COLUMNS)
        writer.header()
        writer.write(LotRow(**dict(zip(LOT_COLUMNS, row, strict=True))) for row in lots)
        return text.getvalue()
