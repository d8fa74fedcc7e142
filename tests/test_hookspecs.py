"""Meta-tests, as datasette has them: every hook is documented and exercised."""

from __future__ import annotations

import re
from pathlib import Path

from ledgerport import hookspecs, plugins
from sample import SINCE, TOKEN, UNTIL
from test_engine import run

DOCS = Path(__file__).parents[1] / "docs" / "plugin-hooks.md"
SPECS = {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "ledgerport_spec")}


def test_there_are_hookspecs() -> None:
    assert {"register_connectors", "register_sinks", "connector_auth", "map_record"} <= SPECS


def test_every_hookspec_is_documented_and_nothing_else_is() -> None:
    documented = set(re.findall(r"^### `(\w+)\(", DOCS.read_text(), flags=re.MULTILINE))
    assert documented == SPECS


def test_every_hookspec_is_exercised_by_a_sync(registry: plugins.Registry, exchange: str, tmp_path: Path) -> None:
    called: set[str] = set()
    undo = registry.pm.add_hookcall_monitoring(lambda name, impls, kwargs: called.add(name), lambda *args: None)
    try:
        report = run(registry, exchange, tmp_path / "o.csv", since=SINCE, until=UNTIL, env={"TESTEXCHANGE_TOKEN": TOKEN})
    finally:
        undo()
    assert report.entries == 6
    # the registration hooks run at load time, one plugin at a time, outside pm.hook
    assert registry.connectors and registry.sinks
    assert called == SPECS - {"register_connectors", "register_sinks"}
