"""An output file that grows by committed windows and can be cut back to its last commit: what file sinks share.

Accountants sign books from these files, so whatever the state or the command line says:

- a file is never truncated or replaced unless ledgerport created it (its checkpoint says so) or the run
  was asked to write its outputs anew (`--fresh`, which names what it replaces). A new file is written
  beside its target (`.NAME.ledgerport-new`) and takes the target's name only once the state has
  recorded its first commit, so a crash can never leave a file at the target that the state does not know;
- one process at a time writes a file: an advisory lock (`flock`) on the file itself, whatever state
  file each run uses, with symlinks resolved first;
- the committed prefix is what ledgerport wrote: the checkpoint holds its SHA-256 (kept as it grows),
  checked when the file is opened again, so an edit of the same size is found as surely as a cut;
- what follows the committed prefix is cut only if ledgerport wrote it: each commit's bytes are first
  written to `.NAME.ledgerport-pending` with the offset they start at, so after a crash the bytes past
  the prefix must be (the start of) that record; anything else, such as lines a user appended, stops
  the sync. A file cannot tell whether the state recorded its last commit (a signal, or another
  output's failing commit, can come in between), so the record outlives `close` unless the engine
  said first that every commit is recorded (`recorded()`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import logging
import os
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any, ClassVar

from ..errors import StateError
from .sink import RunInfo, Sink

if TYPE_CHECKING:
    from .sidecar import Sidecar

__all__ = ["AppendFile", "FileSink", "pending_path", "staging_path"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_PENDING = b"ledgerport-pending "  # then the offset the record's bytes start at, and a newline


def staging_path(path: str) -> str:
    """Where a new output is written until the state knows it: a hidden sibling of its target."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.ledgerport-new")


