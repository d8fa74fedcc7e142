"""The sandbox's answers beyond the classic ledger: the HF, futures and unified ledgers' paging and
parameter rules, and the balance endpoints, in the official spec's shapes.

HF ledgers refuse a span over 3 × 24 h (KuCoin silently answers the last 72 h instead: refusing is
louder, so a client that sends one is caught) and a `limit` over 200; they page newest first, a
`lastId` giving the rows with a smaller id. The futures ledger pages newest first by `offset` with
`hasMore`, and leads with the running period's `Pending` row when the range reaches the present.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..balances import CROSS, ISOLATED
from ..discovery import ACCOUNTS, MODE, OPENED, OVERVIEW_PATH
from ..streams import HfMarginLedger, HfSpotLedger
from ..streams.futures import PATH as FUTURES_PATH
from ..streams.unified import PATH as UNIFIED_PATH
from .books import FUTURES_CURRENCIES, FUTURES_PLACES, Rows, futures_json
from .ledger import Row

if TYPE_CHECKING:
    from .server import KucoinSandbox

__all__ = [
    "ACCOUNTS_PATH",
    "CROSS_PATH",
    "FUTURES_PATH",
    "HF_PATH",
    "ISOLATED_PATH",
    "LEDGER_ROUTES",
    "MARGIN_PATH",
    "MODE_PATH",
    "OPENED_PATH",
    "OVERVIEW_PATH",
    "ROW_MODES",
    "UNIFIED_PATH",
    "Refused",
    "accounts_list",
    "cross_margin",
    "futures_overview",
    "integer",
    "isolated_margin",
    "misbehave",
]

HF_PATH, MARGIN_PATH = HfSpotLedger.path, HfMarginLedger.path
MODE_PATH, OPENED_PATH, ACCOUNTS_PATH = MODE.path, OPENED.path, ACCOUNTS.path
CROSS_PATH, ISOLATED_PATH = CROSS.path, ISOLATED.path
HF_SPAN_MS = 3 * 86_400_000
HF_LIMIT = 200
Query = Mapping[str, str]


class Refused(Exception):
    """A request KuCoin would refuse with `code` (sent with HTTP 200)."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def integer(query: Query, name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.lstrip("-").isdigit():
        raise Refused("400100", f"{name} must be an integer")
    return int(text)


def _span(query: Query, limit_ms: int) -> tuple[int, int]:
    end = integer(query, "endAt", int(time.time() * 1000))
    start = integer(query, "startAt", end - limit_ms)
    if end - start > limit_ms or end < start:
        raise Refused("400100", f"startAt..endAt must be ordered and span at most {limit_ms // 3_600_000} h")
    return start, end


def _selected(rows: Sequence[Row], query: Query) -> list[Row]:
    currencies = set(query["currency"].split(",")) if query.get("currency") else None
    direction = query.get("direction")
    return [
        row
        for row in rows
        if (currencies is None or row["currency"] in currencies)
        and (direction is None or row["direction"] == direction)
    ]


ROW_MODES = ("seconds", "duplicates", "endless")
"""The hostile modes (`server.HOSTILE`) that change a page's rows rather than its paging."""


