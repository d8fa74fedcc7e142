"""The example third-party plugin of the tutorial (docs/examples/ledgerport-fakex), installed like any
plugin: it runs through the CLI, and its own tests (the conformance kit) pass."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXAMPLE_PLUGIN
from ledgerport import SandboxServer
from ledgerport.cli import cli
from ledgerport.testing import ConnectorConformance


def test_the_example_plugin_syncs_through_the_cli(
    plugin_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledgerport_fakex.sandbox import FakexSandbox  # type: ignore[import-not-found]

    sandbox = FakexSandbox()
    monkeypatch.setenv("LEDGERPORT_PLUGINS", "fakex,csv")
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    assert "fakex" in runner.invoke(cli, ["plugins"]).stdout
    with SandboxServer(sandbox.handle) as server:
        result = runner.invoke(
            cli,
            [
                "sync",
                "fakex",
                "--base-url",
                server.url,
                "--since",
                "2024-01-01",
                "--until",
                "2024-01-22",
                "--sink",
                f"csv:{tmp_path / 'f.csv'}",
                "--no-state",
            ],
        )
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "f.csv").read_text().splitlines()[1:]
    expected = sandbox.expected(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 22, tzinfo=UTC))
    assert [row.split(",")[2] for row in rows] == [m["uid"] for m in expected]


@pytest.mark.slow
def test_the_example_plugin_passes_the_conformance_kit(installed_plugins: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed_plugins)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE_PLUGIN / "tests")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=EXAMPLE_PLUGIN,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    kit = [name for name in dir(ConnectorConformance) if name.startswith("test_")]
    assert f"{len(kit)} passed" in done.stdout, "the example runs every test of the conformance kit"
