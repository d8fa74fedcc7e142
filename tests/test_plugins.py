import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledgerport import Connector, PluginError, SinkType, hookimpl
from ledgerport.engine import plugins
from ledgerport.cli import cli


def test_installed_plugins_are_found_through_their_entry_points(plugin_path: Path) -> None:
    registry = plugins.Registry.load(env={plugins.PLUGINS_ENV: "ledgerport-testexchange,csv"})
    described = registry.describe()
    assert {"name": "testexchange", "description": "The tests' made-up exchange.",
            "distribution": "ledgerport-testexchange", "version": "0.0.1"} in described["connectors"]
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


class _Twice:
    @hookimpl
    def register_connectors(self, register: Callable[[Connector], None]) -> None:
        register(Connector(name="dup", description="first"))

    @hookimpl
    def register_sinks(self, register: Callable[[SinkType], None]) -> None:
        register(SinkType(name="csv", description="clash", open=lambda *a: None))  # type: ignore[arg-type, return-value]


class _Misspelt:
    @hookimpl
    def register_conectors(self, register: Callable[[Connector], None]) -> None:
        """A typo'd hook name: pluggy would otherwise ignore it silently."""


def test_a_plugin_with_a_clash_or_an_unknown_hook_is_left_out_whole(registry: plugins.Registry) -> None:
    registry.add(_Twice(), name="twice")
    registry.add(_Misspelt(), name="misspelt")
    assert "dup" not in registry.connectors, "a plugin failing on its sink must not leave its connector behind"
    assert registry.sinks["csv"].distribution == "ledgerport-csv"
    errors = dict((f.plugin, f.error) for f in registry.failures)
    assert errors["twice"] == "PluginError: sink 'csv' is registered twice"
    assert "register_conectors" in errors["misspelt"]
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
