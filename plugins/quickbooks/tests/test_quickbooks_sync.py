"""End to end: KuCoin's sandbox over HTTP into both QuickBooks files, through the CLI and the Python API."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ledgerport_kucoin.sandbox import KucoinSandbox

import ledgerport
import ledgerport.engine.plugins
from ledgerport import write_daily_prices
from ledgerport.cli import cli

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 1, 5, tzinfo=UTC)
MEMO = re.compile(
    r"(-?\d[\d.]* [A-Z0-9]+( @@ [\d.]+ [A-Z0-9]+)?|rounding to USD cents); id kucoin:default:\S+; entries "
)
"""The crypto quantity (or the rounding), then the full source id."""
PRICES = {"BTC": "42123.45", "ETH": "2300.5", "USDT": "0.9997", "1INCH": "0.4567", "KCS": "10.12", "XRP": "0.61"}


def price_file(path: Path, currency: str = "USD", leave_out: str = "") -> Path:
    """A price a day for every asset the sandbox trades, each day a little higher."""
    prices = {asset: price for asset, price in PRICES.items() if asset != leave_out}
    return write_daily_prices(path, prices, SINCE.date(), (UNTIL - SINCE).days, currency)


@pytest.fixture
def sandbox() -> Iterator[tuple[KucoinSandbox, str]]:
    kucoin = KucoinSandbox(seed=5, days=6, rate_limit=None)
    with kucoin.serve() as server:
        yield kucoin, server.url


@pytest.fixture
def invoke(
    sandbox: tuple[KucoinSandbox, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    only_plugins: Callable[[str], None],
) -> Callable[..., Result]:
    kucoin, url = sandbox
    for name, value in kucoin.credentials.env().items():
        monkeypatch.setenv(name, value)
    only_plugins("kucoin,quickbooks")

    def run(*args: str) -> Result:
        return CliRunner().invoke(
            cli,
            [
                "sync",
                "kucoin",
                "--base-url",
                url,
                "--since",
                "2024-01-01",
                "--until",
                "2024-01-05",
                "--state",
                str(tmp_path / "state.db"),
                *args,
            ],
        )

    return run


def mentioned(journals: dict[str, list[tuple[str, Decimal, str]]]) -> set[str]:
    """The entry ids the memos carry."""
    return {
        i
        for lines in journals.values()
        for _, _, memo in lines
        for i in re.search(r"entries ([^;]+)", memo).group(1).split(",")
    }  # type: ignore[union-attr]


def test_cli_sync_writes_balanced_iif_and_qbo_files_carrying_every_entry(
    sandbox: tuple[KucoinSandbox, str],
    invoke: Callable[..., Result],
    tmp_path: Path,
    readers: dict[str, Callable[[Path], dict]],
    balanced: Callable[[dict], None],
) -> None:
    iif, qbo = tmp_path / "k.iif", tmp_path / "k.csv"
    result = invoke(
        "--sink",
        f"iif:{iif}",
        "--sink",
        f"qbo:{qbo}",
        "--prices",
        str(price_file(tmp_path / "prices.csv")),
        "--home-currency",
        "USD",
    )
    assert result.exit_code == 0, result.output
    journals = {name: readers[name](path) for name, path in (("iif", iif), ("qbo", qbo))}
    for each in journals.values():
        balanced(each)
    assert journals["iif"] == journals["qbo"], "both files hold the same entries under the same numbers"
    expected = {row["id"]: row for row in sandbox[0].expected(SINCE, UNTIL)}
    carried = mentioned(journals["iif"])
    # the leg a move into Staking, Earn or Lending gets in the books is named for the row that made it
    derived = {i for i in carried if i.rsplit(":", 1)[-1] in {"STAKING", "EARN", "LENDING", "VOTING"}}
    assert {i.rsplit(":", 1)[0] for i in derived} <= set(expected)
    carried -= derived
    assert carried <= set(expected) and len(carried) > 100
    for missing in set(expected) - carried:  # only dust is left out: worth less than half a cent
        row = expected[missing]
        assert Decimal(row["amount"]) * Decimal(PRICES[row["currency"]]) * Decimal("1.04") < Decimal("0.005"), row
    memos = [memo for lines in journals["iif"].values() for _, _, memo in lines]
    assert all(MEMO.match(memo) for memo in memos), [memo for memo in memos if not MEMO.match(memo)][:3]


def test_api_sync_is_incremental_in_another_home_currency(
    sandbox: tuple[KucoinSandbox, str],
    tmp_path: Path,
    readers: dict[str, Callable[[Path], dict]],
    balanced: Callable[[dict], None],
) -> None:
    kucoin, url = sandbox
    registry = ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": "kucoin,quickbooks"})
    prices = price_file(tmp_path / "eur.csv", currency="EUR")

    def sync(out: Path, state: Path, until: datetime) -> None:
        request = ledgerport.SyncRequest(
            source="kucoin",
            since=SINCE,
            until=until,
            sinks=[f"qbo:{out}"],
            base_url=url,
            state=state,
            prices=prices,
            home_currency="EUR",
        )
        ledgerport.sync(request, env=kucoin.credentials.env(), registry=registry)

    sync(tmp_path / "twice.csv", tmp_path / "a.db", SINCE + timedelta(days=2))
    sync(tmp_path / "twice.csv", tmp_path / "a.db", UNTIL)
    sync(tmp_path / "once.csv", tmp_path / "b.db", UNTIL)
    twice, once = readers["qbo"](tmp_path / "twice.csv"), readers["qbo"](tmp_path / "once.csv")
    balanced(twice)
    assert twice == once


def test_a_missing_price_stops_the_sync_naming_asset_currency_and_day(
    invoke: Callable[..., Result], tmp_path: Path
) -> None:
    result = invoke(
        "--sink", f"iif:{tmp_path / 'k.iif'}", "--prices", str(price_file(tmp_path / "p.csv", leave_out="KCS"))
    )
    assert result.exit_code == 1
    assert "error: no price for KCS in USD on 2024-01-01: " in result.stderr
    assert "Add a line '2024-01-01,KCS,USD,PRICE' to the --prices file." in result.stderr
    assert (tmp_path / "k.iif").read_text() == "", "the first window failed: nothing of it is written"


# --- at cost (issue 14): the KuCoin demo account, with trades, income and internal transfers ----

DEMO_DAYS = 30
FAIR_VALUE_AT = "2024-01-15"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    from ledgerport_kucoin.sandbox.demo import PRICES as DEMO_PRICES
    from ledgerport_kucoin.sandbox.demo import demo_sandbox

    prices = write_daily_prices(tmp_path_factory.mktemp("p") / "prices.csv", DEMO_PRICES, SINCE.date(), DEMO_DAYS + 1)
    sandbox = demo_sandbox(SINCE)
    with sandbox.serve() as server:
        yield server.url, sandbox.credentials.env(), prices


def sync_at_cost(demo: tuple[str, dict[str, str], Path], out: Path, since: datetime | None, until: datetime) -> None:
    url, env, prices = demo
    request = ledgerport.SyncRequest(
        source="kucoin",
        since=since,
        until=until,
        base_url=url,
        sinks=[f"iif:{out / 'books.iif'}", f"qbo:{out / 'books.csv'}"],
        prices=[prices],
        state=out / "state.db",
        cost_basis="fifo",
        options=(f"iif.fair_value_at={FAIR_VALUE_AT}", f"qbo.fair_value_at={FAIR_VALUE_AT}"),
    )
    registry = ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": "kucoin,quickbooks"})
    ledgerport.sync(request, registry=registry, env=env)


def test_at_cost_a_sync_in_three_parts_writes_the_bytes_of_one_and_the_fair_value_adjustment_once(
    demo: tuple[str, dict[str, str], Path],
    tmp_path: Path,
    readers: dict[str, Callable[[Path], dict]],
    balanced: Callable[[dict], None],
) -> None:
    until = SINCE + timedelta(days=DEMO_DAYS)
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir(), parts.mkdir()
    sync_at_cost(demo, whole, SINCE, until)
    # the second part ends with the adjustment's day: its run writes it past its last commit, the third
    # cuts it off and writes it again before its first transaction
    for start, end in ((SINCE, datetime(2024, 1, 10, tzinfo=UTC)), (None, datetime(2024, 1, 16, tzinfo=UTC))):
        sync_at_cost(demo, parts, start, end)
    assert "id fair-value:2024-01-15" in (parts / "books.iif").read_text().splitlines()[-2]
    sync_at_cost(demo, parts, None, until)
    for name in ("books.iif", "books.csv"):
        assert (parts / name).read_bytes() == (whole / name).read_bytes(), name
    journals = {"iif": readers["iif"](whole / "books.iif"), "qbo": readers["qbo"](whole / "books.csv")}
    assert journals["iif"] == journals["qbo"]
    balanced(journals["iif"])
    adjusted = [n for n, lines in journals["iif"].items() if any("Fair-Value-Adjustment" in a for a, _, _ in lines)]
    assert len(adjusted) == 1 and adjusted[0][2:8] == "240115"
    gains = sum(
        (v for lines in journals["iif"].values() for a, v, _ in lines if a == "Income:Realized-Gains"), Decimal(0)
    )
    assert gains


# --- issue 15: numbers per source and account, the dates' format --------------------------------


def test_cli_two_accounts_files_have_disjoint_numbers_and_a_file_keeps_its_date_format(
    invoke: Callable[..., Result], tmp_path: Path, readers: dict[str, Callable[..., dict]]
) -> None:
    from ledgerport_quickbooks.numbers import default_prefix

    prices = str(price_file(tmp_path / "prices.csv"))
    files = {}
    for account in ("alice", "bob"):
        files[account] = tmp_path / f"{account}.csv"
        result = invoke(
            "--account",
            account,
            "--sink",
            f"qbo:{files[account]}",
            "--prices",
            prices,
            "--set",
            "qbo.date_format=DD/MM/YYYY",
            "--state",
            str(tmp_path / f"{account}.db"),
        )
        assert result.exit_code == 0, result.output
    alice, bob = (readers["qbo"](files[a], "DD/MM/YYYY") for a in ("alice", "bob"))
    assert alice and bob and not set(alice) & set(bob)
    assert {n[:2] for n in alice} == {default_prefix("kucoin", "alice")}
    assert {n[:2] for n in bob} == {default_prefix("kucoin", "bob")}
    before = files["alice"].read_bytes()
    # the same file, the state at its checkpoint, the US format asked for: refused, the file untouched
    result = invoke(
        "--account",
        "alice",
        "--sink",
        f"qbo:{files['alice']}",
        "--prices",
        prices,
        "--state",
        str(tmp_path / "alice.db"),
    )
    assert result.exit_code != 0
    assert "date_format MM/DD/YYYY" in result.output and "holds dates written DD/MM/YYYY" in result.output
    assert "--fresh" in result.output
    assert files["alice"].read_bytes() == before
