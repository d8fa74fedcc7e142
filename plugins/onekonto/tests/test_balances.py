"""Reconciliation with Get Account: a sync that reaches the present compares each holding the account
reports (free + locked) with the books, over real HTTP to the sandbox; and the answers it refuses."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from ledgerport_onekonto import balances
from ledgerport_onekonto.api import ACCOUNT_PATH
from ledgerport_onekonto.sandbox import Faults, Ledger, TickingClock, generate_ledger
from ledgerport_onekonto.sandbox.ledger import ASSETS, to_ticks
from ledgerport_onekonto.sandbox.server import WRONG_BALANCE

from ledgerport import RateLimitedError, SourceError, TransientError, format_decimal
from ledgerport.cli import cli

ALL_ASSETS = {name for name, _ in ASSETS}


def recent(kit, **options) -> tuple[Ledger, datetime]:
    """A seeded ledger whose history ends a minute ago, as a live account's does, and where it starts."""
    now = datetime.now(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    return generate_ledger(account=kit.ACCOUNT, seed=9, since=start, until=now - timedelta(minutes=1), **options), start


def rows_by_asset(report) -> dict[str, tuple[Decimal, Decimal, Decimal, str]]:
    return {r.asset: (r.books, r.exchange, r.difference, r.opening) for r in report.reconciliation}


def test_a_sync_to_the_present_reconciles_every_holding_with_no_difference(kit) -> None:
    ledger, start = recent(kit, events=600)
    served = kit.serve(ledger)
    report = kit.sync(served.url, since=start, until=None)
    truth = ledger.balances()
    assert report.entries == len(ledger) and served.sandbox.stats.account_requests == 1
    assert {(r.sub_account, r.asset) for r in report.reconciliation} == {("", asset) for asset in ALL_ASSETS}
    assert rows_by_asset(report) == {asset: (total, total, Decimal(0), "history") for asset, total in truth.items()}
    # the sandbox really locked part of some holdings: taking `free` for the total would not reconcile
    assert any(locked for _, locked in ledger.holdings().values())
    # the books are the CSV's amounts, summed exactly
    written = kit.exact_sums((r["asset"], kit.parse(r["amount"])) for r in kit.rows())
    assert {a: v for a, v in written.items() if v} == {a: v for a, v in truth.items() if v}


def test_a_lying_balance_is_a_difference_in_the_warning_and_the_json_row(
    kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, only_plugins: Callable[[str], None], caplog
) -> None:
    ledger, start = recent(kit, events=300)
    served = kit.serve(ledger, hostile="wrong-balance")
    asset, extra = WRONG_BALANCE
    books = ledger.balances()[asset]
    with caplog.at_level(logging.WARNING):
        report = kit.sync(served.url, since=start, until=None)
    wrong = [r for r in report.reconciliation if r.difference]
    assert [(r.asset, r.books, r.exchange, r.difference) for r in wrong] == [(asset, books, books + extra, extra)]
    assert (
        f"onekonto: - {asset} does not reconcile: the books hold {format_decimal(books)}, onekonto reports "
        f"{format_decimal(books + extra)} (difference 0.00000001) in csv:{kit.out}"
    ) in caplog.text
    # the same through the command, as a user sees it: a row of the --json summary and a line on stderr
    only_plugins("onekonto,csv")
    for name, value in kit.CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "cli.csv"
    args = ["sync", "onekonto", "--account", kit.ACCOUNT, "--base-url", served.url, "--since", start.isoformat()]
    result = CliRunner().invoke(cli, [*args, "--sink", f"csv:{out}", "--no-state", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert [r for r in summary["reconciliation"] if Decimal(r["difference"])] == [
        {
            "output": f"csv:{out}",
            "sub_account": "",
            "asset": asset,
            "books": format_decimal(books),
            "exchange": format_decimal(books + extra),
            "difference": "0.00000001",
            "opening": "history",
        }
    ]
    assert f"onekonto: - {asset} does not reconcile: the books hold {format_decimal(books)}," in result.stderr
    plain = CliRunner().invoke(cli, [*args, "--sink", f"csv:{tmp_path / 'plain.csv'}", "--no-state"])
    assert f"reconciled {len(ALL_ASSETS)} holdings with onekonto: 1 differ" in plain.stderr


def test_an_asset_filter_reconciles_only_that_asset(kit) -> None:
    ledger, start = recent(kit, events=300)
    served = kit.serve(ledger, hostile="wrong-balance")  # BTC lies, but ETH is all this output holds
    report = kit.sync(served.url, since=start, until=None, options=("onekonto.asset=ETH",))
    assert {r["asset"] for r in kit.rows()} == {"ETH"}
    total = ledger.balances()["ETH"]
    assert rows_by_asset(report) == {"ETH": (total, total, Decimal(0), "history")}


def test_a_type_filter_is_not_reconciled(kit, caplog) -> None:
    ledger, start = recent(kit, events=300)
    served = kit.serve(ledger, hostile="wrong-balance")
    with caplog.at_level(logging.INFO, logger="ledgerport.onekonto"):
        report = kit.sync(served.url, since=start, until=None, options=("onekonto.type=deposit",))
    assert report.reconciliation == () and served.sandbox.stats.account_requests == 0
    assert "onekonto: a type filter (deposit) holds only part of each holding: nothing to reconcile" in caplog.text


def test_numbers_are_exact_beyond_28_digits(kit) -> None:
    """10^12 1INCH and 4 of its 18 decimals: 31 digits, split into free and locked, summed without rounding."""
    ledger = Ledger(kit.ACCOUNT)
    when = to_ticks(datetime.now(UTC) - timedelta(hours=3))
    inch = next(i for i, (name, _) in enumerate(ASSETS) if name == "1INCH")
    ledger._append(90_001, when, 0, inch, 10**30 + 1)  # initialBalances
    ledger._append(90_004, when + 10, 1, inch, 3)  # a deposit of 3E-18
    free, locked = ledger.holdings()["1INCH"]
    assert free and locked
    served = kit.serve(ledger)
    report = kit.sync(served.url, since=None, until=None)
    total = Decimal("1000000000000.000000000000000004")
    assert rows_by_asset(report)["1INCH"] == (total, total, Decimal(0), "history")
    assert all(r.exchange == r.books == 0 for r in report.reconciliation if r.asset != "1INCH")


def _get_account(url: str, account: str, token: str) -> httpx.Response:
    return httpx.get(url + balances.request_for(account).path, headers={"Authorization": f"Bearer {token}"})


def _token(kit, url: str) -> str:
    from ledgerport_onekonto.api import DEFAULT_LOGIN_PATH, password_digest

    answer = httpx.post(url + DEFAULT_LOGIN_PATH, json={"user": kit.USER, "password": password_digest(kit.PASSWORD)})
    return str(answer.json()["token"])


def test_the_sandbox_serves_get_account_in_the_documented_shape(kit) -> None:
    ledger, _ = recent(kit, events=100)
    served = kit.serve(ledger)
    answer = _get_account(served.url, kit.ACCOUNT, _token(kit, served.url))
    assert answer.status_code == 200
    body = json.loads(answer.content, parse_float=Decimal)
    assert (body["status"], body["httpStatusCode"], body["account"]["accountId"]) == ("OK", 200, kit.ACCOUNT)
    held = body["account"]["balances"]
    assert set(held) == ALL_ASSETS
    assert {frozenset(b) for b in held.values()} == {
        frozenset({"free", "locked", "limit", "pendingDeposit", "available"})
    }
    assert {a: b["free"] + b["locked"] for a, b in held.items()} == ledger.balances()
    assert _get_account(served.url, kit.ACCOUNT, "not-a-token").status_code == 401


def test_an_unknown_account_is_a_clear_error(kit) -> None:
    served = kit.serve()
    answer = _get_account(served.url, "GHOST 9", _token(kit, served.url))
    assert (answer.status_code, answer.json()) == (404, {"status": 404, "error": "Account ID Not Found"})
    with pytest.raises(SourceError) as caught:
        balances.read(balances.request_for("GHOST 9"), answer)
    assert str(caught.value) == (
        "onekonto: Get Account /api/v1/accounting/account/GHOST%209: account 'GHOST 9' not found "
        "(HTTP 404: Account ID Not Found); check --account"
    )


def _read(body: bytes, status: int = 200) -> list:
    request = balances.request_for("A1")
    return list(balances.read(request, httpx.Response(status, content=body)).cursor)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"account": {"balances": {"BTC": {"free": "12,5", "locked": 0}}}}', "'account.balances.BTC.free': not a"),
        (b'{"account": {"balances": {"BTC": {"free": 1}}}}', "field 'account.balances.BTC.locked': missing"),
        (b'{"account": {"balances": {"BTC": {"free": NaN, "locked": 0}}}}', "'account.balances.BTC.free': expected"),
        (b'{"account": {"balances": {"BTC": {"free": true, "locked": 0}}}}', "'account.balances.BTC.free': expected"),
        (b'{"account": {"balances": [1, 2]}}', "field 'account.balances': expected a JSON object, got list"),
        (b'{"status": "OK"}', "field 'account': expected a JSON object"),
        (b"[]", "expected a JSON object"),
        (b"<html>", "the answer is not JSON"),
        (b'{"status": 500, "error": "accounts store down"}', "Get Account /api/v1/accounting/account/A1: accounts"),
    ],
)
def test_a_malformed_answer_names_the_field(body: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=r"^onekonto: ") as caught:
        _read(body)
    assert message in str(caught.value)


