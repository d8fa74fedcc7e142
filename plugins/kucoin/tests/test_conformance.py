"""The kucoin connector against ledgerport's connector conformance kit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from ledgerport_kucoin.auth import KucoinAuth
from ledgerport_kucoin.sandbox import KucoinSandbox
from ledgerport_kucoin.settings import Settings

from ledgerport import Secret
from ledgerport.testing import ConformanceTarget, ConnectorConformance

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC)


class TestKucoinConformance(ConnectorConformance):
    @pytest.fixture
    def conformance(self) -> Iterator[ConformanceTarget]:
        sandbox = KucoinSandbox(seed=3, start=SINCE, days=5, per_day=20)
        credentials = sandbox.credentials
        settings = Settings(
            api_key=Secret(credentials.key),
            api_secret=Secret(credentials.secret),
            api_passphrase=Secret(credentials.passphrase),
        )

        def sign(request: httpx.Request) -> httpx.Request:
            return next(KucoinAuth(settings, "http://unused", clock=lambda: 1_704_067_200.0).auth_flow(request))

        with sandbox.serve() as server:
            yield ConformanceTarget(
                connector="kucoin",
                base_url=server.url,
                env=credentials.env(),
                wrong_env={**credentials.env(), "KUCOIN_API_SECRET": "not-the-sandbox-secret"},
                secrets=[credentials.secret, credentials.passphrase],
                since=SINCE,
                until=UNTIL,
                expected={row["id"]: row["amount"] for row in sandbox.expected(SINCE, UNTIL)},
                unknown_kind_record={
                    "id": "65a0000000000000000000aa",
                    "currency": "BTC",
                    "amount": "0.5",
                    "fee": "0",
                    "balance": "1.5",
                    "accountType": "MAIN",
                    "bizType": "Galactic Lottery",
                    "direction": "in",
                    "createdAt": 1704067200000,
                    "context": "",
                },
                unknown_kind_stream="classic",
                sign=sign,
            )
