"""pytest fixtures for testing ledgerport and its plugins: `pytest_plugins = ["ledgerport.testing.fixtures"]`.

- `private_state` (autouse): every test gets a state file of its own, so no test reads or writes the
  user's `~/.local/state/ledgerport/state.db`, which a CLI sync uses by default.
- `only_plugins("kucoin,csv")`: the default registry (what the CLI and `ledgerport.sync` load) holds
  just these plugins, loaded afresh, for this test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..engine import plugins

__all__ = ["only_plugins", "private_state"]


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "state" / "state.db"
    monkeypatch.setenv("LEDGERPORT_STATE", str(path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    return path


@pytest.fixture
def only_plugins(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def limit(names: str) -> None:
        monkeypatch.setenv(plugins.PLUGINS_ENV, names)
        monkeypatch.setattr(plugins, "_default", [])

    return limit
