"""Issue 15: journal numbers unique per source and account (a per-file prefix), and the dates' format
(`date_format`), both kept by a file for good: an existing file never mixes two kinds."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from ledgerport_quickbooks import IifSettings, IifSink, QboSink, Settings
from ledgerport_quickbooks.fairvalue import ADJUSTMENT
from ledgerport_quickbooks.numbers import MAX_LENGTH, JournalNumbers, default_prefix
from ledgerport_quickbooks.testing import read_iif, read_qbo

from ledgerport import ConfigError, Entry, JournalBuilder, PluginError, RunInfo, SinkType
from ledgerport.books import LotSettings, PriceBook, Rate
from ledgerport.engine.config import build_settings
from ledgerport.testing import run_sink, sample_entries, sample_opening_lots, sample_prices

GOLDEN = Path(__file__).parent / "golden"
SINKS = {
    "iif": SinkType(name="iif", description="", open=IifSink, settings=IifSettings),
    "qbo": SinkType(name="qbo", description="", open=QboSink, settings=Settings),
}
SUFFIX = {"iif": "iif", "qbo": "csv"}
Journals = dict[str, list[tuple[str, Any, str]]]
Reader = Callable[..., Journals]
READERS: dict[str, Reader] = {"iif": read_iif, "qbo": read_qbo}
OLD = re.compile(r"\d{6}-[0-9A-Z]{4}")


@pytest.fixture(params=["iif", "qbo"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def moved(entries: list[Entry], source: str, account: str) -> list[Entry]:
    """The same ledger as another source's or account's."""
    return [attrs.evolve(e, source=source, account=account) for e in entries]


def write(fmt: str, path: Path, entries: list[Entry] | None = None, **settings: Any) -> Any:
    return run_sink(
        SINKS[fmt], path, entries or sample_entries(), prices=sample_prices(), settings=SINKS[fmt].settings(**settings)
    )


def run_info(entries: list[Entry], days: int = 3, **kw: Any) -> RunInfo:
    first = entries[0].timestamp.replace(hour=0, minute=0, second=0, microsecond=0)
    return RunInfo(
        source=entries[0].source,
        source_title="Demo",
        account=entries[0].account,
        since=first,
        until=first + timedelta(days=days),
        prices=sample_prices(),
        **kw,
    )


def window(fmt: str, path: Path, entries: list[Entry], checkpoint: Any, settings: Settings | None = None) -> Any:
    """One run of one window: opened at `checkpoint`, committed, closed."""
    run = run_info(entries)
    run.prices.learn(transactions := JournalBuilder(run.chart, "Demo").build(entries))
    sink = SINKS[fmt].open(str(path), run, settings or SINKS[fmt].settings(), checkpoint)
    sink.write_entries(entries)
    sink.write_transactions(transactions)
    checkpoint = sink.commit()
    sink.close()
    return checkpoint


# --- journal numbers: a prefix per source and account -------------------------------------------


def test_the_default_prefix_is_two_characters_of_a_hash_of_source_and_account() -> None:
    assert default_prefix("kucoin", "default") == "SA", "the same on every machine and in every version"
    number = int.from_bytes(hashlib.sha256(b"kucoin:default").digest()[:8], "big")
    assert (
        default_prefix("kucoin", "default")
        == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[number % 26] + ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(number // 26) % 36])
    )
    prefixes = {default_prefix(source, account) for source in ("kucoin", "onekonto") for account in ("default", "a")}
    assert len(prefixes) == 4 and all(re.fullmatch(r"[A-Z][0-9A-Z]", p) for p in prefixes)


def test_two_files_from_two_sources_or_accounts_have_disjoint_journal_numbers(fmt: str, tmp_path: Path) -> None:
    runs = {("demo", "main"): "H5", ("kucoin", "default"): "SA", ("kucoin", "alice"): "YX"}
    numbers: dict[tuple[str, str], set[str]] = {}
    for (source, account), prefix in runs.items():
        path = tmp_path / f"{source}-{account}.{SUFFIX[fmt]}"
        checkpoint = write(fmt, path, moved(sample_entries(), source, account))
        journals = READERS[fmt](path)
        assert len(journals) > 10 and all(n.startswith(prefix) for n in journals)
        assert checkpoint["state"]["journal_prefix"] == prefix
        numbers[(source, account)] = set(journals)
    first, second, third = numbers.values()
    assert not first & second and not first & third and not second & third
    # the same ledger, the same numbers but for the prefix: day and counter read alike in every file
    assert {n[2:] for n in first} == {n[2:] for n in second} == {n[2:] for n in third}


def test_numbers_stay_within_11_characters_and_unique_across_runs(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"runs.{SUFFIX[fmt]}"
    entries = sample_entries()
    day1 = [e for e in entries if e.timestamp.date() == date(2024, 3, 1)]
    # day 1 in two runs, then the rest: every run opens the file at the last one's checkpoint
    checkpoint = window(fmt, path, day1[:3], None)
    checkpoint = window(fmt, path, day1[3:], checkpoint)
    checkpoint = window(fmt, path, [e for e in entries if e not in day1], checkpoint)
    journals = READERS[fmt](path)  # the reader refuses a number used twice
    assert all(len(n) == MAX_LENGTH for n in journals)
    day1_numbers = [n for n in journals if n[2:8] == "240301"]
    assert day1_numbers == [f"H5240301{i:03}" for i in range(1, len(day1_numbers) + 1)]
    assert checkpoint["state"]["numbers"]["240301"] == len(day1_numbers)
    # the same ledger in one run a day (run_sink reopens at each day's checkpoint) gets the same numbers
    once = tmp_path / f"once.{SUFFIX[fmt]}"
    write(fmt, once)
    assert list(READERS[fmt](once)) == list(journals)


def test_journal_prefix_is_used_and_its_length_sets_the_counters(fmt: str, tmp_path: Path) -> None:
    for prefix, first in (("kc", "KC240301001"), ("K", "K2403010001"), ("KC1", "KC124030101")):
        path = tmp_path / f"{prefix}.{SUFFIX[fmt]}"
        checkpoint = write(fmt, path, journal_prefix=prefix)
        journals = READERS[fmt](path)
        assert next(iter(journals)) == first and all(len(n) == MAX_LENGTH for n in journals)
        assert checkpoint["state"]["journal_prefix"] == prefix.upper()


@pytest.mark.parametrize("prefix", ["", "ABCD", "1A", "7", "K-", "K Z", "KÜ"])
def test_journal_prefix_is_validated_naming_the_setting(fmt: str, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"journal_prefix: expected 1 to 3 letters \(A-Z\) and digits, a letter first"):
        SINKS[fmt].settings(journal_prefix=prefix)
    with pytest.raises(ConfigError, match=f"sinks.{fmt}.*journal_prefix"):
        build_settings(
            SINKS[fmt].settings, path=f"sinks.{fmt}", file_values={}, env={}, overrides={"journal_prefix": prefix}
        )


def test_a_day_that_runs_out_of_numbers_says_so() -> None:
    day = date(2024, 3, 1)
    for prefix, per_day in ((None, 36**4 - 1), ("K", 36**4 - 1), ("KC", 36**3 - 1), ("KC1", 36**2 - 1)):
        numbers = JournalNumbers({"240301": per_day - 1}, prefix)
        assert numbers.per_day == per_day
        assert numbers.next(day).endswith("Z" * numbers.width)
        with pytest.raises(PluginError, match=f"more than {per_day} journal entries on 2024-03-01: no number is left"):
            numbers.next(day)
    with pytest.raises(PluginError, match="a shorter journal_prefix leaves more a day"):
        JournalNumbers({"240301": 1295}, "KC1").next(day)


def test_a_changed_journal_prefix_is_refused_for_a_file_that_holds_entries(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"p.{SUFFIX[fmt]}"
    entries = sample_entries()
    checkpoint = window(fmt, path, entries[:3], None, SINKS[fmt].settings(journal_prefix="KC"))
    before = path.read_text()
    with pytest.raises(
        ConfigError, match=r"journal_prefix KA: the journal numbers of .* carry the prefix KC; .*--fresh"
    ):
        window(fmt, path, entries[3:], checkpoint, SINKS[fmt].settings(journal_prefix="KA"))
    assert path.read_text() == before, "refused before the file is opened"
    # unset, the file goes on with its own prefix, not the one the run would derive
    window(fmt, path, entries[3:], checkpoint)
    assert all(n.startswith("KC") for n in READERS[fmt](path))


# --- files begun before prefixes ----------------------------------------------------------------


def _old(text: str) -> str:
    """What the version before prefixes wrote: `YYMMDD-NNNN` for `H5YYMMDDNNN`."""
    return re.sub(r"\bH5(\d{6})([0-9A-Z]{3})\b", r"\g<1>-0\2", text)


def old_file(fmt: str, path: Path, entries: list[Entry]) -> Any:
    """A file and its checkpoint as the version before prefixes and date_format left them."""
    checkpoint = window(fmt, path, entries, None)
    path.write_text(_old(path.read_text()))
    data = path.read_bytes()
    state = {k: v for k, v in checkpoint["state"].items() if k not in ("journal_prefix", "date_format")}
    return {"offset": len(data), "sha256": hashlib.sha256(data).hexdigest(), "state": state}


def test_a_file_begun_before_prefixes_keeps_its_numbers(
    fmt: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / f"old.{SUFFIX[fmt]}"
    entries = sample_entries()
    checkpoint = old_file(fmt, path, entries[:3])
    with caplog.at_level(logging.WARNING):
        checkpoint = window(fmt, path, entries[3:], checkpoint)
    assert "keeps the journal numbers it was begun with (YYMMDD-NNNN, no prefix)" in caplog.text
    assert "journal_prefix" not in checkpoint["state"] and checkpoint["state"]["date_format"] == "MM/DD/YYYY"
    journals = READERS[fmt](path)
    assert all(OLD.fullmatch(n) for n in journals), list(journals)
    # what the earlier version would have written, byte for byte
    new = tmp_path / f"new.{SUFFIX[fmt]}"
    window(fmt, new, entries[3:], window(fmt, new, entries[:3], None))
    assert path.read_text() == _old(new.read_text()) != new.read_text()


def test_an_old_file_refuses_a_journal_prefix_and_another_date_format(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"old.{SUFFIX[fmt]}"
    entries = sample_entries()
    checkpoint = old_file(fmt, path, entries[:3])
    before = path.read_text()
    with pytest.raises(ConfigError, match=r"journal_prefix KC: .* was begun with journal numbers without a prefix"):
        window(fmt, path, entries[3:], checkpoint, SINKS[fmt].settings(journal_prefix="KC"))
    with pytest.raises(ConfigError, match=r"date_format DD/MM/YYYY: .* holds dates written MM/DD/YYYY"):
        window(fmt, path, entries[3:], checkpoint, SINKS[fmt].settings(date_format="DD/MM/YYYY"))
    assert path.read_text() == before


def test_an_old_checkpoint_of_a_file_without_entries_starts_the_new_numbers(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"empty.{SUFFIX[fmt]}"
    # a first run that wrote nothing: its checkpoint holds no count, so no number is in the file
    sink = SINKS[fmt].open(str(path), run_info(sample_entries()), SINKS[fmt].settings(), None)
    sink.write_transactions([])
    checkpoint = sink.commit()
    sink.close()
    checkpoint["state"] = {k: v for k, v in checkpoint["state"].items() if k not in ("journal_prefix", "date_format")}
    checkpoint = window(fmt, path, sample_entries()[:3], checkpoint, SINKS[fmt].settings(date_format="DD/MM/YYYY"))
    assert checkpoint["state"]["journal_prefix"] == "H5"
    assert all(n.startswith("H5") for n in READERS[fmt](path, "DD/MM/YYYY"))


# --- dates --------------------------------------------------------------------------------------


def _swapped(text: str) -> str:
    return re.sub(r"\b(\d\d)/(\d\d)/(\d{4})\b", r"\2/\1/\3", text)


def test_dd_mm_yyyy_is_written_in_every_date_of_both_files_the_fair_value_entry_too(fmt: str, tmp_path: Path) -> None:
    kw: dict[str, Any] = {
        "prices": sample_prices(),
        "opening": sample_opening_lots(),
        "cost_basis": LotSettings(),
    }
    us, other = tmp_path / f"us.{SUFFIX[fmt]}", tmp_path / f"dd.{SUFFIX[fmt]}"
    run_sink(SINKS[fmt], us, sample_entries(), settings=SINKS[fmt].settings(fair_value_at="2024-03-01"), **kw)
    kw["prices"] = sample_prices()
    checkpoint = run_sink(
        SINKS[fmt],
        other,
        sample_entries(),
        settings=SINKS[fmt].settings(fair_value_at="2024-03-01", date_format="DD/MM/YYYY"),
        **kw,
    )
    assert checkpoint["state"]["date_format"] == "DD/MM/YYYY"
    assert other.read_text() == _swapped(us.read_text()), "the same file, every date day first"
    journals = READERS[fmt](other, "DD/MM/YYYY")
    adjustment = [n for n, lines in journals.items() if any(ADJUSTMENT in a for a, _, _ in lines)]
    assert len(adjustment) == 1
    rows = [row for row in other.read_text().splitlines() if adjustment[0] in row]
    assert rows and all(("\t01/03/2024\t" if fmt == "iif" else ",01/03/2024,") in row for row in rows)
    assert "03/01/2024" not in other.read_text()


def test_the_readers_check_the_dates_against_the_files_format(fmt: str, tmp_path: Path) -> None:
    deposit = attrs.evolve(sample_entries()[0], timestamp=datetime(2024, 3, 15, 9, 30, tzinfo=UTC))
    prices = PriceBook()
    prices.add("BTC", "USD", date(2024, 3, 15), Rate(Decimal(40000)))
    path = tmp_path / f"dd.{SUFFIX[fmt]}"
    settings = SINKS[fmt].settings(date_format="DD/MM/YYYY")
    run_sink(SINKS[fmt], path, [deposit], prices=prices, settings=settings)
    assert "15/03/2024" in path.read_text() and "03/15/2024" not in path.read_text()
    assert list(READERS[fmt](path, "DD/MM/YYYY")) == ["H5240315001"]
    with pytest.raises(AssertionError, match="'15/03/2024' is not a date as MM/DD/YYYY"):
        READERS[fmt](path)


@pytest.mark.parametrize("value", ["YYYY-MM-DD", "mm/dd/yyyy", "DD.MM.YYYY", ""])
def test_date_format_is_validated_naming_the_setting(fmt: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"date_format: expected MM/DD/YYYY or DD/MM/YYYY, not '{re.escape(value)}'"):
        SINKS[fmt].settings(date_format=value)
    with pytest.raises(ConfigError, match=f"sinks.{fmt}.*date_format"):
        build_settings(
            SINKS[fmt].settings, path=f"sinks.{fmt}", file_values={}, env={}, overrides={"date_format": value}
        )


def test_another_date_format_for_an_existing_file_is_refused(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"d.{SUFFIX[fmt]}"
    entries = sample_entries()
    checkpoint = window(fmt, path, entries[:3], None, SINKS[fmt].settings(date_format="DD/MM/YYYY"))
    before = path.read_text()
    for settings in (SINKS[fmt].settings(), SINKS[fmt].settings(date_format="MM/DD/YYYY")):
        with pytest.raises(
            ConfigError,
            match=r"date_format MM/DD/YYYY: .* holds dates written DD/MM/YYYY, and a file must not change format "
            r"mid-way; set date_format = 'DD/MM/YYYY' for it, or write it anew with --fresh",
        ):
            window(fmt, path, entries[3:], checkpoint, settings)
    assert path.read_text() == before
    window(fmt, path, entries[3:], checkpoint, SINKS[fmt].settings(date_format="DD/MM/YYYY"))
    assert len(READERS[fmt](path, "DD/MM/YYYY")) > 10


def test_a_new_file_after_fresh_takes_the_settings_anew(fmt: str, tmp_path: Path) -> None:
    """`--fresh` forgets the checkpoint: the file is begun again with what the settings say."""
    path = tmp_path / f"f.{SUFFIX[fmt]}"
    write(fmt, path)
    entries = sample_entries()
    run = attrs.evolve(run_info(entries), replace=True)
    sink = SINKS[fmt].open(str(path), run, SINKS[fmt].settings(journal_prefix="KC", date_format="DD/MM/YYYY"), None)
    sink.write_transactions(JournalBuilder(run.chart, "Demo").build(entries))
    sink.commit()
    sink.close()
    assert all(n.startswith("KC") for n in READERS[fmt](path, "DD/MM/YYYY"))
