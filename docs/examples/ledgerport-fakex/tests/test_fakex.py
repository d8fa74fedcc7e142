"""FakeX against ledgerport's connector conformance kit: what every connector must pass."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from ledgerport_fakex import FakexAuth, Settings
from ledgerport_fakex.sandbox import FakexSandbox

from ledgerport import SandboxServer, Secret
from ledgerport.testing import ConformanceTarget, ConnectorConformance

SINCE, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 15, 12, tzinfo=UTC)


class TestFakexConformance(ConnectorConformance):
    @pytest.fixture
    def conformance(self) -> Iterator[ConformanceTarget]:
        sandbox = FakexSandbox()
        auth = FakexAuth(Settings(api_key=Secret(sandbox.key), api_secret=Secret(sandbox.secret)))
        with SandboxServer(sandbox.handle) as server:
            yield ConformanceTarget(
                connector="fakex",
                base_url=server.url,
                env=sandbox.env(),
                wrong_env={**sandbox.env(), "FAKEX_API_SECRET": "fakex-wrong-secret"},
                secrets=[sandbox.secret],
                since=SINCE,
                until=UNTIL,
                expected={m["uid"]: m["delta"] for m in sandbox.expected(SINCE, UNTIL)},
                unknown_kind_record={
                    "uid": "x1",
                    "at": "2024-01-01T00:00:00Z",
                    "coin": "BTC",
                    "delta": "1",
                    "type": "lottery",
                },
                sign=lambda request: next(auth.auth_flow(request)),
            )
