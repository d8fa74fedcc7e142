"""`declarations = "none" | "separate"` for the ledger journal (issue 15), checked by both real tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ledgerport_ledger import LedgerSink

from ledgerport import LotSettings, SinkType
from ledgerport.sdk.journalfile import JournalSettings, declarations_path
from ledgerport.testing import hledger, ledger, run_sink, sample_entries, sample_opening_lots, sample_prices

SINK = SinkType(name="ledger", description="", open=LedgerSink)
_DECLARING = ("account ", "commodity ", "    format ", "tag ")


def _declared(text: str) -> list[str]:
    return sorted(line for line in text.splitlines() if line.startswith(_DECLARING))


def test_separate_moves_every_declaration_into_the_sidecar(tmp_path: Path) -> None:
    inline, books = tmp_path / "inline.journal", tmp_path / "books.journal"
    run_sink(SINK, inline, sample_entries())
    run_sink(SINK, books, sample_entries(), settings=JournalSettings("separate"))
    sidecar = Path(declarations_path(str(books)))
    assert sidecar.name == "books.declarations.journal"
    assert not _declared(books.read_text())
    assert sorted(_declared(sidecar.read_text())) == _declared(inline.read_text())
    # declarations before their use, which ledger --pedantic demands; hledger takes them anywhere
    main = tmp_path / "main.journal"
    main.write_text(f"account Assets:Bank\ninclude {sidecar.name}\ninclude books.journal\n")
    hledger(main, "check", "-s")
    ledger(main, "bal")
    main.write_text(f"include books.journal\ninclude {sidecar.name}\n")
    hledger(main, "check", "-s")
    with pytest.raises(AssertionError, match="Unknown account"):
        ledger(main, "bal")


def test_two_outputs_declaring_the_same_names_are_accepted_by_both_tools(tmp_path: Path) -> None:
    """hledger 1.25 and ledger 3.3 take an account, commodity or tag declared twice (the same way)."""
    for name in ("A", "B"):  # the same commodities, `tag entry_ids`, and each its own accounts
        run_sink(SINK, tmp_path / f"{name}.journal", sample_entries(), source_title=name)
    main = tmp_path / "main.journal"
    main.write_text("account Assets:Bank\naccount Assets:A:Main\ninclude A.journal\ninclude B.journal\n")
    hledger(main, "check", "-s")
    ledger(main, "bal")


def test_none_writes_no_declaration(tmp_path: Path) -> None:
    books = tmp_path / "books.journal"
    run_sink(SINK, books, sample_entries(), settings=JournalSettings("none"))
    assert not _declared(books.read_text())
    assert not Path(declarations_path(str(books))).exists()
    hledger(books, "check")  # not strict: nothing is declared
    with pytest.raises(AssertionError, match="Unknown"):
        ledger(books, "bal")


def test_at_cost_the_lot_tags_are_declared_in_the_sidecar(tmp_path: Path) -> None:
    inline, books = tmp_path / "inline.journal", tmp_path / "books.journal"
    kwargs: dict[str, Any] = {
        "prices": sample_prices(),
        "cost_basis": LotSettings(method="fifo"),
        "opening": sample_opening_lots(),
    }
    run_sink(SINK, inline, sample_entries(), **kwargs)
    run_sink(SINK, books, sample_entries(), settings=JournalSettings("separate"), **kwargs)
    sidecar = Path(declarations_path(str(books)))
    assert sorted(_declared(sidecar.read_text())) == _declared(inline.read_text())
    assert {"tag lots", "tag gain", "tag proceeds"} <= set(_declared(sidecar.read_text()))
    main = tmp_path / "main.journal"
    main.write_text(f"include {sidecar.name}\ninclude books.journal\n")
    hledger(main, "check", "-s")
    ledger(main, "bal")
