"""KuCoin sandbox to books: every journal the project writes is accepted by the real tools, and the
holdings in the books add up to the exact signed sum of the ledger."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import ledgerport
from ledgerport.testing import bean_check, hledger, ledger
from ledgerport_kucoin.sandbox import KucoinSandbox

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("books")
    sandbox = KucoinSandbox(seed=11, start=SINCE, days=60, per_day=30)
    with sandbox.serve() as server:
        ledgerport.sync(
            "kucoin", since=SINCE, until=UNTIL, base_url=server.url, env=sandbox.credentials.env(),
            sinks=[f"csv:{out / 'k.csv'}", f"beancount:{out / 'k.beancount'}", f"ledger:{out / 'k.journal'}"],
            registry=ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": "kucoin,csv,beancount,ledger"}),
        )
    yield out


def csv_sums(path: Path) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            sums[row["asset"]] += Decimal(row["amount"])
    return dict(sums)


def test_bean_check_accepts_the_beancount_journal(books: Path) -> None:
    bean_check(books / "k.beancount")
    assert " balance Assets:KuCoin:" in (books / "k.beancount").read_text(), "no running balance was asserted"


def test_hledger_and_ledger_accept_the_journal_strictly(books: Path) -> None:
    hledger(books / "k.journal", "check", "-s")
    ledger(books / "k.journal", "balance")
    assert " = " in (books / "k.journal").read_text(), "no running balance was asserted"


def test_hledger_holdings_equal_the_exact_signed_sum_of_the_ledger(books: Path) -> None:
    report = hledger(books / "k.journal", "balance", "^Assets:KuCoin", "-O", "csv", "--layout=bare", "-N",
                     "--depth", "2")
    holdings = {row["commodity"]: Decimal(row["balance"]) for row in csv.DictReader(io.StringIO(report))}
    expected = {asset: total for asset, total in csv_sums(books / "k.csv").items() if total}
    assert {c: q for c, q in holdings.items() if q} == expected
    assert "1INCH" in expected
