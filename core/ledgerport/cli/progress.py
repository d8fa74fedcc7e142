"""The progress display of a long sync on a terminal (rich); nothing at all when output is not a terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ..engine.reader import Progress


@contextlib.contextmanager
def progress_display(enabled: bool, console: Any = None) -> Iterator[Callable[[Progress], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=16),
        MofNCompleteColumn(),
        TextColumn(
            "windows · {task.fields[entries]:,} entries · {task.fields[waits]} waits · {task.fields[retries]} retries"
        ),
        TimeElapsedColumn(),
    )
    with Bar(*columns, transient=True, console=console) as bar:
        task = bar.add_task("", total=None, entries=0, waits=0, retries=0)

        def update(snapshot: Progress) -> None:
            bar.update(
                task,
                total=snapshot.windows_total,
                completed=snapshot.windows_done,
                description=f"{snapshot.window.start:%Y-%m-%d} {snapshot.stream}".rstrip(),
                entries=snapshot.entries,
                waits=snapshot.rate_limit_waits,
                retries=snapshot.retries,
            )

        yield update
