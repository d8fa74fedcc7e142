"""FakeX's server side, for tests and for trying the connector: serve `FakexSandbox().handle` with
`ledgerport.SandboxServer`. Its ledger is generated from a seed, so the ground truth is known."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerport import SandboxRequest, SandboxResponse, json_response, parse_instant

from . import signature

TYPES = ("deposit", "withdrawal", "fill", "fee", "interest")
PAGE = 7


class FakexSandbox:
    def __init__(
        self,
        *,
        key: str = "fakex-key",
        secret: str = "fakex-secret-0001",
        seed: int = 1,
        start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
        days: int = 21,
        per_day: int = 6,
    ) -> None:
        self.key, self.secret = key, secret
        rng = random.Random(seed)
        self.movements: list[dict[str, Any]] = []
        for day in range(days):
            for n in range(per_day):
                at = start + timedelta(days=day, seconds=0 if n == 0 else rng.randrange(86_400))
                self.movements.append(
                    {
                        "uid": f"m{day:03d}{n:02d}",
                        "at": at.isoformat().replace("+00:00", "Z"),
                        "coin": rng.choice(("BTC", "ETH", "USDT")),
                        "type": rng.choice(TYPES),
                        "delta": f"{rng.choice('-+')}{rng.randrange(1, 10**9)}e-8".replace("+", ""),
                    }
                )
        self.movements.sort(key=lambda m: (m["at"], m["uid"]))

    def env(self) -> dict[str, str]:
        return {"FAKEX_API_KEY": self.key, "FAKEX_API_SECRET": self.secret}

    def expected(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        return [m for m in self.movements if since <= parse_instant(m["at"]) < until]

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        good = signature(self.secret, request.method, request.target)
        if request.headers.get("x-key") != self.key or request.headers.get("x-signature") != good:
            return json_response({"error": "bad signature"}, status=401)
        lo, hi = parse_instant(request.query["from"]), parse_instant(request.query["to"])
        rows = [m for m in self.movements if lo <= parse_instant(m["at"]) <= hi]
        cursor = int(request.query.get("cursor", "0"))
        following = cursor + PAGE if cursor + PAGE < len(rows) else None
        return json_response({"movements": rows[cursor : cursor + PAGE], "next": following})
