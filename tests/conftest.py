"""Shared fixtures: the tests' own plugin distributions, installed for real, and a sandbox exchange."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sample import RECORDS, TOKEN

from ledgerport import SandboxServer
from ledgerport.engine import plugins

DISTRIBUTIONS = Path(__file__).parent / "distributions"
EXAMPLE_PLUGIN = Path(__file__).parents[1] / "docs" / "examples" / "ledgerport-fakex"


@pytest.fixture(scope="session")
def installed_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the tests' plugin distributions into a folder of their own, offline, as an installer would."""
    target = tmp_path_factory.mktemp("site")
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "the tests install their plugin distributions with uv; run them with `uv run pytest`"
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--offline",
            "--no-deps",
            "--no-build-isolation",
            "--python",
            sys.executable,
            "--target",
            str(target),
            *(str(d) for d in sorted(DISTRIBUTIONS.iterdir())),
            str(EXAMPLE_PLUGIN),
        ],
        check=True,
    )
    return target


@pytest.fixture
def plugin_path(installed_plugins: Path, monkeypatch: pytest.MonkeyPatch, only_plugins: Callable[[str], None]) -> Path:
    """Puts the installed test plugins on the path; the default registry loads only them and the csv
    sink, so these tests do not depend on which other first-party plugins the workspace holds."""
    monkeypatch.syspath_prepend(str(installed_plugins))
    only_plugins("testexchange,broken,csv")
    return installed_plugins


@pytest.fixture
def registry(plugin_path: Path) -> plugins.Registry:
    return plugins.Registry.load(env={plugins.PLUGINS_ENV: "testexchange,csv"})


@pytest.fixture
def serve(plugin_path: Path) -> Iterator[Callable[..., str]]:
    """Starts the test exchange's sandbox on 127.0.0.1 with the given records and faults; returns its URL."""
    from ledgerport_testexchange import sandbox  # type: ignore[import-not-found]

    servers: list[SandboxServer] = []

    def start(
        records: Sequence[dict[str, object]] = RECORDS,
        faults: Iterator[str] | None = None,
        budget: object = None,
        rewards: Sequence[dict[str, object]] | None = None,
        hidden: Sequence[dict[str, object]] = (),
        hostile: str = "",
    ) -> str:
        servers.append(SandboxServer(sandbox(records, TOKEN, faults, budget, rewards, hidden, hostile)).start())
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def exchange(serve: Callable[..., str]) -> str:
    return serve()
