"""The onekonto connector against ledgerport's connector conformance kit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from ledgerport_onekonto.sandbox import Sandbox, generate_ledger

from ledgerport import SandboxServer, format_decimal
from ledgerport.testing import ConformanceTarget, ConnectorConformance

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)
USER, PASSWORD = "grace@example.com", "conformance-password-77"


class TestOnekontoConformance(ConnectorConformance):
    @pytest.fixture
    def conformance(self) -> Iterator[ConformanceTarget]:
        ledger = generate_ledger(account="ACC-9", seed=9, since=SINCE, until=UNTIL, events=300)
        credentials = {"ONEKONTO_USER": USER, "ONEKONTO_PASSWORD": PASSWORD}
        with SandboxServer(Sandbox(ledger, user=USER, password=PASSWORD)) as server:
            yield ConformanceTarget(
                connector="onekonto",
                base_url=server.url,
                account="ACC-9",
                env=credentials,
                wrong_env={**credentials, "ONEKONTO_PASSWORD": "not-the-right-password"},
                secrets=[PASSWORD],
                since=SINCE,
                until=UNTIL,
                expected={t.transaction_id: format_decimal(t.delta) for t in ledger.between(SINCE, UNTIL)},
                unknown_kind_record={
                    "ordering": 1,
                    "accountId": "ACC-9",
                    "transactionId": "unknown-kind-1",
                    "asset": "BTC",
                    "amount": 1,
                    "eventType": "galacticLottery",
                    "eventTime": "2024-01-01T00:00:00.0000000Z",
                },
            )
