"""What 1Konto says the account holds now, for reconciliation: Get Account's balances, spelled as the entries are.

`GET /api/v1/accounting/account/{accountId}` answers `{"account": {"accountId", "type", "name",
"balances": {"BTC": {"free", "locked", "limit", "pendingDeposit", "available"}, ...}, "sources":
[...]}, "status": "OK", "httpStatusCode": 200}`. A holding's total is free + locked (`available`
and `limit` describe what can be spent, not what is held; `pendingDeposit` has not arrived, and the
ledger books it when it does). The entries leave `sub_account` empty, so each holding is
`Holding("", asset, free + locked)`, the asset as the balances' key spells it (the ledger's `asset`).

An `asset` filter holds that asset's transactions whole, so its holding is reconciled and the others
are left out; a `type` filter holds only part of every holding, so nothing is compared.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

import httpx

from ledgerport import Holding, Page, PageRequest, Session, SourceError, exact, parse_decimal

from .api import ACCOUNT_PATH, NAME
from .errors import describe, error_for
from .settings import Settings

__all__ = ["balances", "read", "request_for"]

log = logging.getLogger("ledgerport.onekonto")

_TOTAL = ("free", "locked")


def request_for(account: str) -> PageRequest:
    return PageRequest(path=ACCOUNT_PATH.format(account=quote(account, safe="")))


def _malformed(request: PageRequest, field: str, reason: str) -> SourceError:
    return SourceError(f"{NAME}: {request.path}: field {field!r}: {reason}")


def _amount(request: PageRequest, value: Any, field: str) -> Decimal:
    if value is None:
        raise _malformed(request, field, "missing")
    try:
        return parse_decimal(value)
    except ValueError as exc:
        raise _malformed(request, field, str(exc)) from None


def _holdings(request: PageRequest, body: Any) -> list[Holding]:
    account = body.get("account")
    if not isinstance(account, dict):
        raise _malformed(request, "account", f"expected a JSON object, got {json.dumps(account, default=str)[:80]}")
    listed = account.get("balances")
    if not isinstance(listed, dict):
        raise _malformed(request, "account.balances", f"expected a JSON object, got {type(listed).__name__}")
    holdings = []
    for asset, balance in listed.items():
        if not asset:
            raise _malformed(request, "account.balances", "an empty asset name")
        where = f"account.balances.{asset}"
        if not isinstance(balance, dict):
            raise _malformed(request, where, f"expected a JSON object, got {type(balance).__name__}")
        free, locked = (_amount(request, balance.get(part), f"{where}.{part}") for part in _TOTAL)
        with exact():  # 10^12 with 18 decimals is 31 digits: the default context would round it
            holdings.append(Holding("", asset, free + locked))
    return holdings


def read(request: PageRequest, response: httpx.Response) -> Page:
    """Decode Get Account's answer, numbers straight to Decimal; the holdings are the page's cursor."""
    if response.status_code == 404:
        account = unquote(request.path.rpartition("/")[2])
        raise SourceError(
            f"{NAME}: Get Account {request.path}: account {account!r} not found (HTTP 404: {describe(response)}); "
            "check --account"
        )
    if response.status_code != 200:
        raise error_for(response, request.path)
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise SourceError(f"{NAME}: {request.path}: the answer is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise SourceError(f"{NAME}: {request.path}: expected a JSON object, got: {describe(response)}")
    if "account" not in body and ("error" in body or "errors" in body):  # an error shape with HTTP 200
        raise SourceError(f"{NAME}: Get Account {request.path}: {describe(response)}")
    return Page(request=request, records=[], cursor=_holdings(request, body))


def balances(settings: Settings, account: str, session: Session) -> list[Holding] | None:
    """The holdings to reconcile with: all of them, only the `asset` filter's, or None under a `type` filter."""
    if settings.type:
        log.info("%s: a type filter (%s) holds only part of each holding: nothing to reconcile", NAME, settings.type)
        return None
    holdings: list[Holding] = session.fetch(request_for(account), read).cursor
    if settings.asset:
        holdings = [holding for holding in holdings if holding.asset == settings.asset]
    return holdings
