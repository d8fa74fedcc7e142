"""1Konto's error answers turned into the errors the engine acts on, with the server's own words.

The docs show two shapes: `{"status": 500, "error": "..."}` and
`{"errors": [...], "status": "failedDependency", "httpStatusCode": 424}`. 5xx and 424 (a failed
dependency behind the gateway) are worth retrying; 429 is waited out; anything else stops the sync.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ledgerport import AuthenticationError, RateLimitedError, SourceError, TransientError

from .api import NAME

_SNIPPET = 200


def _text(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("message", "detail", "title", "error", "description"):
            text = item.get(key)
            if isinstance(text, str):
                return text
    return item if isinstance(item, str) else json.dumps(item, default=str)


def describe(response: httpx.Response) -> str:
    """The server's explanation in one line, from either documented shape, or a snippet of the body."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" in body:
        return _text(body["error"])
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        reasons = "; ".join(map(_text, body["errors"])) or "no details"
        status = body.get("status")
        return f"{status}: {reasons}" if isinstance(status, str) else reasons
    text = " ".join(response.text.split())
    if not text:
        return response.reason_phrase or "no details"
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "..."


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def error_for(response: httpx.Response, what: str, described: str | None = None) -> SourceError:
    """The error to raise for a non-200 answer to `what` (a path): transient ones leave the source
    name out because the engine adds it when it gives up. `described` replaces `describe(response)`
    when the caller has scrubbed it."""
    status = response.status_code
    reason = f"{what}: HTTP {status}: {describe(response) if described is None else described}"
    if status == 429:
        return RateLimitedError(reason, retry_after=_retry_after(response))
    if status >= 500 or status == 424:
        return TransientError(reason, retry_after=_retry_after(response))
    if status == 401:
        return AuthenticationError(f"{NAME}: {reason} (refused even right after a fresh login)")
    if status == 403:
        return AuthenticationError(f"{NAME}: {reason}")
    return SourceError(f"{NAME}: {reason}")
