"""What a sink is: where the entries of one run go."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

from .connector import NoSettings
from .model import Entry

__all__ = ["RunInfo", "Sink", "SinkType"]


@attrs.frozen(kw_only=True)
class RunInfo:
    """What a sink may want to know about the run it is opened for."""

    source: str
    account: str
    since: datetime
    until: datetime


class Sink(abc.ABC):
    """An output open for one run.

    The engine calls `write_entries` once per window with that window's entries, de-duplicated
    and sorted by (timestamp, entry id), then `commit`: what is written before a commit must
    survive a later failure. `close` is called exactly once, after success or failure alike.
    """

    @abc.abstractmethod
    def write_entries(self, entries: Sequence[Entry]) -> None: ...

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...


@attrs.frozen(kw_only=True)
class SinkType:
    """A kind of output, registered by a plugin through `register_sinks`.

    `open(target, run, settings)` returns a `Sink`; `target` is what follows `NAME:` in `--sink`.
    """

    name: str
    description: str
    open: Callable[[str, RunInfo, Any], Sink]
    settings: type = NoSettings
