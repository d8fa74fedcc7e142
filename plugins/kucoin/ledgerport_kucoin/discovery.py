"""Which ledgers an account has, asked of KuCoin once per sync.

- `GET /api/ua/v2/account/mode` (the official SDK's route): `selfAccountMode` UNIFIED means a Unified
  Trading Account, read from its own ledger (FUNDING and UNIFIED) and nothing else, since its moves
  are all there. An account that has never seen the unified mode may answer this with a refusal: it
  is then a classic account (an answer that never arrives, or server errors, stop the sync instead:
  a unified account read as classic would look complete and be empty).
- Otherwise the classic ledger, always; the HF spot and HF margin ledgers when `GET
  /api/v1/hf/accounts/opened` says true or `GET /api/v1/accounts` lists a `trade_hf` account (HF
  margin costs a request a window even when empty, which beats missing a migrated margin account;
  the margin balances are reconciled for every account, so one read nowhere still shows); the
  futures ledger when the futures host answers `GET /api/v1/account-overview` for the account.

A `biz_type` filter is a classic request code, which the other ledgers do not take: with one, only
the classic ledger is read. Which ledgers were chosen, and why one was not, is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs
import httpx

from ledgerport import AuthenticationError, Page, PageRequest, RateLimitedError, Session, SourceError, TransientError

from .answers import read_data
from .hosts import futures_url
from .settings import Settings
from .streams import ClassicLedger, FuturesLedger, HfMarginLedger, HfSpotLedger, UnifiedLedger
from .streams.base import KucoinStream

__all__ = [
    "ACCOUNTS",
    "HF_TYPE",
    "MODE",
    "OPENED",
    "OVERVIEW_PATH",
    "PROBES",
    "UNIFIED_TYPES",
    "Found",
    "discover",
    "overview",
]

log = logging.getLogger("ledgerport.kucoin")

MODE = PageRequest(path="/api/ua/v2/account/mode", cost=2, pool="spot")
OPENED = PageRequest(path="/api/v1/hf/accounts/opened", cost=30, pool="spot")
ACCOUNTS = PageRequest(path="/api/v1/accounts", cost=5, pool="management")
OVERVIEW_PATH = "/api/v1/account-overview"
HF_TYPE = "trade_hf"
UNIFIED_TYPES = ("FUNDING", "UNIFIED")
PROBES = 4
"""The requests discovery sends for an account that is not unified: mode, HF, account list, futures."""


def overview(base_url: str, currency: str) -> PageRequest:
    """The futures account of one currency (Futures pool, weight 5)."""
    return PageRequest(
        path=futures_url(base_url, OVERVIEW_PATH), params=(("currency", currency),), cost=5, pool="futures"
    )


@attrs.frozen
class Found:
    """What discovery found: the streams to read, and whether the account is unified."""

    streams: Sequence[KucoinStream]
    unified: bool


@attrs.frozen
class Refused:
    error: SourceError


def _read_mode(request: PageRequest, response: httpx.Response) -> Page:
    """The mode probe's answer; KuCoin refusing it (an account that never saw the unified mode) is an
    answer too. What never arrives, or server errors given up on, stop the sync instead: a unified
    account read as classic would look complete and be empty."""
    try:
        return read_data(request, response)
    except (AuthenticationError, RateLimitedError, TransientError):
        raise
    except SourceError as error:
        return Page(request=request, records=(), cursor=Refused(error))


def _unified(session: Session) -> bool:
    data = session.fetch(MODE, _read_mode).cursor
    if isinstance(data, Refused):
        log.info("kucoin: no unified account mode (%s): a classic account", data.error)
        return False
    return isinstance(data, dict) and str(data.get("selfAccountMode", "")).upper() == "UNIFIED"


def _has_futures(session: Session, base_url: str) -> bool:
    """Whether the futures host knows the account. A refused key (no futures permission) is warned about,
    since the account may well have futures; a plain refusal is an account without them."""
    try:
        session.fetch(overview(base_url, "USDT"), read_data)
    except AuthenticationError as error:
        log.warning("kucoin: the futures ledger is not read: the key is refused there (%s)", error)
        return False
    except SourceError as error:
        log.info("kucoin: no futures account (%s)", error)
        return False
    return True


def discover(settings: Settings, account: str, base_url: str, session: Session) -> Found:
    if _unified(session):
        streams: list[KucoinStream] = [UnifiedLedger(settings, account, account_type=t) for t in UNIFIED_TYPES]
        log.info("kucoin: a Unified Trading Account: reading %s", ", ".join(s.name for s in streams))
        return Found(streams, True)
    streams = [ClassicLedger(settings, account)]
    if settings.biz_type:
        log.info("kucoin: biz_type %s is a classic request code: reading the classic ledger only", settings.biz_type)
        return Found(streams, False)
    opened = session.fetch(OPENED, read_data).cursor is True
    types = {str(row.get("type", "")).lower() for row in session.fetch(ACCOUNTS, read_data).cursor or ()}
    hf = opened or HF_TYPE in types
    if hf:
        streams += [HfSpotLedger(settings, account), HfMarginLedger(settings, account)]
    if _has_futures(session, base_url):
        streams.append(FuturesLedger(settings, account, base_url=base_url))
    log.info(
        "kucoin: %s account: reading %s", "an HF" if hf else "a classic", ", ".join(stream.name for stream in streams)
    )
    return Found(streams, False)
