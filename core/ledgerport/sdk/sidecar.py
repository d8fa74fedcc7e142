"""A file beside an output holding a snapshot of its state (its declarations, its open lots).

Unlike the output, which only grows, a sidecar is replaced whole at each commit: written to a
temporary file in the same folder, fsynced, renamed over the old one. Its text comes from what the
sink keeps in its checkpoint, so a sink reopened after a crash puts back the sidecar of the last
recorded commit. A fresh output's sidecar keeps the staging name (`.NAME.ledgerport-new`) until
the state has recorded the first commit, as the output does, and a file of that name ledgerport
did not write is never replaced without `--fresh`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import PurePath

from ..errors import StateError
from .outputfile import staging_path

__all__ = ["Sidecar", "sidecar_path"]

log = logging.getLogger(__name__)


def sidecar_path(target: str, label: str) -> str:
    """`books.beancount` with `declarations` → `books.declarations.beancount`."""
    path = PurePath(target)
    return str(path.with_name(f"{path.stem}.{label}{path.suffix}"))


class Sidecar:
    """The sidecar `path` of one sink (`owner` names it in messages); `staged` while the output is
    (`FileSink` sets it when the sink opens)."""

    def __init__(self, owner: str, path: str) -> None:
        self.owner, self.path, self.staged = owner, path, False
        self._commits = 0

    def refuse_foreign(self, target: str, replace: bool) -> None:
        """A fresh output must not take over a sidecar someone else wrote."""
        with contextlib.suppress(FileNotFoundError):
            if os.path.getsize(self.path) and not replace:
                raise StateError(
                    f"{self.owner}:{target}: {self.path} already exists and the state has no record of writing "
                    "it; ledgerport never overwrites a file it did not create. Name another file, move this one "
                    "away, or re-run with --fresh to replace it."
                )

    def restore(self, text: str, what: str) -> None:
        """Puts back the last recorded commit's text where a crashed run left another (or none)."""
        self.staged = False
        self._discard_staged()
        if _read(self.path) != text:
            log.info("%s: %s: putting back %s of the last commit", self.owner, self.path, what)
            self._write(self.path, text)

    def commit(self, text: str | None) -> None:
        """Writes this commit's text (None: nothing yet); takes the real name once the state knows a commit."""
        if self.staged and self._commits:
            self.staged = False
            self._discard_staged()
        if text is not None:
            self._write(staging_path(self.path) if self.staged else self.path, text)
        self._commits += 1

    def close(self) -> None:
        """After the run: a staged sidecar takes its name if a commit was made, else it goes."""
        if self.staged and self._commits:
            self.staged = False
            with contextlib.suppress(FileNotFoundError):
                os.replace(staging_path(self.path), self.path)
                _fsync_folder(self.path)
        elif self.staged:
            self._discard_staged()

    def _discard_staged(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging_path(self.path))

    def _write(self, path: str, text: str) -> None:
        """Writes `path` whole or not at all."""
        folder, name = os.path.split(path)
        temporary = os.path.join(folder, f".{name}.ledgerport-tmp")
        try:
            with open(temporary, "w", encoding="utf-8", newline="") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
            _fsync_folder(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise StateError(f"{self.owner}: cannot write {path}: {exc.strerror}") from None


def _fsync_folder(path: str) -> None:
    folder = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as file:
            return file.read()
    except FileNotFoundError:
        return None
