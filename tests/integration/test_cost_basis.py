"""Issue 14's "done when": the KuCoin demo account (trades, income, internal transfers, margin, futures)
synced at cost into every book, for fifo, lifo, hifo and average.

The realized gains of the beancount, ledger, IIF, QBO and postings outputs agree with each other to the
cent and with the lot engine's bookings; each real tool accepts its file; beancount's own FIFO and HIFO
booking picks the same lots; a run in three parts writes the same bytes and lots as one run; books kept
otherwise (another method, or not at cost) are refused; a backfill before a disposal is refused.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from click.testing import CliRunner
from ledgerport_kucoin.sandbox.demo import PRICES, demo_sandbox
from ledgerport_quickbooks.testing import assert_balanced, read_iif, read_qbo

import ledgerport
from ledgerport import ConfigError, LedgerportError, exact, write_daily_prices
from ledgerport.books import BackfillError, Disposal, LotBook, LotError, LotSettings
from ledgerport.cli import cli
from ledgerport.engine.state import StateStore
from ledgerport.testing import bean_check, hledger, ledger

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 30
UNTIL = SINCE + timedelta(days=DAYS)
GAINS = "Income:Realized-Gains"
PLUGINS = {"LEDGERPORT_PLUGINS": "kucoin,csv,beancount,ledger,quickbooks,postings"}
BOOKS = {"beancount": "books.beancount", "ledger": "books.journal", "iif": "books.iif", "qbo": "books.qbo.csv"}
METHODS = ("fifo", "lifo", "hifo", "average")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "lots"
RP2 = json.loads((FIXTURES / "kucoin_demo_rp2.json").read_text(encoding="utf-8"))
_spec = importlib.util.spec_from_file_location("kucoin_demo", FIXTURES / "kucoin_demo.py")
assert _spec and _spec.loader
kucoin_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kucoin_demo)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The demo account's sandbox, its URL and credentials, and a price a day for every asset."""
    folder = tmp_path_factory.mktemp("prices")
    prices = write_daily_prices(folder / "prices.csv", PRICES, SINCE.date(), DAYS + 1)
    sandbox = demo_sandbox(SINCE)
    with sandbox.serve() as server:
        yield server.url, sandbox.credentials.env(), prices


def sync(
    demo: tuple[str, dict[str, str], Path],
    out: Path,
    sinks: dict[str, str],
    since: datetime | None = SINCE,
    until: datetime = UNTIL,
    **fields: Any,
) -> ledgerport.SyncReport:
    url, env, prices = demo
    request = ledgerport.SyncRequest(
        source="kucoin",
        since=since,
        until=until,
        base_url=url,
        sinks=[f"{name}:{out / target}" for name, target in sinks.items()],
        prices=[prices],
        state=out / "state.db",
        **fields,
    )
    return ledgerport.sync(request, registry=ledgerport.Registry.load(env=PLUGINS), env=env)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def beancount_gains(path: Path) -> Decimal:
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, errors
    with exact():
        return -sum(
            (p.units.number for e in entries if hasattr(e, "postings") for p in e.postings if p.account == GAINS),
            Decimal(0),
        )


def ledger_gains(path: Path) -> tuple[Decimal, Decimal]:
    """What hledger and ledger each say the realized gains are."""

    def number(text: str) -> Decimal:
        found = re.findall(r"(-?[\d,]+\.\d+|-?\d+)\s*USD", text) or re.findall(r"USD\s*(-?[\d,]+\.\d+)", text)
        return -Decimal(found[-1].replace(",", "")) if found else Decimal(0)

    return (
        number(hledger(path, "bal", GAINS, "--no-total", "-N")),
        number(ledger(path, "bal", f"^{GAINS}", "--no-total")),
    )


def quickbooks_gains(journals: dict[str, Any]) -> Decimal:
    with exact():
        return -sum(
            (amount for lines in journals.values() for account, amount, _ in lines if GAINS in account), Decimal(0)
        )


def postings_gains(path: Path) -> Decimal:
    with path.open(newline="", encoding="utf-8") as handle, exact():
        return sum((Decimal(row["gain"]) for row in csv.DictReader(handle) if row.get("gain")), Decimal(0))


