"""What a sync checks before it touches anything: names that match no plugin, files used twice, exposed secrets."""

from __future__ import annotations

import contextlib
import logging
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..secret import Secret
from .config import Config
from .plugins import Registry

__all__ = ["known_targets", "one_use_per_file", "warn_if_exposed"]

log = logging.getLogger(__name__)


def _file_of(target: str) -> Path | None:
    """The file a target names, symlinks resolved: a path, or the path of a `scheme:///PATH` URL
    (`sql:sqlite:///books.db`); None for standard output and for servers."""
    if target == "-":
        return None
    scheme, sep, rest = target.partition(":///")
    if sep and "/" not in scheme:
        return Path(rest).resolve()
    return None if "://" in target else Path(target).resolve()


def one_use_per_file(targets: Sequence[tuple[str, str]], others: Mapping[str, str | Path | None]) -> None:
    """Two sinks, or a sink and the state or quarantine file, on one file would write over each other.

    `targets` are (spec, target) of the sinks; `others` names the run's other files.
    """
    users: dict[Path | str, str] = {Path(path).resolve(): what for what, path in others.items() if path is not None}
    for spec, target in targets:
        where = _file_of(target) or target
        if where in users:
            raise ConfigError(f"{spec} is the same file as {users[where]}: give each its own")
        users[where] = spec


def known_targets(config: Config, overrides: Mapping[str, Mapping[str, str]], registry: Registry) -> None:
    """A table or `--set` for a plugin nobody installed (a typo: `kukoin`) would be ignored, and a
    filter in it with it: the sync would run unfiltered. So every name must be a connector or a sink."""
    connectors = {c.name for c in registry.connector_classes()}
    sinks = {s.name for s in registry.sink_types()}
    plugins = connectors | sinks
    wrong = [f"[connectors.{name}]" for name in config.connectors if name not in connectors]
    wrong += [f"[sinks.{name}]" for name in config.sinks if name not in sinks]
    wrong += [f"--set {name}.{next(iter(fields))}=..." for name, fields in overrides.items() if name not in plugins]
    if wrong:
        raise ConfigError(
            f"{', '.join(wrong)}: no installed connector or sink has that name (connectors: "
            f"{', '.join(sorted(connectors)) or 'none'}; sinks: {', '.join(sorted(sinks)) or 'none'})"
        )


_WARNED: set[Path] = set()


def warn_if_exposed(path: Path, settings_class: type, table: Mapping[str, Any]) -> None:
    """Once per file and process: a config file holding a credential should be readable by its owner only."""
    secrets = {name for name, kind in typing.get_type_hints(settings_class).items() if kind in (Secret, Secret | None)}
    resolved = path.resolve()
    if resolved in _WARNED or not secrets & set(table):
        return
    with contextlib.suppress(OSError):
        if resolved.stat().st_mode & 0o077:
            _WARNED.add(resolved)
            log.warning(
                "the config file %s holds credentials (%s) but others may read it: chmod 600 %s",
                path,
                ", ".join(sorted(secrets & set(table))),
                path,
            )
