"""Reading KuCoin's answers: the `code` of every envelope (errors also come with HTTP 200), rate-limit
headers, and the page itself."""

from __future__ import annotations

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

__all__ = ["AUTH_CAUSES", "read"]

OK = "200000"
TOO_MANY = "429000"
INTERNAL = "500000"

AUTH_CAUSES = {
    "400001": "a KC-API-* header is missing",
    "400002": "KC-API-TIMESTAMP is more than 5 s off the server's clock, even after syncing with it",
    "400003": "the API key was not found (check KUCOIN_API_KEY)",
    "400004": "the passphrase is wrong (check KUCOIN_API_PASSPHRASE and KUCOIN_API_KEY_VERSION)",
    "400005": "the signature was refused: the API secret is probably wrong (check KUCOIN_API_SECRET)",
    "400006": "this IP address is not on the API key's allow list",
    "400007": "access denied: the API key lacks the General permission",
    "411100": "the KuCoin account is frozen",
}
"""Codes that no retry can fix, each with the cause a user should look at."""


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


def _refusal(code: str, message: str, path: str, response: httpx.Response) -> SourceError:
    """The error an answer with a code other than 200000 stands for."""
    said = f"code {code}: {message}" if message else f"code {code}"
    if code in AUTH_CAUSES:
        return AuthenticationError(f"kucoin: authentication failed: {AUTH_CAUSES[code]} ({said})")
    if code == TOO_MANY:
        return RateLimitedError(f"kucoin: rate limit reached ({said})", retry_after=_reset_seconds(response.headers))
    if code == INTERNAL or response.status_code >= 500:
        return TransientError(f"kucoin: HTTP {response.status_code}, {said}")
    return SourceError(f"kucoin: {path}: refused ({said}, HTTP {response.status_code})")


def read(request: PageRequest, response: httpx.Response) -> Page:
    """Decodes one ledger page, or raises the error the answer stands for."""
    if response.status_code == 429:
        raise RateLimitedError("kucoin: rate limit reached (HTTP 429)", retry_after=_reset_seconds(response.headers))
    if response.status_code >= 500 and "json" not in response.headers.get("content-type", ""):
        raise TransientError(f"kucoin: HTTP {response.status_code} with an error page instead of KuCoin's JSON")
    body: Any = orjson.loads(response.content)
    code = str(body.get("code")) if isinstance(body, dict) else "(none)"
    if code != OK:
        message = str(body.get("msg") or "") if isinstance(body, dict) else ""
        raise _refusal(code, message, request.path, response)
    try:
        data = body["data"]
        records, current, total = data["items"], int(data["currentPage"]), int(data["totalPage"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"kucoin: {request.path}: unexpected answer, no {exc} in its data") from None
    if not isinstance(records, list):
        raise SourceError(f"kucoin: {request.path}: unexpected answer, items is not a list")
    return Page(request=request, records=records, cursor=(current, total), budget=_budget(response.headers))
