"""`sync --dry-run`: the same sync, fetched in full, with nothing written anywhere.

Every output's sink is swapped for one that discards what it is given and keeps its checkpoint, and
the run commits into a copy of the state file, so it fetches exactly what the real run would (the
same outputs, the same identity checks, the same gaps) and the real files and state stay as they
were. Skipped bad records go to a quarantine file in the same scratch folder.
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ..engine.plugins import Registry
from ..engine.request import SyncRequest
from ..engine.state import StateStore
from ..engine.statedb import is_database_url
from ..model.entry import Entry
from ..sdk.sink import RunInfo, Sink, SinkType

__all__ = ["dry_registry", "dry_run_of", "dry_state"]


class _Discard(Sink):
    def __init__(self, checkpoint: Any) -> None:
        self._checkpoint = checkpoint

    def write_entries(self, entries: Sequence[Entry]) -> None:
        """Dropped: a dry run only counts them, as the engine does."""

    def commit(self) -> Any:
        return self._checkpoint

    def close(self) -> None:
        """Nothing was opened."""


def _discarding(sink_type: SinkType) -> SinkType:
    def open_(target: str, run: RunInfo, settings: Any, checkpoint: Any) -> Sink:
        return _Discard(checkpoint)

    return attrs.evolve(sink_type, open=open_)


def dry_registry(registry: Registry) -> Registry:
    """The registry with every sink discarding; its connectors, hooks and the sinks' settings as they are."""
    dry = copy.copy(registry)
    dry.sinks = {name: attrs.evolve(p, item=_discarding(p.item)) for name, p in registry.sinks.items()}  # type: ignore[arg-type]
    return dry


def dry_state(state: str | Path | None, scratch: Path) -> Path | None:
    """A copy of the state (a file, or a PostgreSQL state's outputs) in `scratch`, for the dry run to
    commit into: a SQLite file either way."""
    if state is None:
        return None
    copied = scratch / "state.db"
    if is_database_url(state) or Path(state).is_file():
        with StateStore(state) as store:
            store.copy_to(copied)
    return copied


def dry_run_of(
    stack: contextlib.ExitStack, registry: Registry, request: SyncRequest, quarantine: str = "quarantine"
) -> tuple[Registry, SyncRequest]:
    """The registry and request of a dry run: discarding sinks, and the state and the quarantine
    (`quarantine`, a file name) in a scratch folder that `stack` removes when it closes."""
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ledgerport-dry-run-")))
    return dry_registry(registry), attrs.evolve(
        request, state=dry_state(request.state, scratch), quarantine=scratch / quarantine
    )
