"""A KuCoin-compatible sandbox exchange, served over real HTTP on 127.0.0.1.

    from ledgerport_kucoin.sandbox import KucoinSandbox, RateLimit, Faults

    sandbox = KucoinSandbox(seed=7, days=60, rate_limit=RateLimit(limit=100, period=0.1),
                            faults=Faults(bad_gateway=0.03))
    with sandbox.serve() as server:
        request = ledgerport.SyncRequest(source="kucoin", base_url=server.url, since=..., until=..., sinks=[...])
        ledgerport.sync(request, env=sandbox.credentials.env())
    sandbox.expected(since, until)   # the ground truth

`KucoinSandbox(account="multi")` is an HF account with margin and futures, `account="unified"` a
Unified Trading Account; `hide="futures"` serves one ledger empty while its balances stay, and
`latency_ms` delays every answer. `python -m ledgerport_kucoin.sandbox --port 8080` runs one for a
user to try the connector (`--account`, `--hide`, `--latency MS`).
"""

from __future__ import annotations

from .gateway import Credentials, Faults, RateLimit
from .ledger import QUIET_WEEKDAYS, GeneratedLedger
from .server import KucoinSandbox, SandboxStats

__all__ = ["QUIET_WEEKDAYS", "Credentials", "Faults", "GeneratedLedger", "KucoinSandbox", "RateLimit", "SandboxStats"]
