"""The progress display of a long sync on a terminal (rich); nothing at all when output is not a terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ..engine.reader import Progress
from .logs import LogHandler


def _counts(snapshot: Progress) -> str:
    """Waits and retries only once there are any: on an 80-column terminal every column counts."""
    parts = [f"{snapshot.entries:,} entries"]
    if snapshot.rate_limit_waits:
        parts.append(f"{snapshot.rate_limit_waits} wait{'s' * (snapshot.rate_limit_waits > 1)}")
    if snapshot.retries:
        parts.append(f"{snapshot.retries} retr{'ies' if snapshot.retries > 1 else 'y'}")
    return " · ".join(parts)


@contextlib.contextmanager
def progress_display(
    enabled: bool, console: Any = None, logs: LogHandler | None = None
) -> Iterator[Callable[[Progress], None] | None]:
    """The bar: the window's day and the stream being read, windows done of all, entries, waits and
    retries, and the time left. While it is live, `logs` prints through its console, above it."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=12),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TextColumn("ETA"),
        TimeRemainingColumn(compact=True),
    )
    with Bar(*columns, transient=True, console=console) as bar:
        task = bar.add_task("", total=None, counts="")

        def update(snapshot: Progress) -> None:
            bar.update(
                task,
                total=snapshot.windows_total,
                completed=snapshot.windows_done,
                description=f"{snapshot.window.start:%Y-%m-%d} {snapshot.stream}".rstrip(),
                counts=_counts(snapshot),
            )

        if logs is not None:
            logs.console = bar.console
        try:
            yield update
        finally:
            if logs is not None:
                logs.console = None
