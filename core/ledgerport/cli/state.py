"""`ledgerport state list|show|forget`: what the state file holds per output, and starting one over."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .main import cli, state_option


def _location(state_path: str | None) -> Path | str:
    """The state file, or a `postgresql://` URL."""
    from ..engine.state import default_state_path

    return state_path or default_state_path()


def _store(state_path: str | None) -> Any:
    """The state, whose file must exist: looking at state never creates a file (a database is
    there already, and its tables, if missing, are set up as a sync would)."""
    from ..engine.state import StateStore
    from ..engine.statedb import is_database_url

    location = _location(state_path)
    if not is_database_url(location) and not Path(location).is_file():
        raise click.UsageError(f"no state file at {location}: nothing has been synced with it yet")
    return StateStore(location)


def _span(record: Any) -> str:
    if not record.covered:
        return "nothing yet"
    parts = [f"{w.start:%Y-%m-%d %H:%M} .. {w.end:%Y-%m-%d %H:%M}" for w in record.covered]
    return ", ".join(parts) + " UTC"


def _select(records: list[Any], output: str, source: str | None, account: str | None) -> list[Any]:
    """The outputs a `NAME:TARGET` names (the target resolved as a sync resolves it), narrowed by
    source and account."""
    from ..engine.sync import _identity_of_target

    name, _, target = output.partition(":")
    sink = f"{name}:{_identity_of_target(target)}" if target else output
    found = [
        r for r in records if r.key.sink == sink and source in (None, r.key.source) and account in (None, r.key.account)
    ]
    if not found:
        raise click.UsageError(f"the state holds no output {sink}: `ledgerport state list` shows what it holds")
    return found


@cli.group()
def state() -> None:
    """What the state file holds per output; forget an output to start it over."""


@state.command(name="list")
@state_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(state_path: str | None, as_json: bool) -> None:
    """Every output: its source and account, the range it covers, its entries and its last run."""
    with _store(state_path) as store:
        records = store.outputs()
    if as_json:
        click.echo(json.dumps([_plain(r) for r in records], indent=2))
        return
    if not records:
        click.echo(f"{store.where} holds no output yet")
    for r in records:
        last = f"{r.last_run:%Y-%m-%d %H:%M} UTC" if r.last_run else "never"
        click.echo(f"{r.key.sink}\n  from {r.key.source}, account {r.key.account}: {_span(r)}")
        click.echo(f"  {r.entries:,} entries in {r.windows} windows, last run {last}, fingerprint {r.fingerprint[:12]}")


@state.command()
@click.argument("output", metavar="NAME:TARGET")
@click.option("--source", help="The source, where outputs of several share the target.")
@click.option("--account", help="The account, likewise.")
@state_option
def show(output: str, source: str | None, account: str | None, state_path: str | None) -> None:
    """Everything the state holds about one output, as JSON: range, entries, identity, fingerprint."""
    with _store(state_path) as store:
        records = _select(store.outputs(), output, source, account)
    click.echo(json.dumps([_plain(r) for r in records] if len(records) > 1 else _plain(records[0]), indent=2))


@state.command()
@click.argument("output", metavar="NAME:TARGET")
@click.option("--source", help="The source, where outputs of several share the target.")
@click.option("--account", help="The account, likewise.")
@state_option
@click.confirmation_option(prompt="Forget this output? Its next sync writes it anew (use --fresh then)")
def forget(output: str, source: str | None, account: str | None, state_path: str | None) -> None:
    """Drop what the state knows about an output: its next sync starts it afresh (with --fresh, as
    the file still holds the old entries)."""
    with _store(state_path) as store:
        records = _select(store.outputs(), output, source, account)
        keys = [r.key for r in records]
        store.claim(keys)
        store.forget(keys)
    for key in keys:
        click.echo(f"forgot {key.describe()}", err=True)


def _plain(record: Any) -> dict[str, Any]:
    unsettled = record.unsettled
    return {
        "source": record.key.source,
        "account": record.key.account,
        "sink": record.key.sink,
        "covered": [[w.start.isoformat(), w.end.isoformat()] for w in record.covered],
        "windows": record.windows,
        "entries": record.entries,
        "last_run": record.last_run.isoformat() if record.last_run else None,
        "fingerprint": record.fingerprint,
        "identity": dict(record.identity),
        "unsettled_since": unsettled.since.isoformat() if unsettled else None,
    }