def pending_path(path: str) -> str:
    """Where the bytes of the commit under way are recorded before they are appended."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.ledgerport-pending")


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class AppendFile:
    """A text file written in commits.

    Opened without a checkpoint it starts empty (`fresh` is true: write your header). Opened with the
    checkpoint of its last commit (`{"offset": N, "sha256": H}`), it checks that the first N bytes are
    still the ones committed, drops what an interrupted run wrote after them and appends. What is
    written to `file` is held until `commit()`, which appends it, fsyncs and returns the new
    checkpoint; `close(tail)` drops what was not committed and writes `tail` past the last commit.
    `-` is standard output, which can be neither cut back nor resumed (`resumable` is false).
    `replace` allows a fresh file to replace an existing one.
    """

    def __init__(
        self, target: str, checkpoint: Mapping[str, Any] | None, sink_name: str, *, replace: bool = False
    ) -> None:
        self.resumable = target != "-"
        offset = checkpoint.get("offset") if checkpoint else None
        self.fresh = offset is None or not self.resumable
        if not self.resumable:
            import sys

            self.file: IO[str] = sys.stdout
            return
        self._buffer = io.StringIO()  # what the sink wrote since the last commit
        self.file = self._buffer
        self.path = os.path.realpath(target)
        self._label = f"{sink_name}:{target}"
        self._replace = replace
        self._held: list[int] = []
        self._staged: str | None = None  # set while the file is still at its staging path
        self._commits = 0
        self._pending_is_last_commit = False  # the pending record holds this run's last commit, maybe unrecorded
        self._offset = 0
        self._hasher = hashlib.sha256()
        if offset is None:
            self._start()
        else:
            assert checkpoint is not None
            self._resume(int(offset), checkpoint.get("sha256"))

    def _lock(self, path: str) -> int:
        """Opens `path` (creating it empty if missing, never truncating) and locks it for this process."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise StateError(f"{self._label}: cannot open {path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateError(
                f"{self._label}: {path} is being written by another ledgerport process; wait for it to finish"
            ) from None
        if os.fstat(fd).st_ino != os.stat(path).st_ino:  # renamed over between the open and the lock
            os.close(fd)
            raise StateError(f"{self._label}: {path} was replaced while ledgerport opened it; run again")
        return fd

    def _start(self) -> None:
        existing = _size(self.path)
        if existing:
            if not self._replace:
                raise StateError(
                    f"{self._label}: {self.path} already exists ({existing} bytes) and the state has no record "
                    "of writing it; ledgerport never overwrites a file it did not create. Name another file, "
                    "move this one away, or re-run with --fresh to replace it."
                )
            self._held.append(self._lock(self.path))  # nobody else writes it while it is being replaced
            log.warning("%s: --fresh: replacing %s (%d bytes) with a new file", self._label, self.path, existing)
        self._staged = staging_path(self.path)
        self._fd = self._lock(self._staged)
        os.ftruncate(self._fd, 0)  # a staging file is ledgerport's own: what a crashed run left there is dropped

    def _resume(self, offset: int, digest: str | None) -> None:
        staged = staging_path(self.path)
        path = self.path
        if not os.path.exists(path) and os.path.exists(staged):
            path, self._staged = staged, staged  # the state recorded it; a crash came before it was renamed
        size = _size(path)
        if size is None or size < offset:
            found = "is missing" if size is None else f"has {size} bytes"
            raise StateError(
                f"{self._label}: the state records {offset} committed bytes but the file {found}; it was "
                "changed outside ledgerport. Restore it, or start it over with --fresh."
            )
        self._fd = self._lock(path)
        self._hash(0, offset)
        # checkpoints written before the hash was kept carry none: their prefix is checked by size only
        if digest is not None and self._hasher.hexdigest() != digest:
            raise StateError(
                f"{self._label}: the first {offset} bytes of {path} are not the ones ledgerport committed: the "
                "file was edited outside ledgerport. Restore it, or start it over with --fresh."
            )
        if size > offset:
            self._check_tail(path, offset, size)
        os.ftruncate(self._fd, offset)
        self._offset = offset
        if self._staged:
            self._rename()

    def _check_tail(self, path: str, offset: int, size: int) -> None:
        """Bytes past the committed prefix are cut only when ledgerport wrote them (the pending record).

        The record may start before the recorded offset: its commit was recorded and only the lines
        written at close followed it. A record without the header (written by an earlier version)
        starts at the recorded offset."""
        pending = b""
        try:
            with open(pending_path(self.path), "rb") as file:
                head = file.readline(len(_PENDING) + 24)
                start = offset
                if head.startswith(_PENDING) and head.endswith(b"\n") and head[len(_PENDING) : -1].isdigit():
                    start = int(head[len(_PENDING) : -1])
                else:
                    file.seek(0)
                if start <= offset:
                    file.seek(offset - start, os.SEEK_CUR)
                    pending = file.read(size - offset + 1)
        except FileNotFoundError:
            pass
        tail = os.pread(self._fd, min(size - offset, len(pending) + 1), offset)
        if not pending.startswith(tail):
            raise StateError(
                f"{self._label}: {path} holds {size - offset} bytes after the {offset} that ledgerport committed, "
                "and ledgerport did not write them (lines added by hand?). Move them elsewhere, or start the "
                "file over with --fresh."
            )
        log.info("%s: dropping %d bytes an interrupted run wrote after the last commit", self._label, size - offset)

    def _hash(self, start: int, end: int) -> None:
        position = start
        while position < end:
            chunk = os.pread(self._fd, min(_CHUNK, end - position), position)
            self._hasher.update(chunk)
            position += len(chunk)

    def _append(self, data: bytes, *, more: bool = False) -> None:
        """Records `data` as pending, then appends it: a crash in between leaves bytes the next run knows.
        `more` adds `data` to the record of this run's last commit instead of starting a new record."""
        try:
            with open(pending_path(self.path), "ab" if more else "wb") as record:
                if not more:
                    record.write(_PENDING + b"%d\n" % self._offset)
                record.write(data)
                record.flush()
                os.fsync(record.fileno())
            os.lseek(self._fd, self._offset, os.SEEK_SET)
            _write_all(self._fd, data)
            os.fsync(self._fd)
        except OSError as exc:  # a full disk, a lost mount: say which file
            raise StateError(f"{self._label}: cannot write {self.path}: {exc.strerror}") from None

    def _take(self) -> bytes:
        data = self._buffer.getvalue().encode("utf-8")
        self._buffer.seek(0)
        self._buffer.truncate()
        return data

    def _rename(self) -> None:
        """Gives the staged file its target's name: never over a file with content, unless replacing."""
        assert self._staged is not None
        try:
            os.link(self._staged, self.path)
        except FileExistsError:
            if not (self._replace or _size(self.path) == 0):
                raise StateError(
                    f"{self._label}: {self.path} appeared while ledgerport was writing it; what ledgerport "
                    f"wrote is in {self._staged}"
                ) from None
            os.replace(self._staged, self.path)
        else:
            os.unlink(self._staged)
        folder = os.open(os.path.dirname(self.path), os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        self._staged = None
        for fd in self._held:
            os.close(fd)
        self._held.clear()

    def commit(self) -> dict[str, Any] | None:
        if not self.resumable:
            self.file.flush()
            return None
        data = self._take()
        if data:
            self._append(data)
            self._pending_is_last_commit = True
            self._hasher.update(data)
            self._offset += len(data)
        if self._staged and self._commits:  # the state has recorded an earlier commit of the staged file
            self._rename()
        self._commits += 1
        return {"offset": self._offset, "sha256": self._hasher.hexdigest()}

    def recorded(self) -> None:
        """The state has recorded the last commit: the pending record is no longer needed."""
        self._pending_is_last_commit = False

    def close(self, tail: str = "") -> None:
        """Drops what was written since the last commit (a failed window) and writes `tail`, the lines
        that end the file, past the last commit; the next run cuts them off and writes them anew."""
        if not self.resumable:
            self.file.write(tail)
            self.file.flush()
            return
        try:
            uncommitted = self._take()
            if self._staged and not self._commits:
                # nothing was committed: nothing to keep, but the output exists, empty (which any run may fill)
                os.unlink(self._staged)
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                return
            if not uncommitted and tail:  # after a failed window the tail would speak of what was dropped
                self._append(tail.encode("utf-8"), more=self._pending_is_last_commit)
            elif not self._pending_is_last_commit:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(pending_path(self.path))  # the file ends where the state says: nothing is pending
            if self._staged:
                self._rename()
        finally:
            os.close(self._fd)
            for fd in self._held:
                os.close(fd)
            self._held.clear()


class FileSink(Sink):
    """A sink that writes one file in commits, so every file format gets the engine's exactly-once
    protocol from one place: the checkpoint is the file's committed length and hash plus `state()`.

    `self.file` is the open text file and `self.fresh` says it starts empty (write your header);
    `self.saved` is what `state()` returned at the last commit, for what must carry across runs
    (names declared in the file, counters, running totals). What `closing()` returns is written at
    close, past the last commit: the next run cuts it off and writes it anew. A sink with a file
    beside its output (`sdk.sidecar.Sidecar`) sets `self.sidecar`; each commit then replaces it with
    `sidecar_text()`, after the output's bytes are durable.
    """

    name: ClassVar[str]
    sidecar: Sidecar | None = None

    def __init__(self, target: str, run: RunInfo, settings: Any, checkpoint: Any = None) -> None:
        checkpoint = checkpoint or {}
        self.run, self.settings = run, settings
        self._out = AppendFile(target, checkpoint, self.name, replace=run.replace)
        self.resumable = self._out.resumable
        self.file, self.fresh = self._out.file, self._out.fresh
        self.saved: dict[str, Any] = checkpoint.get("state", {})
        if self.sidecar is not None:  # it keeps its staging name, as the output does, until the state knows a commit
            self.sidecar.staged = self.fresh

    def state(self) -> dict[str, Any]:
        return {}

    def closing(self) -> str:
        return ""

    def sidecar_text(self) -> str | None:
        """The sidecar's text at this commit (None: nothing to write yet)."""
        return None

    def commit(self) -> dict[str, Any] | None:
        committed = self._out.commit()
        if self.sidecar is not None:
            self.sidecar.commit(self.sidecar_text())
        return None if committed is None else {**committed, "state": self.state()}

    def recorded(self) -> None:
        if self.resumable:
            self._out.recorded()

    def close(self) -> None:
        try:
            self._out.close(self.closing())
        finally:
            if self.sidecar is not None:
                self.sidecar.close()
