"""Syncs in separate processes sharing one state file: different outputs run side by side, one output once."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from test_crash_resume import RECORDS, command, process_env

from ledgerport.testing import wait_until

DEADLINE_SECONDS = 60.0


def _ids(path: Path) -> list[str]:
    return [line.split(",")[2] for line in path.read_text().splitlines()[1:]]


def _started(path: Path) -> bool:
    return path.exists() and path.read_text().count("\n") > 1


def overlapping_accounts(url: str, env: dict[str, str], tmp_path: Path) -> dict[str, subprocess.Popen[str]]:
    """Syncs of the accounts alice and bob, started together and both under way (each has committed a
    window): the source must be slow enough (a small rate budget) for them to overlap."""
    runs = {
        name: subprocess.Popen(
            [*command(url, tmp_path, f"{name}.csv"), "--account", name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alice", "bob")
    }
    wait_until(
        lambda: all(_started(tmp_path / f"{n}.csv") for n in runs) or any(p.poll() is not None for p in runs.values()),
        "both runs have committed a window",
    )
    assert all(p.poll() is None for p in runs.values()), "a run finished before the other started: make them slower"
    return runs


@pytest.mark.slow
def test_two_accounts_sync_at_the_same_time_into_one_state_file(
    serve: Callable[..., str], installed_plugins: Path, tmp_path: Path
) -> None:
    from ledgerport_testexchange import rate_budget  # type: ignore[import-not-found]

    env = process_env(installed_plugins, tmp_path / "state.db")
    runs = overlapping_accounts(serve(RECORDS, budget=rate_budget(size=6, period=0.1)), env, tmp_path)
    for name, process in runs.items():
        _, stderr = process.communicate(timeout=DEADLINE_SECONDS)
        assert process.returncode == 0, stderr
        ids = _ids(tmp_path / f"{name}.csv")
        assert ids == [r["id"] for r in RECORDS], f"{name}: not every entry exactly once"
        assert {line.split(",")[1] for line in (tmp_path / f"{name}.csv").read_text().splitlines()[1:]} == {name}


@pytest.mark.slow
def test_a_second_sync_of_the_same_output_is_refused_naming_the_first(
    serve: Callable[..., str], installed_plugins: Path, tmp_path: Path
) -> None:
    from ledgerport_testexchange import rate_budget  # type: ignore[import-not-found]

    env = process_env(installed_plugins, tmp_path / "state.db")
    url = serve(RECORDS, budget=rate_budget(size=4, period=0.1))
    first = subprocess.Popen(
        command(url, tmp_path, "a.csv"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_until(lambda: _started(tmp_path / "a.csv") or first.poll() is not None, "the first run has committed a window")
    assert first.poll() is None, "the first run finished too soon: make it slower"
    second = subprocess.run(
        command(url, tmp_path, "a.csv"), env=env, capture_output=True, text=True, timeout=DEADLINE_SECONDS, check=False
    )
    assert second.returncode == 1
    assert f"is being synced by ledgerport process {first.pid}, since " in second.stderr
    _, stderr = first.communicate(timeout=DEADLINE_SECONDS)
    assert first.returncode == 0, stderr
    assert _ids(tmp_path / "a.csv") == [r["id"] for r in RECORDS]
