"""Sandbox ledgers to books, as issue 5 asks: one sync into csv, beancount, ledger, iif and qbo; every
journal accepted by the real tools, every QuickBooks journal balanced, and the holdings in the books
adding up to the exact signed sum of the ledger. For KuCoin and for 1Konto."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from ledgerport_kucoin.mapping import counter_of
from ledgerport_kucoin.sandbox import KucoinSandbox
from ledgerport_onekonto.sandbox import Sandbox, generate_ledger
from ledgerport_quickbooks.testing import assert_balanced, read_iif, read_qbo

import ledgerport
from ledgerport import Kind, SandboxServer, exact, write_daily_prices
from ledgerport.testing import bean_check, hledger, ledger

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
SINKS = {"csv": "csv", "beancount": "beancount", "ledger": "journal", "iif": "iif", "qbo": "qbo.csv"}
PRICES = {
    "BTC": "42123.45",
    "ETH": "2300.5",
    "USDT": "0.9997",
    "USDC": "1.0001",
    "1INCH": "0.4567",
    "KCS": "10.12",
    "XRP": "0.61",
}


def _sync(connector: str, url: str, env: dict[str, str], out: Path, days: int, account: str | None = None) -> Path:
    prices = write_daily_prices(out / "prices.csv", PRICES, SINCE.date(), days)
    request = ledgerport.SyncRequest(
        source=connector,
        since=SINCE,
        until=SINCE + timedelta(days=days),
        base_url=url,
        account=account,
        sinks=[f"{name}:{out / f'books.{suffix}'}" for name, suffix in SINKS.items()],
        prices=[prices],
        home_currency="USD",
    )
    registry = ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": f"{connector},csv,beancount,ledger,quickbooks"})
    ledgerport.sync(request, registry=registry, env=env)
    return out


@pytest.fixture(scope="module", params=["kucoin", "onekonto"])
def books(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    out = tmp_path_factory.mktemp(request.param)
    if request.param == "kucoin":
        # an HF account: its HF ledgers' running balances are what the journals assert (the classic
        # ledger's balance is deprecated and no longer carried)
        sandbox = KucoinSandbox(seed=11, start=SINCE, days=60, per_day=30, account="multi")
        with sandbox.serve() as server:
            yield "KuCoin", _sync("kucoin", server.url, sandbox.credentials.env(), out, 60)
    else:
        until = SINCE + timedelta(days=14)
        ledger_ = generate_ledger(account="ACC-1", seed=3, since=SINCE, until=until, events=700)
        with SandboxServer(Sandbox(ledger_, user="u@example.com", password="books-password-1")) as server:
            env = {"ONEKONTO_USER": "u@example.com", "ONEKONTO_PASSWORD": "books-password-1"}
            yield "1Konto", _sync("onekonto", server.url, env, out, 14, account="ACC-1")


def csv_sums(path: Path) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(newline="", encoding="utf-8") as file, exact():
        for row in csv.DictReader(file):
            sums[row["asset"]] += Decimal(row["amount"])
    return {asset: total for asset, total in sums.items() if total}


def test_bean_check_accepts_the_beancount_journal(books: tuple[str, Path]) -> None:
    title, out = books
    bean_check(out / "books.beancount")
    if title == "KuCoin":
        assert f" balance Assets:{title}:" in (out / "books.beancount").read_text(), "no balance was asserted"


def test_hledger_and_ledger_accept_the_journal_strictly(books: tuple[str, Path]) -> None:
    title, out = books
    hledger(out / "books.journal", "check", "-s")
    ledger(out / "books.journal", "balance")
    if title == "KuCoin":
        assert " = " in (out / "books.journal").read_text(), "no running balance was asserted"


OWN = "(Staking|Earn|Lending|Voting)"
"""KuCoin's sub-accounts without a ledger (`OWN_SUB_ACCOUNTS`): the books keep the coins moved there."""


def _assets(path: Path, *query: str) -> dict[str, Decimal]:
    report = hledger(path, "balance", *query, "-O", "csv", "--layout=bare", "-N", "--depth", "2")
    return {row["commodity"]: Decimal(row["balance"]) for row in csv.DictReader(io.StringIO(report)) if row["balance"]}


def test_hledger_holdings_equal_the_exact_signed_sum_of_the_ledger(books: tuple[str, Path]) -> None:
    title, out = books
    holdings = _assets(out / "books.journal", f"^Assets:{title}", f"not:^Assets:{title}:{OWN}$")
    expected = csv_sums(out / "books.csv")
    assert {c: q for c, q in holdings.items() if q} == expected
    assert "1INCH" in expected
    # what went into Staking, Earn, Lending or votes is still the owner's: minus the rows that moved it
    moved: dict[str, Decimal] = defaultdict(Decimal)
    with (out / "books.csv").open(newline="", encoding="utf-8") as file, exact():
        for row in csv.DictReader(file):
            if counter_of(row["description"], Kind(row["kind"])):  # the bizType, for these rows
                moved[row["asset"]] -= Decimal(row["amount"])
    assert _assets(out / "books.journal", f"^Assets:{title}:{OWN}$") == {a: q for a, q in moved.items() if q}
    assert bool(moved) == (title == "KuCoin")


def test_trade_legs_are_one_priced_transaction(books: tuple[str, Path]) -> None:
    _, out = books
    text = (out / "books.journal").read_text()
    assert " @@ " in text


def test_every_quickbooks_journal_balances_to_zero(books: tuple[str, Path]) -> None:
    _, out = books
    iif, qbo = read_iif(out / "books.iif"), read_qbo(out / "books.qbo.csv")
    assert_balanced(iif)
    assert_balanced(qbo)
    assert len(iif) == len(qbo) > 50
