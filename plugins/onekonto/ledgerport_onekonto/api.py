"""The 1Konto API's vocabulary, shared by the connector and its sandbox so both speak the same contract."""

from __future__ import annotations

import hashlib

NAME = "onekonto"
LEDGER_PATH = "/api/v1/accounting/ledger/{account}"
ACCOUNT_PATH = "/api/v1/accounting/account/{account}"
"""Get Account: the account's balances per asset now (free, locked, ...), for reconciliation."""
DEFAULT_LOGIN_PATH = "/api/v1/identity/jwt"
EVENT_TYPES = (
    "invalid",
    "deposit",
    "withdrawal",
    "transferSent",
    "transferReceived",
    "trade",
    "manual",
    "order",
    "initialBalances",
)


def password_digest(password: str) -> str:
    """What 1Konto's login takes instead of the password itself: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(password.encode()).hexdigest()
