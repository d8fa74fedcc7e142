"""The core's own answers to hooks a connector may leave alone; they run last."""

from __future__ import annotations

from datetime import datetime

from .sdk.connector import SyncContext, Window
from .sdk.hookspecs import hookimpl
from .model.entry import Entry


@hookimpl(trylast=True)
def plan_windows(ctx: SyncContext, since: datetime, until: datetime) -> list[Window]:
    return [Window(since, until)]


@hookimpl(trylast=True)
def process_entries(ctx: SyncContext, entries: list[Entry]) -> list[Entry]:
    return entries