def misbehave(hostile: str, rows: list[Row], new_id: Callable[[int, Row], str]) -> list[Row]:
    """A page's rows as a `hostile` server serves them: `createdAt` in seconds (kept a string where it was
    one), the first row's id once more with another amount, or (`endless`) the ids `new_id(n, row)` gives,
    new on every page."""
    if hostile not in ROW_MODES or not rows:
        return rows
    if hostile == "seconds":
        return [{**row, "createdAt": type(row["createdAt"])(int(row["createdAt"]) // 1000)} for row in rows]
    if hostile == "duplicates":
        return [*rows, {**rows[0], "amount": str(Decimal(rows[0]["amount"]) + 1000)}]
    return [{**row, "id": new_id(n, row)} for n, row in enumerate(rows)]


def _envelope(data: bytes) -> bytes:
    return b'{"code":"200000","data":' + data + b"}"


def _cursor_page(rows: Rows | None, query: Query, hostile: str) -> bytes:
    """An HF spot or margin page: the newest `limit` rows of the span with an id below `lastId`
    (`hostile`: see `server.HOSTILE`)."""
    lo, hi = _span(query, HF_SPAN_MS)
    limit = integer(query, "limit", 100)
    if not 1 <= limit <= HF_LIMIT:
        raise Refused("400100", f"limit must be between 1 and {HF_LIMIT}")
    last_id = -1 if hostile in ("ignores-page", "endless") else integer(query, "lastId", -1)
    found = _selected(rows.between(lo, hi) if rows else [], query)
    newest = [row for row in reversed(found) if last_id < 0 or int(row["id"]) < last_id]
    below = integer(query, "lastId", 0)
    page = misbehave(hostile, newest[:limit], lambda n, row: str(below - 1 - n) if below else str(row["id"]))
    return _envelope(json.dumps(page, separators=(",", ":")).encode())


def _hf(sandbox: KucoinSandbox, query: Query) -> bytes:
    rows = sandbox.multi.hf if sandbox.multi and sandbox.hide != "hf-spot" else None
    return _cursor_page(rows, query, sandbox.hostile)


def _margin(sandbox: KucoinSandbox, query: Query) -> bytes:
    rows = sandbox.multi.margin if sandbox.multi and sandbox.hide != "hf-margin" else None
    return _cursor_page(rows, query, sandbox.hostile)


def _pending(now_ms: int) -> Row:
    """The running funding period's row, as the spec's example has it: not final."""
    return {
        "time": now_ms,
        "type": "RealisedPNL",
        "amount": "-1.7105e-05",
        "fee": None,
        "accountEquity": "20.0",
        "status": "Pending",
        "remark": "XBTUSDTM",
        "offset": -1,
        "currency": "USDT",
    }


def _futures(sandbox: KucoinSandbox, query: Query) -> bytes:
    lo, hi = _span(query, 86_400_000)
    size = integer(query, "maxCount", 50)
    offset = integer(query, "offset", -1)
    if query.get("forward", "true") != "false":
        raise Refused("400100", "the sandbox serves forward=false (newest first) only")
    rows = sandbox.multi.futures.between(lo, hi) if sandbox.multi and sandbox.hide != "futures" else []
    newest = [row for row in reversed(rows) if offset < 0 or row["offset"] < offset]
    now = sandbox.now_ms()
    lead = [_pending(now)] if offset < 0 and lo <= now <= hi and sandbox.multi else []
    page = lead + newest[: size - len(lead)]
    items = b",".join(futures_json(row) for row in page)
    more = b"true" if len(newest) > size - len(lead) else b"false"
    return _envelope(b'{"dataList":[' + items + b'],"hasMore":' + more + b"}")


def _unified(sandbox: KucoinSandbox, query: Query) -> bytes:
    sub = query.get("accountType")
    if not sub:
        raise Refused("400100", "accountType is required")
    lo, hi = _span(query, 86_400_000)
    size = integer(query, "pageSize", 50)
    last_id = integer(query, "lastId", -1)
    rows = (
        [] if sandbox.unified is None or sandbox.hide == f"uta-{sub.lower()}" else sandbox.unified.rows.between(lo, hi)
    )
    newest = [r for r in reversed(rows) if r["accountType"] == sub and (last_id < 0 or int(r["id"]) < last_id)]
    page = newest[:size]
    data = {"lastId": page[-1]["id"] if page else None, "items": page}
    return _envelope(json.dumps(data, separators=(",", ":")).encode())


LEDGER_ROUTES: Mapping[str, Callable[[KucoinSandbox, Query], bytes]] = {
    HF_PATH: _hf,
    MARGIN_PATH: _margin,
    FUTURES_PATH: _futures,
    UNIFIED_PATH: _unified,
}

Holdings = Mapping[tuple[str, str], Decimal]
SPOT_TYPES = {"MAIN": "main", "TRADE": "trade", "MARGIN": "margin", "CONTRACT": "contract", "TRADE_HF": "trade_hf"}
"""`/api/v1/accounts` types. The classic generator's CONTRACT rows are listed as `contract`, a type KuCoin's list
does not have: it keeps the sandbox's classic-only account reconciling rather than invent a futures link."""


def _text(value: Decimal) -> str:
    return f"{value:f}"


def accounts_list(holdings: Holdings) -> list[dict[str, str]]:
    """`GET /api/v1/accounts`: one row per spot holding, `balance = available + holds`."""
    return [
        {
            "id": f"{index:024x}",
            "currency": asset,
            "type": SPOT_TYPES[sub],
            "balance": _text(value),
            "available": _text(value),
            "holds": "0",
        }
        for index, ((sub, asset), value) in enumerate(sorted(holdings.items()))
        if sub in SPOT_TYPES
    ]


def cross_margin(holdings: Holdings) -> dict[str, Any]:
    accounts = [
        {"currency": asset, "total": _text(value), "available": _text(value), "hold": "0", "liability": "0"}
        for (sub, asset), value in sorted(holdings.items())
        if sub == "MARGIN_V2"
    ]
    return {
        "totalAssetOfQuoteCurrency": "0",
        "totalLiabilityOfQuoteCurrency": "0",
        "status": "EFFECTIVE",
        "accounts": accounts,
    }


def isolated_margin(holdings: Holdings) -> dict[str, Any]:
    """One BTC-USDT pair holds every ISOLATED_V2 asset the sandbox has."""
    side = {
        asset: {"currency": asset, "total": _text(value)}
        for (sub, asset), value in holdings.items()
        if sub == "ISOLATED_V2"
    }
    assets = [
        {"symbol": "BTC-USDT", "status": "EFFECTIVE", "baseAsset": side.get("BTC"), "quoteAsset": side.get("USDT")}
    ]
    return {"totalAssetOfQuoteCurrency": "0", "totalLiabilityOfQuoteCurrency": "0", "timestamp": 0, "assets": assets}


def futures_overview(holdings: Holdings, currency: str) -> bytes:
    """`GET /api/v1/account-overview` of one currency, its numbers JSON numbers as KuCoin sends them:
    `marginBalance` is what the booked rows sum to; the equity adds an unrealised PnL, so a client
    reconciling with `accountEquity` would be caught."""
    spot = {name: spot for spot, name in FUTURES_CURRENCIES.items()}.get(currency, currency)
    balance = holdings.get(("FUTURES", spot), Decimal(0)).quantize(Decimal(1).scaleb(-FUTURES_PLACES))
    unrealised = Decimal("1.25")
    return (
        f'{{"accountEquity":{balance + unrealised:f},"unrealisedPNL":{unrealised:f},"marginBalance":{balance:f},'
        f'"availableBalance":{balance:f},"currency":{json.dumps(currency)}}}'
    ).encode()
