"""Every `ledgerport` command shown in the docs is one the CLI accepts, so the docs cannot drift."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from ledgerport.cli import cli

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
_PROMPT = re.compile(r"^\s*\$ (.*)$")


def _commands(page: Path) -> list[str]:
    """`$ ...ledgerport ...` lines of console blocks, continuation lines joined."""
    found, pending = [], ""
    for line in page.read_text(encoding="utf-8").splitlines():
        match = _PROMPT.match(line)
        text = pending + (match.group(1) if match else line.strip() if pending else "")
        if not (match or pending):
            continue
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        if re.search(r"(^|\s)ledgerport\s", text + " "):
            found.append(text)
    return found


EXAMPLES = [(page.relative_to(ROOT).as_posix(), command) for page in PAGES for command in _commands(page)]


def _arguments(command: str) -> list[str]:
    words = shlex.split(command, comments=True)
    start = next(i for i, word in enumerate(words) if word == "ledgerport" or word.endswith("/ledgerport"))
    return words[start + 1 :]


def test_the_docs_show_commands() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize(("page", "command"), EXAMPLES, ids=[f"{p}: {c[:50]}" for p, c in EXAMPLES])
def test_every_documented_command_is_accepted_by_the_cli(page: str, command: str) -> None:
    arguments = _arguments(command)
    split = next((i for i, word in enumerate(arguments) if not word.startswith("-")), len(arguments))
    try:
        context = cli.make_context("ledgerport", arguments[: split + 1])
        sub = cli.get_command(context, arguments[split])
        assert sub is not None, f"{page}: unknown command in {command!r}"
        sub.make_context(arguments[split], arguments[split + 1 :], parent=context)
    except click.exceptions.Exit as done:
        assert done.exit_code == 0
