"""`declarations = "none" | "separate"`: a journal a main file can include with others (issue 15)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ledgerport_beancount import BeancountSink

from ledgerport import JournalBuilder, LotSettings, RunInfo, SinkType, StateError
from ledgerport.sdk.journalfile import JournalSettings, declarations_path
from ledgerport.sdk.outputfile import staging_path
from ledgerport.testing import bean_check, run_sink, sample_entries, sample_opening_lots, sample_prices

SINK = SinkType(name="beancount", description="", open=BeancountSink)
SEPARATE, NONE = JournalSettings("separate"), JournalSettings("none")
RUN = RunInfo(
    source="demo",
    source_title="Demo",
    account="main",
    since=datetime(2024, 3, 1, tzinfo=UTC),
    until=datetime(2024, 3, 3, tzinfo=UTC),
)


def _declared(text: str) -> list[str]:
    """The declarations of a file, one string each (a commodity with its metadata line)."""
    lines = text.replace("\n  name:", " name:").splitlines()
    return sorted(line for line in lines if line.startswith("1970-01-01 "))


def test_separate_writes_inlines_declarations_into_the_sidecar_and_nothing_else_changes(tmp_path: Path) -> None:
    inline, separate = tmp_path / "inline.beancount", tmp_path / "books.beancount"
    run_sink(SINK, inline, sample_entries())
    run_sink(SINK, separate, sample_entries(), settings=SEPARATE)
    sidecar = Path(declarations_path(str(separate)))
    assert sidecar.name == "books.declarations.beancount"
    assert _declared(sidecar.read_text()) == _declared(inline.read_text())
    assert not _declared(separate.read_text())
    body = [line for line in inline.read_text().splitlines() if not line.startswith(("1970-01-01 ", "  name:", ";;"))]
    assert [line for line in separate.read_text().splitlines() if not line.startswith(";;")] == body
    main = tmp_path / "main.beancount"
    main.write_text(f'include "{sidecar.name}"\ninclude "books.beancount"\n')
    bean_check(main)
    with pytest.raises(AssertionError, match="unknown account"):
        bean_check(separate)  # alone, it lacks its declarations


def test_none_writes_no_declaration_and_auto_accounts_opens_them(tmp_path: Path) -> None:
    books = tmp_path / "books.beancount"
    run_sink(SINK, books, sample_entries(), settings=NONE)
    assert not _declared(books.read_text())
    assert not Path(declarations_path(str(books))).exists()
    main = tmp_path / "main.beancount"
    main.write_text('plugin "beancount.plugins.auto_accounts"\ninclude "books.beancount"\n')
    bean_check(main)


def test_the_sidecar_follows_the_checkpoint_after_a_crash(tmp_path: Path) -> None:
    books = tmp_path / "books.beancount"
    sidecar = Path(declarations_path(str(books)))
    entries = sample_entries()
    checkpoint = run_sink(SINK, books, entries[:3], settings=SEPARATE)
    committed = sidecar.read_text()
    # a run that commits more declarations and dies before the state records that commit
    sink = BeancountSink(str(books), RUN, SEPARATE, checkpoint)
    sink.write_transactions(JournalBuilder(RUN.chart, "Demo").build(entries[3:]))
    sink.commit()
    assert sidecar.read_text() != committed
    os.close(sink._out._fd)  # killed here: never closed
    BeancountSink(str(books), RUN, SEPARATE, checkpoint).close()
    assert sidecar.read_text() == committed, "the sidecar holds what the recorded commit needs, no more"
    sidecar.unlink()
    BeancountSink(str(books), RUN, SEPARATE, checkpoint).close()
    assert sidecar.read_text() == committed, "a lost sidecar is written back"


def test_a_first_commit_keeps_the_sidecar_staged_and_a_foreign_one_is_never_replaced(tmp_path: Path) -> None:
    books = tmp_path / "books.beancount"
    sidecar = Path(declarations_path(str(books)))
    sink = BeancountSink(str(books), RUN, SEPARATE)
    sink.write_transactions(JournalBuilder(RUN.chart, "Demo").build(sample_entries()[:3]))
    sink.commit()
    assert not sidecar.exists() and Path(staging_path(str(sidecar))).exists()
    sink.close()
    assert sidecar.exists() and not Path(staging_path(str(sidecar))).exists()
    books.unlink()
    with pytest.raises(StateError, match="state has no record of writing it"):
        BeancountSink(str(books), RUN, SEPARATE)


def test_a_file_keeps_the_setting_it_was_begun_with(tmp_path: Path) -> None:
    books = tmp_path / "books.beancount"
    checkpoint = run_sink(SINK, books, sample_entries()[:3])
    with pytest.raises(StateError, match="declarations = 'inline'"):
        BeancountSink(str(books), RUN, SEPARATE, checkpoint)


def test_the_setting_takes_three_values() -> None:
    with pytest.raises(ValueError, match="inline, none, separate"):
        JournalSettings("sidecar")


def test_the_merge_plugin_keeps_one_of_agreeing_declarations_and_all_that_disagree(tmp_path: Path) -> None:
    (tmp_path / "a.beancount").write_text(
        '1970-01-01 open Equity:X\n1970-01-01 commodity USD\n  name: "US dollar"\n2021-01-01 open Assets:Y USD\n'
    )
    (tmp_path / "b.beancount").write_text(
        '1970-01-01 open Equity:X\n1970-01-01 commodity USD\n2024-01-02 * "b"\n  Equity:X  1 USD\n  Equity:X  -1 USD\n'
    )
    main = tmp_path / "main.beancount"
    main.write_text(
        'plugin "ledgerport_beancount.merge_declarations"\n2020-01-01 open Equity:X\n'
        'include "a.beancount"\ninclude "b.beancount"\n'
    )
    bean_check(main)
    (tmp_path / "b.beancount").write_text("2021-01-01 open Assets:Y EUR\n")
    with pytest.raises(AssertionError, match="Duplicate open directive for Assets:Y"):
        bean_check(main)


def test_at_cost_the_home_currency_declaration_goes_to_the_sidecar_too(tmp_path: Path) -> None:
    inline, books = tmp_path / "inline.beancount", tmp_path / "books.beancount"
    kwargs: dict[str, Any] = {
        "prices": sample_prices(),
        "cost_basis": LotSettings(method="fifo"),
        "opening": sample_opening_lots(),
    }
    run_sink(SINK, inline, sample_entries(), **kwargs)
    run_sink(SINK, books, sample_entries(), settings=SEPARATE, **kwargs)
    sidecar = Path(declarations_path(str(books)))
    assert _declared(sidecar.read_text()) == _declared(inline.read_text())
    assert "1970-01-01 commodity USD" in _declared(sidecar.read_text())
    assert not _declared(books.read_text())
    main = tmp_path / "main.beancount"
    main.write_text(f'include "{sidecar.name}"\ninclude "books.beancount"\n')
    bean_check(main)
