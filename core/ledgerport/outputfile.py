"""An output file that grows by committed windows and can be cut back to its last commit: what file sinks share."""

from __future__ import annotations

import os
from typing import IO

from .errors import StateError

__all__ = ["AppendFile"]


class AppendFile:
    """A text file written in commits.

    Opened without a checkpoint it starts empty (`fresh` is true: write your header). Opened with the
    byte offset of its last commit, it drops whatever a crashed run wrote after it and appends.
    `commit()` flushes, fsyncs and returns the new offset. `-` is standard output, which can be
    neither cut back nor resumed (`resumable` is false).
    """

    def __init__(self, target: str, offset: int | None, sink_name: str) -> None:
        self.resumable = target != "-"
        self.fresh = offset is None or not self.resumable
        if not self.resumable:
            import sys

            self.file: IO[str] = sys.stdout
            return
        if offset is None:
            self.file = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed in close())
            return
        try:
            size = os.path.getsize(target)
        except FileNotFoundError:
            size = -1
        if size < offset:
            found = "is missing" if size < 0 else f"has {size} bytes"
            raise StateError(
                f"{sink_name}:{target}: the state records {offset} committed bytes but the file {found}; it was "
                "changed outside ledgerport. Restore it, or start it over with --fresh."
            )
        os.truncate(target, offset)
        self.file = open(target, "a", encoding="utf-8", newline="")  # noqa: SIM115 (closed in close())

    def commit(self) -> int | None:
        self.file.flush()
        if not self.resumable:
            return None
        os.fsync(self.file.fileno())
        return os.fstat(self.file.fileno()).st_size

    def close(self) -> None:
        self.file.flush()
        if self.resumable:
            self.file.close()
