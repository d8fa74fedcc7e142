"""The distributions as a user gets them: metadata and READMEs fit for PyPI, and the built wheels
installed into a fresh virtualenv outside the workspace, where the command must work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import test_docs

ROOT = Path(__file__).parents[1]
PROJECTS = [ROOT, *sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())]
READMES = [(ROOT / tomllib.loads((p / "pyproject.toml").read_text())["project"]["readme"]).resolve() for p in [ROOT]]
READMES += [p / "README.md" for p in PROJECTS[1:]]


def _project(folder: Path) -> dict[str, object]:
    return tomllib.loads((folder / "pyproject.toml").read_text())["project"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("folder", PROJECTS, ids=lambda p: p.name)
def test_every_distribution_says_who_what_and_where(folder: Path) -> None:
    project = _project(folder)
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (folder / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert project["authors"]
    # no project URLs until the project has a public home: a made-up address would mislead
    assert "urls" not in project
    assert "Typing :: Typed" in project["classifiers"]  # type: ignore[operator]
    assert (folder / str(project["readme"])).is_file()


@pytest.mark.parametrize("folder", PROJECTS[1:], ids=lambda p: p.name)
def test_every_plugin_ships_its_type_hints(folder: Path) -> None:
    (package,) = (p for p in folder.iterdir() if p.name.startswith("ledgerport_") and p.is_dir())
    assert (package / "py.typed").is_file()


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_the_readmes_read_well_on_pypi(readme: Path) -> None:
    """PyPI shows a README on its own: no `uv run` (that is for a checkout), no links into the repository."""
    text = readme.read_text()
    assert "uv run" not in text
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert all(link.startswith("https://") for link in links), links
    for command in test_docs._commands(readme):
        if command.startswith("ledgerport "):  # not `pip install ledgerport ...`
            test_docs.test_every_documented_command_is_accepted_by_the_cli(readme.name, command)


def test_the_extras() -> None:
    extras = _project(ROOT)["optional-dependencies"]
    plugins = {str(_project(folder)["name"]) for folder in PROJECTS[1:]}
    assert {re.split(r"[<>=\[]", dep)[0] for dep in extras["all"]} == plugins  # type: ignore[index]
    assert [dep.startswith("pytest") for dep in extras["testing"]] == [True]  # type: ignore[index]
    sql = _project(ROOT / "plugins" / "sql")
    assert not any("psycopg" in dep for dep in sql["dependencies"])  # type: ignore[attr-defined]
    assert sql["optional-dependencies"]["postgres"] == ["psycopg[binary]>=3.2"]  # type: ignore[index]


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "run the tests with `uv run pytest`"
    return uv


@pytest.mark.slow
def test_the_built_wheels_work_in_a_fresh_virtualenv(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Outside the workspace, with nothing but what the wheels declare: the plugins are found, a sync
    from the KuCoin sandbox and the demo run."""
    uv, dist, home = _uv(), tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("user")
    # built with the workspace's own hatchling (the dev group has it): no index needed, offline
    build = [uv, "build", "--all-packages", "--offline", "--no-build-isolation", "--quiet", "-o", str(dist)]
    subprocess.run(build, cwd=ROOT, check=True)
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheels) == len(sdists) == len(PROJECTS)
    for wheel in wheels:
        assert any(name.endswith(".dist-info/licenses/LICENSE") for name in zipfile.ZipFile(wheel).namelist()), wheel
    for sdist in sdists:
        with tarfile.open(sdist) as archive:
            assert any(name.count("/") == 1 and name.endswith("/LICENSE") for name in archive.getnames()), sdist

    venv = home / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    wanted = ["ledgerport", "ledgerport-kucoin", "ledgerport-csv", "ledgerport-beancount"]
    # Offline throughout: the third-party dependencies at the lock's versions, by the lock's URLs,
    # which `uv sync` has already put in uv's cache (pinned names alone would need the index), then
    # the built wheels themselves, without resolving anything more.
    deps = home / "pylock.toml"
    packages = [arg for name in wanted[1:] for arg in ("--package", name)]
    export = [uv, "export", "--format", "pylock.toml", "--frozen", "--no-dev", "--no-emit-workspace", *packages]
    subprocess.run([*export, "--quiet", "-o", str(deps)], cwd=ROOT, check=True)
    pip = [uv, "pip", "install", "--quiet", "--offline", "--python", str(python)]
    subprocess.run([*pip, "-r", str(deps)], check=True, cwd=home)
    subprocess.run([*pip, "--no-deps", "--find-links", str(dist), *wanted], check=True, cwd=home)
    # what every installed wheel declares is there: nothing came in that the wheels do not ask for
    subprocess.run([uv, "pip", "check", "--quiet", "--python", str(python)], check=True, cwd=home)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "PYTHON", "LEDGERPORT", "UV_", "KUCOIN", "XDG_"))
    }
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")

    def run(*args: str) -> str:
        done = subprocess.run(args, check=False, cwd=home, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    listed = run(str(venv / "bin" / "ledgerport"), "plugins")
    for name in ("kucoin", "csv", "beancount"):
        assert re.search(rf"^  {name} .*\[ledgerport-{name} 0\.1\.0\]$", listed, re.MULTILINE), listed
    synced = run(
        str(python),
        "-c",
        "import subprocess, sys\n"
        "from ledgerport_kucoin.sandbox import KucoinSandbox\n"
        "sandbox = KucoinSandbox()\n"
        "with sandbox.serve() as server:\n"
        "    ledger = sandbox.ledger\n"
        "    sys.exit(subprocess.run(['ledgerport', 'sync', 'kucoin', '--base-url', server.url,\n"
        "        '--since', f'{ledger.start:%Y-%m-%d}', '--until', f'{ledger.end:%Y-%m-%d}',\n"
        "        '--sink', 'csv:kucoin.csv', '--sink', 'beancount:kucoin.beancount'],\n"
        "        env={**__import__('os').environ, **sandbox.credentials.env()}).returncode)\n",
    )
    assert re.search(r"^\d+ new entries from kucoin in \d+ windows$", synced, re.MULTILINE), synced
    assert (home / "kucoin.csv").stat().st_size > 0 and (
        home / ".local" / "state" / "ledgerport" / "state.db"
    ).is_file()
    demo = run(str(venv / "bin" / "ledgerport"), "demo", "--out", str(home / "demo"))
    assert "kucoin:" in demo and (home / "demo").is_dir()