@pytest.fixture(scope="module", params=METHODS)
def at_cost(
    request: pytest.FixtureRequest, demo: tuple[str, dict[str, str], Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, ledgerport.SyncReport]:
    out = tmp_path_factory.mktemp(request.param)
    report = sync(demo, out, {**BOOKS, "postings": "postings.csv", "csv": "entries.csv"}, cost_basis=request.param)
    return request.param, out, report


def test_done_when_every_book_books_the_same_gains_to_the_cent(at_cost: tuple[str, Path, Any]) -> None:
    method, out, report = at_cost
    assert report.entries > 300
    gains = {
        "beancount": beancount_gains(out / BOOKS["beancount"]),
        **dict(zip(("hledger", "ledger"), ledger_gains(out / BOOKS["ledger"]), strict=True)),
        "iif": quickbooks_gains(read_iif(out / BOOKS["iif"])),
        "qbo": quickbooks_gains(read_qbo(out / BOOKS["qbo"])),
        "postings": postings_gains(out / "postings.csv"),
    }
    assert len({_cents(g) for g in gains.values()}) == 1, gains
    assert gains["beancount"] != 0, f"{method}: the demo account realizes gains"


def test_every_tool_accepts_the_books_at_cost(at_cost: tuple[str, Path, Any]) -> None:
    _, out, _ = at_cost
    bean_check(out / BOOKS["beancount"])
    main = out / "main.beancount"  # the books need no option of their own, which beancount ignores in an include
    main.write_text(f'option "operating_currency" "USD"\ninclude "{BOOKS["beancount"]}"\n', encoding="utf-8")
    bean_check(main)
    hledger(out / BOOKS["ledger"], "check", "-s")
    ledger(out / BOOKS["ledger"], "--pedantic", "bal")
    assert_balanced(read_iif(out / BOOKS["iif"]))
    assert_balanced(read_qbo(out / BOOKS["qbo"]))


def test_each_quickbooks_holding_is_carried_at_the_cost_of_its_open_lots(at_cost: tuple[str, Path, Any]) -> None:
    _, out, _ = at_cost
    with StateStore(out / "state.db") as store:
        (key,) = [r.key for r in store.outputs() if r.key.sink.startswith("iif:")]
        state = store.lots(key)
    book = LotBook(LotSettings(method=state["method"]), ledgerport.PriceBook(), state=state)
    lots: dict[str, Decimal] = defaultdict(Decimal)
    for lot in book.open_lots():
        if not lot.in_transit:  # a lot on its way left its holding: the books carry it against the counterpart
            lots[f"{lot.holding}:{lot.asset}"] += lot.cost
    for name in ("iif", "qbo"):
        journals = (read_iif if name == "iif" else read_qbo)(out / BOOKS[name])
        carried: dict[str, Decimal] = defaultdict(Decimal)
        for lines in journals.values():
            for account, amount, _ in lines:
                if account in lots:
                    carried[account] += amount
        assert {k: v for k, v in carried.items() if v} == {k: v for k, v in lots.items() if v}, name


@pytest.mark.parametrize("booking", ["FIFO", "HIFO"])
def test_beancounts_own_booking_picks_the_same_lots(
    booking: str, demo: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    """With every reduction's lot left to beancount (`{}`), its own FIFO/HIFO booking must pick the lots
    ledgerport picked: otherwise the explicit gain postings would not balance and bean-check fails."""
    sync(demo, tmp_path, {"beancount": "books.beancount"}, cost_basis=booking.lower())
    text = (tmp_path / "books.beancount").read_text(encoding="utf-8")
    stripped = re.sub(r"(\n  \S+  -\S+ \S+) \{[^}]*\}", r"\1 {}", text)
    assert stripped != text
    rebooked = tmp_path / "rebooked.beancount"
    rebooked.write_text(f'option "booking_method" "{booking}"\n' + stripped, encoding="utf-8")
    bean_check(rebooked)


@pytest.mark.parametrize("method", ["fifo", "average"])
def test_a_run_in_three_parts_writes_the_bytes_and_lots_of_one_run(
    method: str, demo: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    sinks = {"beancount": "books.beancount", "ledger": "books.journal", "iif": "books.iif"}
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir(), parts.mkdir()
    sync(demo, whole, sinks, cost_basis=method)
    for start, end in ((SINCE, SINCE + timedelta(days=9)), (None, SINCE + timedelta(days=20)), (None, UNTIL)):
        sync(demo, parts, sinks, since=start, until=end, cost_basis=method)  # the later parts go on from the state
    for target in sinks.values():
        assert (parts / target).read_bytes() == (whole / target).read_bytes(), target
    lots = []
    for folder in (whole, parts):
        with StateStore(folder / "state.db") as store:
            lots.append(sorted(str(store.lots(r.key)) for r in store.outputs()))
    assert lots[0] == lots[1]


def test_books_kept_otherwise_are_refused_until_fresh(demo: tuple[str, dict[str, str], Path], tmp_path: Path) -> None:
    sinks = {"beancount": "books.beancount"}
    middle = SINCE + timedelta(days=5)
    sync(demo, tmp_path, sinks, until=middle)
    before = (tmp_path / "books.beancount").read_bytes()
    with pytest.raises(ConfigError, match="written without cost basis; write it anew with --fresh"):
        sync(demo, tmp_path, sinks, since=middle, until=UNTIL, cost_basis="fifo")
    sync(demo, tmp_path, sinks, until=middle, cost_basis="fifo", fresh=True)
    assert (tmp_path / "books.beancount").read_bytes() != before
    with pytest.raises(LotError, match="kept with method 'fifo', not 'lifo'"):
        sync(demo, tmp_path, sinks, since=middle, until=UNTIL, cost_basis="lifo")
    with pytest.raises(ConfigError, match="is kept at cost \\(fifo, wallet pool\\); give --cost-basis fifo"):
        sync(demo, tmp_path, sinks, since=middle, until=UNTIL)


def test_a_backfill_before_a_disposal_is_refused_and_writes_nothing(
    demo: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    sinks = {"beancount": "books.beancount"}
    later = {"cost_basis": "fifo", "on_missing_lots": "zero"}  # the holdings predate a range that starts later
    sync(demo, tmp_path, sinks, since=SINCE + timedelta(days=10), until=UNTIL, **later)
    before = (tmp_path / "books.beancount").read_bytes()
    with pytest.raises(BackfillError, match="lands before the last disposal"):
        sync(demo, tmp_path, sinks, since=SINCE, until=SINCE + timedelta(days=10), **later)
    after = (tmp_path / "books.beancount").read_bytes()
    # every committed byte is kept; only the last day's balance checks, which a run writes after its
    # last commit and the next run writes again, are gone until a run succeeds
    assert before.startswith(after)
    assert all(" balance " in line for line in before[len(after) :].decode().splitlines())


def test_ledgerport_lots_lists_the_open_lots_the_books_were_written_with(
    demo: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    sync(demo, tmp_path, {"beancount": "books.beancount"}, cost_basis="fifo")
    target = tmp_path / "books.beancount"
    result = CliRunner().invoke(cli, ["lots", f"beancount:{target}", "--state", str(tmp_path / "state.db")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert rows and list(rows[0]) == [
        "holding",
        "asset",
        "quantity",
        "acquired",
        "cost",
        "cost_currency",
        "lot_id",
        "in_transit",
    ]
    entries, errors, _ = loader.load_file(str(target))
    assert not errors
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        assert row["in_transit"] == "false"
        held[(row["holding"], row["asset"])] += Decimal(row["cost"])
    from beancount.core import realization

    accounts = realization.realize(entries)
    for (holding, asset), cost in held.items():
        node = realization.get(accounts, holding)
        at_cost = sum(
            (p.units.number * p.cost.number for p in node.balance if p.units.currency == asset and p.cost), Decimal(0)
        )
        assert _cents(at_cost) == cost, (holding, asset)
    again = CliRunner().invoke(cli, ["lots", f"csv:{target}", "--state", str(tmp_path / "state.db")])
    assert again.exit_code != 0


def test_opening_lots_without_cost_basis_are_an_error(demo: tuple[str, dict[str, str], Path], tmp_path: Path) -> None:
    lots = tmp_path / "opening.csv"
    lots.write_text(
        "date,sub_account,asset,quantity,cost,currency\n2023-06-01,MAIN,BTC,1,40000,USD\n", encoding="utf-8"
    )
    with pytest.raises(LedgerportError, match="not kept at cost: add --cost-basis"):
        sync(demo, tmp_path, {"beancount": "books.beancount"}, opening_lots=lots)


def test_the_events_rp2_was_given_are_what_the_demo_account_books(
    demo: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    """The fixture is still the sandbox's data as the lot engine values it (else run kucoin_demo.py again)."""
    assert (kucoin_demo.SINCE, kucoin_demo.DAYS) == (SINCE, DAYS)
    sync(demo, tmp_path, {"csv": "entries.csv"})
    rows = kucoin_demo.event_rows(kucoin_demo.read_entries(tmp_path / "entries.csv"), demo[2])
    assert rows == json.loads((FIXTURES / "kucoin_demo_events.json").read_text(encoding="utf-8"))["events"]


@pytest.mark.parametrize("method", ["fifo", "lifo", "hifo"])
def test_rp2_books_the_demo_accounts_gains(method: str, demo: tuple[str, dict[str, str], Path], tmp_path: Path) -> None:
    """rp2 keeps one pool per asset: the books at cost with `--lot-pool universal` against rp2's figures.

    rp2 costs each part taken from a lot at its unrounded unit cost; ledgerport rounds each part to the
    cent and keeps the exact rest in the lot, so a lot taken in many parts can put an asset's total a
    cent or two apart. The bound is half a cent per part taken (rp2's count); with fifo the demo's
    totals agree to the cent exactly."""
    sync(demo, tmp_path, {"ledger": "books.journal", "csv": "entries.csv"}, cost_basis=method, lot_pool="universal")
    figures = RP2["methods"][method]
    prices = ledgerport.PriceBook()
    prices.load(demo[2])
    book = LotBook(LotSettings(method=method, pool="universal"), prices)  # type: ignore[arg-type]
    per_asset: dict[str, Decimal] = defaultdict(Decimal)
    for booking in book.apply(kucoin_demo.read_entries(tmp_path / "entries.csv")):
        if isinstance(booking, Disposal):
            per_asset[booking.asset] += booking.gain
    assert set(per_asset) == set(figures)
    bound = Decimal(0)
    for asset, theirs in figures.items():
        apart = abs(per_asset[asset] - _cents(Decimal(theirs["gain"])))
        allowed = Decimal("0.005") * theirs["parts"] if method != "fifo" else Decimal(0)
        assert apart <= allowed, (asset, per_asset[asset], theirs["gain"])
        bound += allowed
    hledger_total, ledger_total = ledger_gains(tmp_path / "books.journal")
    total = sum(per_asset.values(), Decimal(0))
    assert hledger_total == ledger_total == total
    assert abs(total - sum((_cents(Decimal(f["gain"])) for f in figures.values()), Decimal(0))) <= bound
