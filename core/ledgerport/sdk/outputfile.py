"""An output file that grows by committed windows and can be cut back to its last commit: what file sinks share."""

from __future__ import annotations

import os
from typing import IO, Any, ClassVar

from ..errors import StateError
from .sink import RunInfo, Sink

__all__ = ["AppendFile", "FileSink"]


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


class FileSink(Sink):
    """A sink that writes one file in commits, so every file format gets the engine's exactly-once
    protocol from one place: the checkpoint is the file's committed length plus `state()`.

    `self.file` is the open text file and `self.fresh` says it starts empty (write your header);
    `self.saved` is what `state()` returned at the last commit, for what must carry across runs
    (names declared in the file, counters, running totals). What `closing()` returns is written at
    close, past the last commit: the next run cuts it off and writes it anew.
    """

    name: ClassVar[str]

    def __init__(self, target: str, run: RunInfo, settings: Any, checkpoint: Any = None) -> None:
        checkpoint = checkpoint or {}
        self.run, self.settings = run, settings
        self._out = AppendFile(target, checkpoint.get("offset"), self.name)
        self.resumable = self._out.resumable
        self.file, self.fresh = self._out.file, self._out.fresh
        self.saved: dict[str, Any] = checkpoint.get("state", {})

    def state(self) -> dict[str, Any]:
        return {}

    def closing(self) -> str:
        return ""

    def commit(self) -> dict[str, Any] | None:
        offset = self._out.commit()
        return None if offset is None else {"offset": offset, "state": self.state()}

    def close(self) -> None:
        self.file.write(self.closing())
        self._out.close()
