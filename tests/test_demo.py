"""`ledgerport demo` on the workspace's own plugins: every file it writes passes the real tools."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledgerport_quickbooks.testing import assert_balanced, read_iif, read_qbo

from ledgerport.cli import cli
from ledgerport.engine import plugins
from ledgerport.testing import bean_check, hledger, ledger


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, set[str]]:
    out = tmp_path_factory.mktemp("demo")
    called: set[str] = set()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(plugins.PLUGINS_ENV, raising=False)
        patch.setattr(plugins, "_default", [])
        registry = plugins.default_registry()
        undo = registry.pm.add_hookcall_monitoring(lambda name, impls, kwargs: called.add(name), lambda *a: None)
        result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
        undo()
    assert result.exit_code == 0, result.output
    return out, result.stdout, called


@pytest.mark.parametrize("source", ["kucoin", "onekonto"])
def test_the_demo_writes_every_format_and_the_tools_accept_them(demo: tuple[Path, str, set[str]], source: str) -> None:
    out, _, _ = demo
    for suffix in (".csv", ".beancount", ".journal", ".iif", ".qbo.csv", ".postings.csv", ".koinly.csv", ".db"):
        assert (out / f"{source}{suffix}").stat().st_size > 0, suffix
    bean_check(out / f"{source}.beancount")
    hledger(out / f"{source}.journal", "check", "-s")
    ledger(out / f"{source}.journal", "balance")


@pytest.mark.parametrize("source", ["kucoin", "onekonto"])
def test_every_quickbooks_journal_balances_to_zero(demo: tuple[Path, str, set[str]], source: str) -> None:
    out, _, _ = demo
    iif, qbo = read_iif(out / f"{source}.iif"), read_qbo(out / f"{source}.qbo.csv")
    assert_balanced(iif)
    assert_balanced(qbo)
    assert len(iif) == len(qbo) > 100


def test_the_summary_says_what_was_written_and_how_to_check_it(demo: tuple[Path, str, set[str]]) -> None:
    out, stdout, called = demo
    assert "kucoin: " in stdout and "onekonto: " in stdout and "holdings: " in stdout
    checks = stdout.split("Check the books with the real tools:\n", 1)[1].split("\n")
    checks = [line.strip() for line in checks if line.strip()]
    assert f"bean-check {out.resolve() / 'kucoin.beancount'}" in checks
    assert f"hledger -f {out.resolve() / 'onekonto.journal'} check -s" in checks
    assert len(checks) == 6, "three commands, from the beancount and ledger sinks, for each of two sources"
    for check in checks:  # each sink's own commands, as printed, accept its files
        done = subprocess.run(shlex.split(check), capture_output=True, text=True, check=False)
        assert done.returncode == 0 and not done.stdout.startswith("error"), f"{check}: {done.stdout}{done.stderr}"
    assert "process_entries" in called
