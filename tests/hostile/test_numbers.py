"""Numbers a source may send: exactly the documented grammar is read, anything else is a bad record."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sample import RECORDS, record
from test_engine import EXPECTED_CSV, run

from ledgerport import BadRecordError, exact, parse_decimal
from ledgerport.engine import plugins


@pytest.mark.parametrize(
    "text",
    [
        "1_000",
        "1 000",
        "\u0661\u0662",
        "0x10",
        "1e",
        "--1",
        "+-1",
        "1E+100000",
        "1E+99999999999999999999999",
        "0E-999999",
        "1E-101",
        "1" * 201,
        "sNaN",
    ],
)
def test_loose_or_unrepresentable_numbers_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a (finite )?number|out of range|digits"):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["-0.1", "+0.1", "-0"])
def test_a_sign_where_none_is_allowed_is_refused_not_flipped(text: str) -> None:
    with pytest.raises(ValueError, match="sign"):
        parse_decimal(text, signed=False)
    assert parse_decimal("0.1", signed=False) == Decimal("0.1")


def test_what_the_grammar_allows_stays_exact() -> None:
    assert [parse_decimal(t) for t in ("+1.5", ".5", "5.", "1E+100", "-1e-100", " 7 ")] == [
        Decimal("1.5"),
        Decimal("0.5"),
        Decimal("5"),
        Decimal("1E+100"),
        Decimal("-1E-100"),
        Decimal(7),
    ]
    with exact():
        assert parse_decimal("1E+100") + parse_decimal("1E-100") - parse_decimal("1E+100") == Decimal("1E-100")


@pytest.mark.parametrize(("field", "value"), [("amount", "1E+100000"), ("amount", "1_000"), ("fee", "-0.1")])
def test_an_unreadable_number_is_a_bad_record_the_quarantine_can_skip(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path, field: str, value: str
) -> None:
    bad = record("bad1", "2024-01-02T05:00:00", "1")
    bad[field] = value
    url = serve([*RECORDS, bad])
    with pytest.raises(BadRecordError, match=rf"record 'bad1': field '{field}'"):
        run(registry, url, tmp_path / "failed.csv")
    report = run(registry, url, tmp_path / "out.csv", on_bad_record="skip", quarantine=tmp_path / "q.jsonl")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV and report.skipped == 1
    assert json.loads((tmp_path / "q.jsonl").read_text())["field"] == field
