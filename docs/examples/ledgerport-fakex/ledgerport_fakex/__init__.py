"""A ledgerport connector for FakeX, a made-up exchange: the example of the plugin author's tutorial.

FakeX's API: `GET /v1/movements?from=ISO&to=ISO[&cursor=N]` answers `{"movements": [...], "next": N
or null}`, oldest first; each request carries `X-Key` and `X-Signature`, the hex HMAC-SHA256 of
`METHOD PATH?QUERY` with the API secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from typing import Any

import attrs
import httpx

from ledgerport import (
    AuthenticationError,
    BadRecordError,
    Connector,
    Entry,
    Kind,
    Page,
    PageRequest,
    Secret,
    Session,
    SourceError,
    Stream,
    Window,
    hookimpl,
    parse_decimal,
    parse_instant,
)

NAME = "fakex"
log = logging.getLogger("ledgerport.fakex")

KINDS = {
    "deposit": Kind.DEPOSIT,
    "withdrawal": Kind.WITHDRAWAL,
    "fill": Kind.TRADE,
    "fee": Kind.FEE,
    "interest": Kind.INTEREST,
}


@attrs.frozen
class Settings:
    api_key: Secret = attrs.field(metadata={"env": "FAKEX_API_KEY"})
    api_secret: Secret = attrs.field(metadata={"env": "FAKEX_API_SECRET"})


def signature(secret: str, method: str, target: str) -> str:
    return hmac.new(secret.encode(), f"{method} {target}".encode(), hashlib.sha256).hexdigest()


class FakexAuth(httpx.Auth):
    """Signs the path and query exactly as they go on the wire."""

    def __init__(self, settings: Settings) -> None:
        self._key = settings.api_key.reveal()
        self._secret = settings.api_secret.reveal()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Key"] = self._key
        request.headers["X-Signature"] = signature(self._secret, request.method, request.url.raw_path.decode())
        yield request


class Movements(Stream):
    """`/v1/movements`, page after page while the answer names a `next` cursor."""

    name = "movements"

    def __init__(self, account: str) -> None:
        self.account = account

    def _request(self, window: Window, cursor: int | None) -> PageRequest:
        params = [("from", window.start.isoformat()), ("to", window.end.isoformat())]
        if cursor is not None:
            params.append(("cursor", str(cursor)))
        return PageRequest(path="/v1/movements", params=tuple(params))

    def first_request(self, window: Window) -> PageRequest:
        return self._request(window, None)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        return None if page.cursor is None else self._request(window, page.cursor)

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        if response.status_code in (401, 403):
            raise AuthenticationError(f"{NAME}: the API key or secret was refused")
        if response.status_code != 200:
            raise SourceError(f"{NAME}: HTTP {response.status_code} for {request.path}")
        body = response.json()
        return Page(request=request, records=body["movements"], cursor=body["next"])

    def map_record(self, record: dict[str, Any]) -> list[Entry]:
        uid = record.get("uid")
        field = "uid"
        try:
            entry_id = str(record["uid"])
            field = "at"
            timestamp = parse_instant(record["at"])
            field = "delta"
            amount = parse_decimal(record["delta"])
            field = "coin"
            asset = record["coin"]
        except (KeyError, ValueError, TypeError) as exc:
            raise BadRecordError(source=NAME, record_id=uid, field=field, reason=str(exc) or "missing") from None
        kind = KINDS.get(record.get("type", ""))
        if kind is None:
            log.warning("%s: movement %s has unknown type %r: kept as 'other'", NAME, entry_id, record.get("type"))
        return [
            Entry(
                source=NAME,
                account=self.account,
                entry_id=entry_id,
                timestamp=timestamp,
                asset=asset,
                amount=amount,
                kind=kind or Kind.OTHER,
                category=str(record.get("type", "")),
                group_id=str(record.get("order", "")),
                raw=record,
            )
        ]


class Fakex(Connector[Settings]):
    """FakeX: signed requests, weekly windows, one stream of movements."""

    name = NAME
    title = "FakeX"
    description = "FakeX movements (an example plugin)."

    def auth(self) -> httpx.Auth:
        return FakexAuth(self.settings)

    def plan_windows(self, since: datetime, until: datetime) -> list[Window]:
        """Weekly windows: FakeX answers any range, but a window is also what a resumed sync redoes."""
        edges = [since]
        while edges[-1] + timedelta(days=7) < until:
            edges.append(edges[-1] + timedelta(days=7))
        return [Window(a, b) for a, b in zip(edges, [*edges[1:], until], strict=True)]

    def streams(self, session: Session) -> list[Stream]:
        return [Movements(self.context.account)]


@hookimpl
def register_connectors(register: Callable[[type[Connector[Any]]], None]) -> None:
    register(Fakex)
