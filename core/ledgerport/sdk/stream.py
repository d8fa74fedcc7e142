"""A stream: one ledger endpoint of a source, with its own paging, records and rate-limit pool."""

from __future__ import annotations

import abc
import typing
from collections.abc import Sequence
from typing import Any, ClassVar

from .paging import Page, PageRequest, Window

if typing.TYPE_CHECKING:
    import httpx

    from ..model.entry import Entry

__all__ = ["Stream"]


class Stream(abc.ABC):
    """One ledger of an account (KuCoin's classic ledger, its HF spot ledger, its futures history...).

    The engine asks for each of the connector's windows in the slices `slices` returns, page by page:
    `first_request`, then `next_request` after every page until it returns None. It also stops a
    slice whose page brought no record it had not seen, so a cursor that stops moving cannot loop.
    `name` tells the streams of one connector apart in messages; entry ids must be unique across
    the streams of a connector (prefix them with the stream where a source reuses ids).

    Each window is read through a shallow copy of the stream, in a thread of its own, while other
    windows are read at the same time (`SyncRequest.concurrency`): what a stream keeps for one
    window lives on the copy; what it keeps across windows must be an object the copies share (a
    set it adds to, a counter object), not an attribute it reassigns. `slices` is asked of the
    stream itself, in the sync's thread, window by window in order.
    """

    name: ClassVar[str] = "ledger"

    def slices(self, window: Window) -> Sequence[Window]:
        """The pieces of one of the connector's windows this stream asks for separately; they must tile it."""
        return [window]

    @abc.abstractmethod
    def first_request(self, window: Window) -> PageRequest:
        """The request for the first page of `window`."""

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        """The request for the page after `page`, or None when the window is exhausted."""
        return None

    @abc.abstractmethod
    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        """Decode one answer into a `Page`, or raise.

        Raise `RateLimitedError` or `TransientError` for what is worth retrying, `AuthenticationError`
        for refused credentials, and `SourceError` for anything else. Any other exception counts as
        transient on a 5xx answer and as a `SourceError` otherwise.
        """

    @abc.abstractmethod
    def map_record(self, record: Any) -> Sequence[Entry]:
        """Turn one raw record into canonical entries (usually one), or raise `BadRecordError`."""
