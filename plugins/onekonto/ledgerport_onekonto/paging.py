"""Windows, requests and pages: every transaction of the range once, though pages overlap on purpose.

Windows are `window_hours` long, on edges aligned to the Unix epoch (so reruns and a later resume
see the same windows), clipped to `[since, until)`, and sent as `startTimeUtc`/`endTimeUtc`.

Inside a window, each page continues from the last `ordering` of the one before, *inclusive*: both
legs of a trade share one ordering and a page may end between them. A request from ordering `o`
gets again the `k` transactions of `o` the previous page ended with, so it asks for `max + k`:
room for `max` new ones even when more than `max` transactions share one ordering. The engine
de-duplicates on `transactionId` and ends the window when a page brings nothing new; an empty page
ends it here. The one case no request can page past: more transactions in one ordering than the
server returns in one page (its own cap); an ordering holds one event's legs, two for a trade.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from urllib.parse import quote

import attrs
import httpx

from ledgerport import BadRecordError, Page, PageRequest, SourceError, Window

from .api import LEDGER_PATH, NAME
from .errors import describe, error_for
from .eventtime import format_query_time, parse_event_time
from .settings import Settings

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@attrs.frozen
class Resume:
    """Where the next page starts: the last ordering of a page and how many of its transactions had it."""

    ordering: int
    repeated: int


def plan(since: datetime, until: datetime, size: timedelta) -> list[Window]:
    """Windows of `size` on epoch-aligned edges, the first and last clipped to the range."""
    edges = [since]
    edge = _EPOCH + ((since - _EPOCH) // size + 1) * size
    while edge < until:
        edges.append(edge)
        edge += size
    edges.append(until)
    return [Window(start, end) for start, end in pairwise(edges)]


def _request(settings: Settings, account: str, params: list[tuple[str, str]]) -> PageRequest:
    """A ledger request with `params`, then the selection's filters."""
    filters = [(name, value) for name, value in (("asset", settings.asset), ("type", settings.type)) if value]
    return PageRequest(path=LEDGER_PATH.format(account=quote(account, safe="")), params=(*params, *filters))


def request_for(settings: Settings, account: str, window: Window, resume: Resume | None) -> PageRequest:
    params = [("max", str(settings.max + (resume.repeated if resume else 0)))]
    if resume is not None:
        params.append(("startAtOrdering", str(resume.ordering)))
    params += [("startTimeUtc", format_query_time(window.start)), ("endTimeUtc", format_query_time(window.end))]
    return _request(settings, account, params)


def first_transaction(settings: Settings, account: str) -> PageRequest:
    """The ledger's first transaction of the selection: no time bounds, and the answer ascends by ordering."""
    return _request(settings, account, [("max", "1")])


def _ordering(record: Any) -> int:
    ordering = record.get("ordering") if isinstance(record, dict) else None
    if type(ordering) is not int:
        record_id = record.get("transactionId") if isinstance(record, dict) else None
        raise BadRecordError(source=NAME, record_id=record_id, field="ordering", reason=f"not an integer: {ordering!r}")
    return ordering


def resume_after(records: list[Any]) -> Resume | None:
    """The cursor after a page (None for an empty one): its last ordering, and how many records at the end share it."""
    if not records:
        return None
    last = _ordering(records[-1])
    repeated = 1
    while repeated < len(records) and _ordering(records[-1 - repeated]) == last:
        repeated += 1
    return Resume(last, repeated)


def read(request: PageRequest, response: httpx.Response) -> Page:
    """Decode one answer, amounts straight to Decimal (never through float)."""
    if response.status_code != 200:
        raise error_for(response, request.path)
    try:
        records = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise SourceError(f"{NAME}: {request.path}: the answer is not JSON ({exc})") from None
    if not isinstance(records, list):
        raise SourceError(f"{NAME}: {request.path}: expected a JSON array of transactions, got: {describe(response)}")
    _check_resumed(request, records)
    return Page(request=request, records=records, cursor=resume_after(records))


def _check_resumed(request: PageRequest, records: list[Any]) -> None:
    """A page asked from an ordering holds nothing before it. A server that ignores `startAtOrdering` sends
    the window's first page again, which brings nothing new: the engine would take it for the window's
    end and keep what it had, so this stops the sync naming the window instead."""
    asked = dict(request.params)
    if "startAtOrdering" not in asked:
        return
    start = int(asked["startAtOrdering"])
    early = next((record for record in records if _ordering(record) < start), None)
    if early is not None:
        window = " .. ".join(parse_event_time(asked[bound]).isoformat() for bound in ("startTimeUtc", "endTimeUtc"))
        raise SourceError(
            f"{NAME}: window {window}: asked for transactions from ordering {start}, the server answered ordering "
            f"{_ordering(early)} (transactionId {early.get('transactionId')!r}): it does not page as documented, "
            "so the window cannot be read whole and nothing of it is written"
        )
