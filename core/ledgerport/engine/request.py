"""What a sync is asked to do, as one frozen value: the CLI builds it, Python callers build it themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import attrs

from ..sdk.retry import RetryPolicy
from .config import Config
from .fetch import DEFAULT_MAX_BYTES
from .reader import DEFAULT_MAX_PAGES

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_LOOKBACK", "OnBadRecord", "SyncRequest"]

OnBadRecord = Literal["fail", "skip"]
DEFAULT_LOOKBACK = timedelta(minutes=5)
DEFAULT_CONCURRENCY = 4
"""Requests in flight for one account: enough to hide most of a round trip's wait, few enough that a
source's budget, shared with the user's other clients, is not spent in a burst."""


def _tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _paths(value: str | Path | Sequence[str | Path] | None) -> tuple[str | Path, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str | Path) else tuple(value)


@attrs.frozen(kw_only=True)
class SyncRequest:
    """Fetch every entry of `source` in `[since, until)` and write each one exactly once to every sink.

    `sinks` are `NAME:TARGET` specs and `options` are `PLUGIN.FIELD=VALUE` settings (as `--set`);
    `config` is a `Config` or the path of a TOML config file. Without `since`, each output continues
    from what the state says it holds, and an output the state does not know starts at the
    connector's history start. `until` defaults to now and is never later than now.

    With a `state` file, a sync resumes where an interrupted one stopped and fetches only what its
    sinks do not hold yet; `fresh` forgets that and starts the outputs over. `lookback` is how long a
    source may take to post an entry: the stretch of an output that was fetched less than that after
    it happened is read again by the next run, which writes only what is new there.

    Sinks that value entries in money get `home_currency` and a price book read from the `prices`
    files (both default to the config's `[books]`).

    `cost_basis` (a method, or `none`), `lot_pool`, `fees`, `on_missing_lots` and `opening_lots`
    keep the journals at cost (see docs/cost-basis.md); `timezone` (an IANA name) dates the books
    in the company's own zone; each defaults to the config's `[books]`.

    `on_missing_price="skip"` lets a sink that values in money at market (QuickBooks without cost
    basis) leave out a transaction it has no price for, into the quarantine file with the reason;
    the other sinks write it. Books at cost always stop: a lot cannot skip an acquisition.

    Bounds against a server that misbehaves: `timeout` per read (and four times it for a whole
    answer), `max_pages` a window may take (a source whose pages always bring new ids never ends),
    and `max_answer_bytes` one answer may hold. Each stops the sync with a message, never silently.

    `concurrency` bounds the requests in flight: up to that many windows (and the streams of each)
    are fetched at once, in threads, as far as each pool's rate budget allows, while windows are still
    written and committed one at a time, in order, so a resumed run continues exactly where this one
    stopped. 1 reads one page at a time.
    """

    source: str
    sinks: tuple[str, ...] = attrs.field(converter=_tuple)
    since: datetime | None = None
    until: datetime | None = None
    base_url: str | None = None
    account: str | None = None
    config: Config | str | Path | None = None
    options: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    state: str | Path | None = None
    fresh: bool = False
    lookback: timedelta = DEFAULT_LOOKBACK
    on_bad_record: OnBadRecord = "fail"
    on_missing_price: OnBadRecord = "fail"
    quarantine: str | Path = "ledgerport-quarantine.jsonl"
    prices: tuple[str | Path, ...] | None = attrs.field(default=None, converter=_paths)
    home_currency: str | None = None
    cost_basis: str | None = None
    lot_pool: str | None = None
    fees: str | None = None
    on_missing_lots: str | None = None
    opening_lots: str | Path | None = None
    timezone: str | None = None
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    timeout: float = 30.0
    max_pages: int = DEFAULT_MAX_PAGES
    max_answer_bytes: int = DEFAULT_MAX_BYTES
    concurrency: int = DEFAULT_CONCURRENCY
