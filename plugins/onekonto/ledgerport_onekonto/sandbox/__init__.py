"""A 1Konto-compatible sandbox server: real HTTP on 127.0.0.1 through `ledgerport.SandboxServer`.

    ledger = generate_ledger(since=..., until=..., events=2000)
    with SandboxServer(Sandbox(ledger, user="u@example.com", password="pw")) as server:
        ...  # sync against server.url; `ledger` is the ground truth

`python -m ledgerport_onekonto.sandbox --port 8080` runs one for a user.
"""

from __future__ import annotations

from .ledger import Ledger, Transaction, generate_ledger
from .server import Faults, Sandbox, Stats, TickingClock

__all__ = ["Faults", "Ledger", "Sandbox", "Stats", "TickingClock", "Transaction", "generate_ledger"]
