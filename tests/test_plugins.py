import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledgerport import Connector, NoSettings, PluginError, Session, SinkType, Stream, hookimpl
from ledgerport.cli import cli
from ledgerport.engine import plugins


def test_installed_plugins_are_found_through_their_entry_points(plugin_path: Path) -> None:
    registry = plugins.Registry.load(env={plugins.PLUGINS_ENV: "ledgerport-testexchange,csv"})
    described = registry.describe()
    assert {
        "name": "testexchange",
        "description": "The tests' made-up exchange.",
        "distribution": "ledgerport-testexchange",
        "version": "0.0.1",
    } in described["connectors"]
    assert [s["name"] for s in described["sinks"]] == ["csv"]
    assert described["sinks"][0]["distribution"] == "ledgerport-csv"


def test_a_plugin_that_raises_on_import_is_reported_and_the_rest_still_work(plugin_path: Path) -> None:
    registry = plugins.Registry.load()
    assert [(f.plugin, f.error) for f in registry.failures] == [
        ("broken", "RuntimeError: this plugin is broken on purpose")
    ]
    assert registry.connector("testexchange").name == "testexchange"


def test_ledgerport_plugins_limits_loading_by_entry_point_or_distribution(plugin_path: Path) -> None:
    only_csv = plugins.Registry.load(env={plugins.PLUGINS_ENV: "ledgerport-csv"})
    assert (list(only_csv.connectors), list(only_csv.sinks), only_csv.failures) == ([], ["csv"], [])
    none = plugins.Registry.load(env={plugins.PLUGINS_ENV: ""})
    assert (none.connectors, none.sinks) == ({}, {})
    with pytest.raises(PluginError, match=r"unknown connector 'testexchange' \(available: none installed\)"):
        none.connector("testexchange")


class _Dup(Connector[NoSettings]):
    name = "dup"
    description = "first"

    def streams(self, session: Session) -> list[Stream]:
        return []


class _Twice:
    @hookimpl
    def register_connectors(self, register: Callable[[type[Connector[Any]]], None]) -> None:
        register(_Dup)

    @hookimpl
    def register_sinks(self, register: Callable[[SinkType], None]) -> None:
        register(SinkType(name="csv", description="clash", open=lambda *a: None))  # type: ignore[arg-type, return-value]


class _NotAClass:
    @hookimpl
    def register_connectors(self, register: Callable[[object], None]) -> None:
        register(_Dup(NoSettings(), None))  # type: ignore[arg-type]


class _Misspelt:
    @hookimpl
    def register_conectors(self, register: Callable[[object], None]) -> None:
        """A typo'd hook name: pluggy would otherwise ignore it silently."""


def test_a_plugin_with_a_clash_or_an_unknown_hook_is_left_out_whole(registry: plugins.Registry) -> None:
    registry.add(_Twice(), name="twice")
    registry.add(_Misspelt(), name="misspelt")
    registry.add(_NotAClass(), name="instance")
    assert "dup" not in registry.connectors, "a plugin failing on its sink must not leave its connector behind"
    assert registry.sinks["csv"].distribution == "ledgerport-csv"
    errors = {f.plugin: f.error for f in registry.failures}
    assert errors["twice"] == "PluginError: sink 'csv' is registered twice"
    assert "register_conectors" in errors["misspelt"]
    assert errors["instance"].startswith("PluginError: register_connectors takes a Connector subclass, not <")
    assert registry.pm.get_plugin("twice") is None and registry.pm.get_plugin("misspelt") is None


def test_cli_lists_plugins_as_text_and_json(plugin_path: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["plugins"])
    assert text.exit_code == 0
    assert "testexchange" in text.stdout and "[ledgerport-testexchange 0.0.1]" in text.stdout
    assert "Failed: broken: RuntimeError: this plugin is broken on purpose" in text.stderr
    as_json = json.loads(runner.invoke(cli, ["plugins", "--json"]).stdout)
    assert [c["name"] for c in as_json["connectors"]] == ["testexchange"]
    assert as_json["failures"] == [{"plugin": "broken", "error": "RuntimeError: this plugin is broken on purpose"}]


@pytest.mark.slow
def test_mypy_strict_accepts_the_public_namespace_in_a_users_code(tmp_path: Path) -> None:
    """`from ledgerport import ...` type-checks for a user whose own code is strict: `__all__` is literal."""
    user = tmp_path / "nightly.py"
    user.write_text(
        "from datetime import UTC, datetime\n\n"
        "from ledgerport import Connector, Entry, Stream, SyncReport, SyncRequest, sync\n\n\n"
        "def run() -> SyncReport:\n"
        '    request = SyncRequest(source="kucoin", since=datetime(2024, 1, 1, tzinfo=UTC), sinks=["csv:out.csv"])\n'
        "    return sync(request)\n\n\n"
        "def amount(entry: Entry) -> str:\n"
        "    return str(entry.amount)\n\n\n"
        "BASES: tuple[type, ...] = (Connector, Stream)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
