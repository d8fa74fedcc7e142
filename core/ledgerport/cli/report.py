"""The run's report: JSON for `--json` and `--json-file`, on success and failure alike, and what a
failed run tells the user about what it had already committed."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import click

from ..engine.reader import Progress
from ..engine.request import SyncRequest
from ..engine.sync import SyncReport

__all__ = ["Committed", "failure_report", "json_destination", "success_report"]


def _plain(_instance: object, _attribute: object, value: object) -> object:
    """JSON for a report: instants in ISO 8601, amounts as exact decimal text (never a float)."""
    from ..model.money import format_decimal

    if isinstance(value, datetime):
        return value.isoformat()
    return format_decimal(value) if isinstance(value, Decimal) else value


@attrs.define
class Committed:
    """What the sync had committed, followed through its progress snapshots: a snapshot with no
    stream is sent right after a window is committed to every output that needed it."""

    started: bool = False
    windows: int = 0
    windows_total: int = 0
    entries: int = 0
    until: datetime | None = None
    requests: int = 0
    retries: int = 0

    def follow(self, display: Callable[[Progress], None] | None) -> Callable[[Progress], None]:
        def see(snapshot: Progress) -> None:
            self.started = True
            self.windows, self.windows_total = snapshot.windows_done, snapshot.windows_total
            self.requests, self.retries = snapshot.requests, snapshot.retries
            if not snapshot.stream:
                self.entries, self.until = snapshot.entries, snapshot.window.end
            if display is not None:
                display(snapshot)

        return see

    def advice(self, request: SyncRequest) -> list[str]:
        """After the error line: what the failed run left written, and how to go on."""
        if not self.started:
            return []
        if not self.windows or self.until is None:
            return ["nothing was written: once the cause is fixed, run the same command again"]
        done = (
            f"{self.windows} of {self.windows_total} windows, up to {self.until:%Y-%m-%d %H:%M} UTC, "
            f"with {self.entries:,} entries, were written before the failure"
        )
        if request.state is None:
            return [f"{done}; without state (--no-state) a new run starts over"]
        return [f"{done} and recorded in the state: run the same command again to resume from there"]


def success_report(report: SyncReport) -> dict[str, Any]:
    return {"ok": True, "error": None, **attrs.asdict(report, value_serializer=_plain)}


def failure_report(request: SyncRequest, committed: Committed, error: str) -> dict[str, Any]:
    """The same keys as a success where they are known: what was committed, and the error."""
    return {
        "ok": False,
        "error": error,
        "source": request.source,
        "account": request.account,
        "since": request.since.isoformat() if request.since else None,
        "until": request.until.isoformat() if request.until else None,
        "windows": committed.windows,
        "windows_planned": committed.windows_total,
        "entries": committed.entries,
        "committed_until": committed.until.isoformat() if committed.until else None,
        "requests": committed.requests,
        "retries": committed.retries,
        "resumable": request.state is not None,
    }


def json_destination(
    as_json: bool, json_file: str | None, sinks: Sequence[str]
) -> Callable[[dict[str, Any]], None] | None:
    """`--json-file` writes the report there; `--json` prints it on stdout, or on stderr when a sink
    writes to stdout (`csv:-`), so that it never mixes with the data."""
    if not (as_json or json_file):
        return None
    to_stderr = any(spec.partition(":")[2] == "-" for spec in sinks)

    def write(data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=2)
        if json_file is not None:
            Path(json_file).write_text(text + "\n", encoding="utf-8")
        if as_json:
            click.echo(text, err=to_stderr)

    return write
