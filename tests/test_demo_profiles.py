"""The generators' demo profiles, for several seeds: a real person's account, whatever the seed, while
the sandboxes' defaults (every edge case, in bulk, for the other tests) stay as they were."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from ledgerport_kucoin.sandbox.demo import DAYS, demo_sandbox
from ledgerport_kucoin.sandbox.ledger import DEMO_PLACES as KUCOIN_PLACES
from ledgerport_onekonto.sandbox.ledger import ASSETS, generate_demo_ledger

START = datetime(2026, 1, 5, tzinfo=UTC)


def _places(text: str) -> int:
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(-exponent, 0)


@pytest.mark.parametrize("seed", [1, 2, 3, 7])
def test_the_kucoin_demo_never_holds_less_than_nothing(seed: int) -> None:
    sandbox = demo_sandbox(START, seed=seed)
    until = START + timedelta(days=DAYS)
    for stream in ("classic", "hf-spot", "hf-margin"):
        rows = sandbox.rows(stream, START, until)
        assert rows, stream
        for row in rows:
            assert Decimal(row["balance"]) >= 0, (stream, row)
            assert _places(row["amount"]) <= KUCOIN_PLACES[row["currency"]], (stream, row)
    futures: dict[str, Decimal] = defaultdict(Decimal)
    for row in sandbox.rows("futures", START, until):
        futures[row["currency"]] += Decimal(row["amount"])
        assert futures[row["currency"]] >= 0 and _places(row["amount"]) <= 2, row
    holdings = sandbox.holdings()
    assert all(Decimal(0) <= value < 100_000 for value in holdings.values()), holdings
    assert sum(value for (_, asset), value in holdings.items() if asset == "USDT") > 1_000
    assert 0 < sum(value for (_, asset), value in holdings.items() if asset == "BTC") < 1


@pytest.mark.parametrize("seed", [1, 2, 3, 7])
def test_the_onekonto_demo_never_holds_less_than_nothing(seed: int) -> None:
    ledger = generate_demo_ledger(seed=seed, since=START, until=START + timedelta(days=14), events=180)
    running: dict[str, Decimal] = defaultdict(Decimal)
    places = dict(ASSETS)
    kinds = set()
    for transaction in ledger:
        kinds.add(transaction.event_type)
        running[transaction.asset] += transaction.delta
        assert running[transaction.asset] >= 0, transaction
        assert _places(format(transaction.amount, "f")) <= min(places[transaction.asset], 8), transaction
    assert kinds == {"deposit", "withdrawal", "transferSent", "transferReceived", "trade", "manual"}, kinds
    assert set(running) == set(places) and all(value < 100_000 for value in running.values()), running
    assert running["BTC"] < 1
