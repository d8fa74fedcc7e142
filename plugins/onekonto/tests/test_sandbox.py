"""The sandbox itself: its data is deterministic and shaped like 1Konto's, and it keeps the API's contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

import httpx
import pytest
from ledgerport_onekonto.api import password_digest
from ledgerport_onekonto.sandbox import Ledger, generate_ledger

LEDGER_PATH = "/api/v1/accounting/ledger/ACC%2F7%20main"


def test_the_same_seed_gives_the_same_ledger_and_another_seed_another() -> None:
    args = {"since": datetime(2024, 1, 1, tzinfo=UTC), "until": datetime(2024, 1, 2, tzinfo=UTC), "events": 300}
    one, two, other = generate_ledger(seed=9, **args), generate_ledger(seed=9, **args), generate_ledger(seed=10, **args)
    assert [one.record_json(i) for i in range(len(one))] == [two.record_json(i) for i in range(len(two))]
    assert [one.record_json(i) for i in range(len(one))] != [other.record_json(i) for i in range(len(other))]


def test_the_data_has_the_shapes_a_client_must_handle(ledger: Ledger) -> None:
    transactions = list(ledger)
    orderings = [t.ordering for t in transactions]
    assert orderings == sorted(orderings) and any(b - a > 1 for a, b in pairwise(orderings))
    assert [t.timestamp for t in transactions] == sorted(t.timestamp for t in transactions)
    legs = [t for t in transactions if t.event_type == "trade"]
    for source, destination in zip(legs[::2], legs[1::2], strict=True):
        assert (source.sub_event_type, destination.sub_event_type) == ("source", "destination")
        assert (source.ordering, source.event_time) == (destination.ordering, destination.event_time)
        assert source.delta < 0 < destination.delta
    assert {t.event_type for t in transactions} == {
        "initialBalances",
        "deposit",
        "withdrawal",
        "transferSent",
        "transferReceived",
        "trade",
        "manual",
        "order",
        "invalid",
    }
    assert any(t.event_type == "manual" and t.amount < 0 for t in transactions)
    assert any(t.delta < 0 < t.amount for t in transactions)  # shown positive, flows out: the sign is the event's
    assert any(-t.amount.as_tuple().exponent == 18 for t in transactions)
    assert len({t.transaction_id for t in transactions}) == len(transactions)
    assert len(ledger.between(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 2, 0, 0, 0, 1, UTC))) >= 1


def test_records_are_served_as_json_numbers_at_full_precision(ledger: Ledger) -> None:
    for index in range(0, len(ledger), 97):
        text, truth = ledger.record_json(index), ledger.transaction(index)
        assert f'"amount":{format(truth.amount, "f")},' in text
        assert ledger.record(index)["amount"] == truth.amount and len(truth.event_time) == 28


@pytest.fixture
def client(kit) -> Iterator[httpx.Client]:
    served = kit.serve(short_every=0)
    with httpx.Client(base_url=served.url) as client:
        yield client


def login(client: httpx.Client, password: str) -> httpx.Response:
    return client.post("/api/v1/identity/jwt", json={"user": "ada@example.com", "password": password})


def test_login_takes_the_hex_sha256_of_the_password(client: httpx.Client, kit) -> None:
    assert login(client, kit.PASSWORD).json() == {"status": 401, "error": "invalid user or password"}
    assert login(client, password_digest("wrong")).status_code == 401
    assert login(client, password_digest(kit.PASSWORD)).json()["token"].count(".") == 2


def test_the_ledger_keeps_the_apis_contract(client: httpx.Client, kit) -> None:
    token = login(client, password_digest(kit.PASSWORD)).json()["token"]

    def get(**params: object) -> httpx.Response:
        return client.get(LEDGER_PATH, params=params, headers={"Authorization": f"Bearer {token}"})

    assert client.get(LEDGER_PATH, params={"max": 5}).json() == {"status": 401, "error": "missing bearer token"}
    assert get().json() == {"status": 400, "error": "max is required"}
    assert get(max=1000).text.count('"ordering"') == 100  # capped
    first = json.loads(get(max=1).content)  # time filters are optional: the ledger from its first transaction
    assert [r["transactionId"] for r in first] == [kit.ledger.transaction(0).transaction_id]
    day = get(max=5, startTimeUtc="2024-01-02T00:00:00.0000000Z", endTimeUtc="2024-01-03T00:00:00.0000000Z")
    records = json.loads(day.content, parse_float=Decimal)
    assert records[0]["eventTime"] == "2024-01-02T00:00:00.0000000Z"  # both bounds inclusive
    again = json.loads(get(max=3, startAtOrdering=records[2]["ordering"]).content)
    assert again[0]["ordering"] == records[2]["ordering"]  # startAtOrdering is inclusive
    filtered = json.loads(get(max=50, asset="ETH", type="trade").content)
    assert {(r["asset"], r["eventType"]) for r in filtered} == {("ETH", "trade")}
    assert get(max=1, type="bogus").status_code == 400


def test_python_m_runs_a_sandbox_for_a_user() -> None:
    command = [sys.executable, "-m", "ledgerport_onekonto.sandbox", "--port", "0", "--events", "50"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            first = process.stdout.readline()  # type: ignore[union-attr]
            found = re.match(r"1Konto sandbox on (http://127\.0\.0\.1:\d+): account DEMO-1, \d+ transactions", first)
            assert found, first
            body = {"user": "demo@example.com", "password": password_digest("sandbox-password")}
            assert httpx.post(f"{found[1]}/api/v1/identity/jwt", json=body).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_latency_delays_every_answer_and_overlaps_for_requests_in_flight() -> None:
    """`--latency MS` (issue 16): each answer waits, and two requests in flight wait together, as round
    trips to a real server do, so concurrency is measurable against the sandbox."""
    from concurrent.futures import ThreadPoolExecutor

    from ledgerport_onekonto.sandbox import Sandbox

    from ledgerport import SandboxServer

    ledger = generate_ledger(
        account="LAT-1",
        seed=2,
        since=datetime(2024, 1, 1, tzinfo=UTC),
        until=datetime(2024, 1, 2, tzinfo=UTC),
        events=20,
    )
    with SandboxServer(Sandbox(ledger, user="u@example.com", password="pw-latency-1", latency_ms=200)) as server:
        body = {"user": "u@example.com", "password": password_digest("pw-latency-1")}
        with httpx.Client(base_url=server.url) as client:
            started = time.monotonic()
            assert client.post("/api/v1/identity/jwt", json=body).status_code == 200
            alone = time.monotonic() - started
        with ThreadPoolExecutor(4) as pool:
            started = time.monotonic()
            answers = list(pool.map(lambda _: httpx.post(f"{server.url}/api/v1/identity/jwt", json=body), range(4)))
            together = time.monotonic() - started
    assert all(a.status_code == 200 for a in answers)
    assert alone >= 0.2
    assert together < 4 * 0.2  # four round trips in flight took less than four in a row
