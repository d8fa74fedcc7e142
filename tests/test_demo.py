"""`ledgerport demo` on the workspace's own plugins: every file it writes passes the real tools."""

from __future__ import annotations

import csv
import shlex
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledgerport_quickbooks.testing import assert_balanced, read_iif, read_qbo

from ledgerport.cli import cli
from ledgerport.engine import plugins
from ledgerport.testing import bean_check, hledger, ledger


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, set[str]]:
    out = tmp_path_factory.mktemp("demo")
    called: set[str] = set()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(plugins.PLUGINS_ENV, raising=False)
        patch.setattr(plugins, "_default", [])
        registry = plugins.default_registry()
        undo = registry.pm.add_hookcall_monitoring(lambda name, impls, kwargs: called.add(name), lambda *a: None)
        result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
        undo()
    assert result.exit_code == 0, result.output
    return out, result.stdout, called


@pytest.mark.parametrize("source", ["kucoin", "onekonto"])
def test_the_demo_writes_every_format_and_the_tools_accept_them(demo: tuple[Path, str, set[str]], source: str) -> None:
    out, _, _ = demo
    for suffix in (".csv", ".beancount", ".journal", ".iif", ".qbo.csv", ".postings.csv", ".koinly.csv", ".db"):
        assert (out / f"{source}{suffix}").stat().st_size > 0, suffix
    bean_check(out / f"{source}.beancount")
    hledger(out / f"{source}.journal", "check", "-s")
    ledger(out / f"{source}.journal", "balance")


@pytest.mark.parametrize("source", ["kucoin", "onekonto"])
def test_every_quickbooks_journal_balances_to_zero(demo: tuple[Path, str, set[str]], source: str) -> None:
    out, _, _ = demo
    iif, qbo = read_iif(out / f"{source}.iif"), read_qbo(out / f"{source}.qbo.csv")
    assert_balanced(iif)
    assert_balanced(qbo)
    assert len(iif) == len(qbo) > 100


def test_the_summary_says_what_was_written_and_how_to_check_it(demo: tuple[Path, str, set[str]]) -> None:
    out, stdout, called = demo
    assert "kucoin: " in stdout and "onekonto: " in stdout and "holdings: " in stdout
    checks = stdout.split("Check the books with the real tools:\n", 1)[1].split("\n")
    checks = [line.strip() for line in checks if line.strip()]
    assert f"bean-check {out.resolve() / 'kucoin.beancount'}" in checks
    assert f"hledger -f {out.resolve() / 'onekonto.journal'} check -s" in checks
    assert len(checks) == 6, "three commands, from the beancount and ledger sinks, for each of two sources"
    for check in checks:  # each sink's own commands, as printed, accept its files
        done = subprocess.run(shlex.split(check), capture_output=True, text=True, check=False)
        assert done.returncode == 0 and not done.stdout.startswith("error"), f"{check}: {done.stdout}{done.stderr}"
    assert "process_entries" in called


STABLECOINS = frozenset({"USD", "USDC", "USDT"})
DECIMALS = {"USD": 2, "USDC": 6, "USDT": 6, "BTC": 8, "ETH": 18}
"""The most decimals an amount of each asset may show; 8 for any other."""


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(-exponent, 0)


def _plausible(asset: str, value: Decimal) -> bool:
    return Decimal(0) <= value <= (Decimal(100_000) if asset in STABLECOINS else Decimal(1_000_000))


def _replay(path: Path) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], Decimal], dict[str, int]]:
    """Every holding's running balance, entry by entry in time order: (lowest, final, decimals per asset)."""
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    rows.sort(key=lambda row: row["timestamp"])  # stable: entries of one instant stay in the order written
    running: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    lowest: dict[tuple[str, str], Decimal] = {}
    decimals: dict[str, int] = defaultdict(int)
    for row in rows:
        key = (row["sub_account"], row["asset"])
        amount = Decimal(row["amount"])
        running[key] += amount
        lowest[key] = min(lowest.get(key, running[key]), running[key])
        decimals[row["asset"]] = max(decimals[row["asset"]], _decimals(amount))
    return lowest, dict(running), dict(decimals)


@pytest.mark.parametrize("source", ["kucoin", "onekonto"])
def test_no_holding_of_the_demo_ever_goes_below_zero(demo: tuple[Path, str, set[str]], source: str) -> None:
    out, _, _ = demo
    lowest, final, _ = _replay(out / f"{source}.csv")
    assert len(final) >= 4, "several holdings, of several assets"
    negative = {key: value for key, value in lowest.items() if value < 0}
    assert not negative, f"holdings below zero at some instant: {negative}"
    implausible = {key: value for key, value in final.items() if not _plausible(key[1], value)}
    assert not implausible, f"holdings no real account has: {implausible}"


@pytest.mark.parametrize("source", ["kucoin", "onekonto"])
def test_the_demo_amounts_have_each_assets_precision(demo: tuple[Path, str, set[str]], source: str) -> None:
    out, _, _ = demo
    _, _, decimals = _replay(out / f"{source}.csv")
    too_precise = {asset: places for asset, places in decimals.items() if places > DECIMALS.get(asset, 8)}
    assert not too_precise, f"more decimals than the asset has: {too_precise}"
    assert decimals.get("ETH", 0) <= 8, "ETH may have 18 decimals; a real account's amounts show fewer"


def test_the_printed_holdings_are_those_of_a_real_account(demo: tuple[Path, str, set[str]]) -> None:
    _, stdout, _ = demo
    lines = [line.split("holdings: ", 1)[1] for line in stdout.splitlines() if line.startswith("  holdings: ")]
    assert len(lines) == 2, stdout
    for line in lines:
        figures = [figure.split(" ") for figure in line.split(", ")]
        assert len(figures) >= 4, line
        for value, asset in figures:
            amount = Decimal(value)
            assert _plausible(asset, amount) and amount > 0, f"{value} {asset} in {line!r}"
            assert _decimals(amount) <= min(DECIMALS.get(asset, 8), 8), f"{value} {asset} in {line!r}"
