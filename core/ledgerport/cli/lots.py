"""`ledgerport lots`: the open lots of a journal kept at cost, as its last sync left them.

What an auditor asks for at a period end: per holding and asset, what is held, since when, at what
cost. The lots are read from the state file, where each sync commits them with its window, so the
figures are exactly those the books were written with, without fetching anything.
"""

from __future__ import annotations

import csv
import json
import sys

import click

from .main import cli, state_option
from .state import _select, _store


@cli.command()
@click.argument("output", metavar="NAME:TARGET")
@click.option("--source", help="The source, where outputs of several share the target.")
@click.option("--account", help="The account, likewise.")
@state_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def lots(output: str, source: str | None, account: str | None, state_path: str | None, as_json: bool) -> None:
    """The open lots of a journal output kept at cost (--cost-basis), as CSV: holding, asset,
    quantity, acquired, cost, cost_currency, lot_id, in_transit (lots in transit last, named for
    the holding they left)."""
    from ..books import LotBook, LotSettings, PriceBook
    from ..books.lots import OPEN_LOT_COLUMNS
    from ..sdk.textsafe import cell, json_text

    with _store(state_path) as store:
        records = _select(store.outputs(), output, source, account)
        if len(records) > 1:
            raise click.UsageError(f"{output} is fed from several sources or accounts: give --source and --account")
        key = records[0].key
        state = store.lots(key)
    if state is None:
        raise click.UsageError(f"{key.describe()} is not kept at cost: sync it with --cost-basis first")
    settings = LotSettings(
        method=state["method"], pool=state["pool"], fees=state["fees"], home_currency=state["home_currency"]
    )
    rows = [lot.row(settings.home_currency) for lot in LotBook(settings, PriceBook(), state=state).open_lots()]
    if as_json:
        click.echo(json_text(json.dumps([dict(zip(OPEN_LOT_COLUMNS, row, strict=True)) for row in rows], indent=2)))
        return
    text = {OPEN_LOT_COLUMNS.index(name) for name in ("holding", "asset", "lot_id")}
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(OPEN_LOT_COLUMNS)
    writer.writerows([cell(v) if i in text else v for i, v in enumerate(row)] for row in rows)