def test_numbers_are_decoded_exactly_never_through_float() -> None:
    eth, usd = b'"ETH": {"free": 0.100000000000000001, "locked": 2}', b'"USD": {"free": 1, "locked": 0}'
    body = b'{"account": {"balances": {' + eth + b", " + usd + b"}}}"
    held = _read(body)
    assert [(h.sub_account, h.asset, h.balance) for h in held] == [
        ("", "ETH", Decimal("2.100000000000000001")),
        ("", "USD", Decimal(1)),
    ]


def test_get_account_asks_the_documented_path() -> None:
    assert balances.request_for("ACC/7 main").path == ACCOUNT_PATH.format(account="ACC%2F7%20main")


@pytest.mark.parametrize(("status", "error"), [(503, TransientError), (424, TransientError), (429, RateLimitedError)])
def test_a_failing_get_account_is_retried_like_any_request(status: int, error: type[SourceError]) -> None:
    with pytest.raises(error):
        _read(b'{"status": 503, "error": "accounts unavailable"}', status)


def test_expiring_tokens_and_faults_on_get_account_still_reconcile(kit) -> None:
    """Tokens die within a second of a clock that moves 0.1 s a request, and a tenth of the requests,
    Get Account's too, fail with 503 or 424: the sync logs in again, retries, and reconciles."""
    ledger, start = recent(kit, events=300)
    served = kit.serve(ledger, token_lifetime=0.9, clock=TickingClock(0.1), faults=Faults(error_rate=0.1, seed=3))
    report = kit.sync(served.url, since=start, until=None)
    stats = served.sandbox.stats
    assert stats.refused_tokens >= 1 and sum(stats.faults.values()) >= 1 and stats.account_requests == 1
    assert [r for r in report.reconciliation if r.difference] == [] and len(report.reconciliation) == len(ALL_ASSETS)


def test_a_sync_from_mid_history_derives_its_openings_then_the_next_run_proves_them(kit, tmp_path: Path) -> None:
    """From the day after the opening balances, the books cannot know what each holding held before:
    the first reconciliation derives it from Get Account (`exchange`, no difference by construction);
    the next run, continuing the output, compares for real and names the lie it is then told."""
    ledger, start = recent(kit, events=300)
    served = kit.serve(ledger)
    state = tmp_path / "state.db"
    first = kit.sync(served.url, since=start + timedelta(days=1), until=None, state=state)
    assert {r.opening for r in first.reconciliation} == {"exchange"}
    assert [r for r in first.reconciliation if r.difference] == []
    served.sandbox.hostile = "wrong-balance"  # the same server starts to lie
    second = kit.sync(served.url, since=None, until=None, state=state)
    asset, extra = WRONG_BALANCE
    assert [(r.asset, r.difference, r.opening) for r in second.reconciliation if r.difference] == [
        (asset, extra, "exchange")
    ]
