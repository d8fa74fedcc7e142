"""What KuCoin says each holding holds now, spelled as the streams spell their entries, for reconciliation.

- `GET /api/v1/accounts` (Management pool): `type` main, trade, trade_hf, margin → sub-accounts MAIN,
  TRADE, TRADE_HF, MARGIN (the ledgers' accountType), `balance` the total (available + holds);
- HF margin, asked of every account, so a margin ledger that was not read still shows as a
  difference: `GET /api/v3/margin/accounts?queryType=MARGIN_V2` (`accounts[].total`) and
  `GET /api/v3/isolated/accounts?queryType=ISOLATED_V2` (`assets[].baseAsset/quoteAsset.total`);
- futures, when read: `GET /api/v1/account-overview` per currency the futures ledger showed (and
  USDT), `marginBalance`: the equity less unrealised PnL, which is what the booked rows sum to.

A filtered sync holds only some entries, so only a currency filter is reconciled (on its currencies);
with a direction or bizType filter nothing can be compared. A unified account's balances are not
asked: their endpoint has no documented shape yet (the official SDK routes it without a model).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ledgerport import Holding, PageRequest, Session, parse_decimal

from .answers import read_data
from .discovery import ACCOUNTS, Found, overview
from .records import FUTURES_ASSETS
from .settings import Settings
from .streams import FuturesLedger

__all__ = ["CROSS", "ISOLATED", "balances"]

log = logging.getLogger("ledgerport.kucoin")

CROSS = PageRequest(path="/api/v3/margin/accounts", params=(("queryType", "MARGIN_V2"),), cost=15, pool="spot")
ISOLATED = PageRequest(path="/api/v3/isolated/accounts", params=(("queryType", "ISOLATED_V2"),), cost=15, pool="spot")


def _spot(data: Any) -> Iterable[Holding]:
    for row in data or ():
        yield Holding(str(row["type"]).upper(), str(row["currency"]), parse_decimal(row["balance"]))


def _cross(data: Any) -> Iterable[Holding]:
    for row in (data or {}).get("accounts") or ():
        yield Holding("MARGIN_V2", str(row["currency"]), parse_decimal(row["total"]))


def _isolated(data: Any) -> Iterable[Holding]:
    for pair in (data or {}).get("assets") or ():
        for side in ("baseAsset", "quoteAsset"):
            asset = pair.get(side) or {}
            if asset:
                yield Holding("ISOLATED_V2", str(asset["currency"]), parse_decimal(asset["total"]))


def _futures(session: Session, base_url: str, currencies: Iterable[str]) -> Iterable[Holding]:
    for currency in sorted({"USDT", "XBT", *currencies}):
        data: Mapping[str, Any] = session.fetch(overview(base_url, currency), read_data).cursor or {}
        if "marginBalance" in data:
            yield Holding("FUTURES", FUTURES_ASSETS.get(currency, currency), parse_decimal(data["marginBalance"]))


def _summed(holdings: Iterable[Holding]) -> list[Holding]:
    """One holding per (sub-account, asset): isolated margin lists an asset once per pair it is held in."""
    total: dict[tuple[str, str], Decimal] = {}
    for holding in holdings:
        key = (holding.sub_account, holding.asset)
        total[key] = total.get(key, Decimal(0)) + holding.balance
    return [Holding(sub, asset, balance) for (sub, asset), balance in sorted(total.items())]


def balances(settings: Settings, base_url: str, found: Found, session: Session) -> list[Holding] | None:
    if found.unified:
        log.info("kucoin: a unified account's balances are not reconciled (no documented answer shape)")
        return None
    if settings.direction or settings.biz_type:
        log.info("kucoin: a direction or bizType filter holds only part of each holding: nothing to reconcile")
        return None
    holdings = list(_spot(session.fetch(ACCOUNTS, read_data).cursor))
    holdings += _cross(session.fetch(CROSS, read_data).cursor)
    holdings += _isolated(session.fetch(ISOLATED, read_data).cursor)
    for stream in found.streams:
        if isinstance(stream, FuturesLedger):
            holdings += _futures(session, base_url, stream.currencies)
    if settings.currency:
        holdings = [h for h in holdings if h.asset in settings.currency]
    return _summed(holdings)
