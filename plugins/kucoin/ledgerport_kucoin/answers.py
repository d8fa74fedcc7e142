"""Reading KuCoin's answers: the `code` of every envelope (errors also come with HTTP 200), rate-limit
headers, and what each endpoint puts in `data`.

Every endpoint, spot or futures, shares the envelope; `data` differs per ledger, so each has its own
reader here, and each returns a `Page` whose cursor is what that ledger's paging needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import orjson

from ledgerport import (
    AuthenticationError,
    Page,
    PageRequest,
    RateBudget,
    RateLimitedError,
    SourceError,
    TransientError,
)

__all__ = [
    "AUTH_CAUSES",
    "data_of",
    "read",
    "read_cursor_ledger",
    "read_data",
    "read_futures",
    "read_unified",
]

OK = "200000"
TOO_MANY = ("429000", "200002")
"""429000 is the pool budget spent; 200002 the older per-endpoint "too many requests": both are waited out."""
INTERNAL = "500000"
BAD_SIGNATURE = "400005"
RESTRICTED = "400303"

AUTH_CAUSES = {
    "400001": "a KC-API-* header is missing",
    "400002": "KC-API-TIMESTAMP is more than 5 s off the server's clock, even after syncing with it",
    "400003": "the API key was not found (check KUCOIN_API_KEY)",
    "400004": "the passphrase is wrong (check KUCOIN_API_PASSPHRASE and KUCOIN_API_KEY_VERSION)",
    BAD_SIGNATURE: "the signature was refused: the API secret is probably wrong (check KUCOIN_API_SECRET)",
    "400006": "this IP address is not on the API key's allow list",
    "400007": "access denied: the API key lacks the General permission",
    RESTRICTED: "KuCoin restricts this account's API access (identity verification not completed, or a country "
    "or region KuCoin does not serve)",
    "411100": "the KuCoin account is frozen",
}
"""Codes that no retry can fix, each with the cause a user should look at."""

QUERY_REFUSED = (
    "the signature was refused for a request whose query holds characters that are percent-encoded on the wire "
    "({query}); the secret may be right and the query what KuCoin read differently"
)
"""After 400005 on a query with a comma, space or other encoded character, the query is the likelier culprit:
it is signed un-encoded, and a proxy that re-encodes it spoils the signature whatever the secret."""


def _reset_seconds(headers: httpx.Headers) -> float | None:
    """`gw-ratelimit-reset` is milliseconds until the budget refills."""
    try:
        return int(headers["gw-ratelimit-reset"]) / 1000
    except (KeyError, ValueError):
        return None


def _budget(headers: httpx.Headers) -> RateBudget | None:
    reset = _reset_seconds(headers)
    remaining = headers.get("gw-ratelimit-remaining")
    if reset is None or remaining is None or not remaining.lstrip("-").isdigit():
        return None
    return RateBudget(int(remaining), reset)


def _encoded_query(request: PageRequest) -> str:
    """The parameters whose text the URL carries percent-encoded, or "" when there are none."""
    return "&".join(
        f"{name}={value}" for name, value in request.params if any(not c.isalnum() and c not in "-._~" for c in value)
    )


def _refusal(code: str, message: str, request: PageRequest, response: httpx.Response) -> SourceError:
    """The error an answer with a code other than 200000 stands for."""
    said = f"code {code}: {message}" if message else f"code {code}"
    if code == BAD_SIGNATURE and _encoded_query(request):
        cause = QUERY_REFUSED.format(query=_encoded_query(request))
        return AuthenticationError(f"kucoin: authentication failed: {cause} ({said})")
    if code in AUTH_CAUSES:
        return AuthenticationError(f"kucoin: authentication failed: {AUTH_CAUSES[code]} ({said})")
    if code in TOO_MANY:
        return RateLimitedError(f"kucoin: rate limit reached ({said})", retry_after=_reset_seconds(response.headers))
    if code == INTERNAL or response.status_code >= 500:
        return TransientError(f"kucoin: HTTP {response.status_code}, {said}")
    return SourceError(f"kucoin: {request.path}: refused ({said}, HTTP {response.status_code})")


def data_of(request: PageRequest, response: httpx.Response, loads: Callable[[bytes], Any] = orjson.loads) -> Any:
    """The `data` of a successful answer, decoded with `loads`; raises the error any other answer stands for."""
    if response.status_code == 429:
        raise RateLimitedError("kucoin: rate limit reached (HTTP 429)", retry_after=_reset_seconds(response.headers))
    is_json = "json" in response.headers.get("content-type", "")
    if response.status_code >= 500 and not is_json:
        raise TransientError(f"kucoin: HTTP {response.status_code} with an error page instead of KuCoin's JSON")
    if response.status_code == 403 and not is_json:
        raise SourceError(
            f"kucoin: {request.path}: HTTP 403 with a web page instead of KuCoin's JSON: KuCoin blocks access from "
            "some countries and regions (check where this machine's traffic leaves from)"
        )
    body: Any = loads(response.content)
    code = str(body.get("code")) if isinstance(body, dict) else "(none)"
    if code != OK:
        message = str(body.get("msg") or "") if isinstance(body, dict) else ""
        raise _refusal(code, message, request, response)
    if "data" not in body:
        raise SourceError(f"kucoin: {request.path}: unexpected answer, no data")
    return body["data"]


def _unexpected(request: PageRequest, what: str) -> SourceError:
    return SourceError(f"kucoin: {request.path}: unexpected answer, {what}")


def read(request: PageRequest, response: httpx.Response) -> Page:
    """A classic ledger page; its cursor is (currentPage, totalPage, totalNum) for paging and the count check."""
    data = data_of(request, response)
    try:
        records, current, total = data["items"], int(data["currentPage"]), int(data["totalPage"])
        count = int(data["totalNum"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _unexpected(request, f"no {exc} in its data") from None
    if not isinstance(records, list):
        raise _unexpected(request, "items is not a list")
    return Page(request=request, records=records, cursor=(current, total, count), budget=_budget(response.headers))


def read_cursor_ledger(request: PageRequest, response: httpx.Response) -> Page:
    """An HF spot or HF margin page: `data` is the bare list of rows, newest first."""
    records = data_of(request, response)
    if not isinstance(records, list):
        raise _unexpected(request, "data is not a list")
    return Page(request=request, records=records, budget=_budget(response.headers))


def _exact(content: bytes) -> Any:
    """JSON with every number as Decimal, read from its text: futures amounts are JSON numbers such as -1.7105e-05,
    which a float would round."""
    return json.loads(content, parse_float=Decimal, parse_int=Decimal)


def read_futures(request: PageRequest, response: httpx.Response) -> Page:
    """A futures ledger page, numbers exact; its cursor says whether more rows follow."""
    data = data_of(request, response, _exact)
    try:
        records, more = data["dataList"], data["hasMore"]
    except (KeyError, TypeError) as exc:
        raise _unexpected(request, f"no {exc} in its data") from None
    if not isinstance(records, list) or not isinstance(more, bool):
        raise _unexpected(request, "dataList is not a list or hasMore not a boolean")
    return Page(request=request, records=records, cursor=more, budget=_budget(response.headers))


def read_unified(request: PageRequest, response: httpx.Response) -> Page:
    """A Unified Trading Account ledger page: `{lastId, items}`; the cursor is the lastId to ask with next."""
    data = data_of(request, response)
    try:
        records, last_id = data["items"], data.get("lastId")
    except (KeyError, TypeError, AttributeError) as exc:
        raise _unexpected(request, f"no {exc} in its data") from None
    if not isinstance(records, list):
        raise _unexpected(request, "items is not a list")
    return Page(request=request, records=records, cursor=last_id, budget=_budget(response.headers))


def read_data(request: PageRequest, response: httpx.Response) -> Page:
    """Any other answer (an account probe, balances): its `data`, numbers exact, as the page's cursor."""
    return Page(
        request=request, records=(), cursor=data_of(request, response, _exact), budget=_budget(response.headers)
    )
