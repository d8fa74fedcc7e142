"""The command line: a thin click layer over the Python API (`ledgerport.sync`, `ledgerport.Registry`)."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import click

from .. import __version__

SYNC_EXAMPLES = """
\b
Examples:
  ledgerport sync kucoin --since 2024-01-01 --until 2024-03-01 --sink csv:kucoin.csv
  ledgerport sync onekonto --account ACC1 --base-url https://api.example \\
      --since 2024-01-01 --sink csv:onekonto.csv
  ledgerport sync kucoin --since 2024-01-01T12:00:00Z --set kucoin.currency=BTC,ETH \\
      --config ledgerport.toml --sink csv:-

\b
--since is inclusive and --until exclusive, both UTC: a date means its midnight, a date-time
without an offset is read as UTC. Credentials come from the environment or the config file.
"""


class _Instant(click.ParamType[datetime]):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        from ..model.times import parse_instant

        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _plain(_instance: object, _attribute: object, value: object) -> object:
    """JSON for a report: instants in ISO 8601, amounts as exact decimal text (never a float)."""
    from decimal import Decimal

    from ..model.money import format_decimal

    if isinstance(value, datetime):
        return value.isoformat()
    return format_decimal(value) if isinstance(value, Decimal) else value


class _Group(click.Group):
    """Turns errors into one line on stderr and exit status 1; `-v` adds the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from ..errors import LedgerportError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except LedgerportError as exc:
            self._fail(ctx, str(exc))
        except Exception as exc:
            self._fail(ctx, f"unexpected {type(exc).__name__}: {exc}")

    @staticmethod
    def _fail(ctx: click.Context, message: str) -> None:
        from ..secret import redact

        if (ctx.obj or {}).get("verbose", 0) > 0:
            click.echo(redact(traceback.format_exc()), err=True, nl=False)
        click.echo(f"error: {redact(message)}", err=True)
        ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ledgerport")
@click.option("-v", "--verbose", count=True, help="More logging; with an error, show the traceback.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Pull account ledgers from exchanges and custodians and write them as books."""
    from ..secret import RedactingFilter

    ctx.obj = {"verbose": verbose, "quiet": quiet}
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "ledgerport", False)]
    handler.ledgerport = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)])


@cli.command(epilog=SYNC_EXAMPLES)
@click.argument("source")
@click.option(
    "--since",
    type=_Instant(),
    help="Start of the range, inclusive. Default: where each output's state ends, else the source's history start.",
)
@click.option("--until", type=_Instant(), help="End of the range, exclusive. Default: now.")
@click.option(
    "--sink", "sinks", multiple=True, required=True, metavar="NAME:TARGET", help="Where to write; repeatable."
)
@click.option("--base-url", help="The source's API address (a sandbox, a proxy).")
@click.option("--account", help="Which account of the source to sync.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config file.")
@click.option(
    "--set", "options", multiple=True, metavar="PLUGIN.FIELD=VALUE", help="A connector or sink setting; repeatable."
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    envvar="LEDGERPORT_STATE",
    show_envvar=True,
    help="State file that makes re-runs incremental and crashes resumable. "
    "Default: $XDG_STATE_HOME/ledgerport/state.db (~/.local/state/...).",
)
@click.option("--no-state", is_flag=True, help="Keep no state: every output starts afresh.")
@click.option("--fresh", is_flag=True, help="Forget the state of these outputs and write them over.")
@click.option(
    "--lookback",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="MINUTES",
    help="How late a source may post an entry: the newest stretch fetched within this of its end is read again.",
)
@click.option(
    "--on-bad-record",
    type=click.Choice(["fail", "skip"]),
    default="fail",
    show_default=True,
    help="Stop at a record that cannot be read, or skip it into the quarantine file.",
)
@click.option(
    "--quarantine",
    type=click.Path(dir_okay=False),
    default="ledgerport-quarantine.jsonl",
    show_default=True,
    help="Where skipped records go, one JSON line each with the reason.",
)
@click.option(
    "--prices",
    "price_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="CSV of prices (date,asset,currency,price) for sinks that value in money; repeatable. "
    "Default: [books] prices.",
)
@click.option("--home-currency", metavar="CODE", help="The currency values are written in. Default: [books], else USD.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary of the run on stdout.")
@click.pass_context
def sync(
    ctx: click.Context,
    source: str,
    since: datetime | None,
    until: datetime | None,
    sinks: tuple[str, ...],
    base_url: str | None,
    account: str | None,
    config_path: str | None,
    options: tuple[str, ...],
    state_path: str | None,
    no_state: bool,
    fresh: bool,
    lookback: float,
    on_bad_record: Literal["fail", "skip"],
    quarantine: str,
    price_files: tuple[str, ...],
    home_currency: str | None,
    as_json: bool,
) -> None:
    """Sync the ledger of SOURCE between --since and --until into every --sink."""
    import attrs

    from ..engine.request import SyncRequest
    from ..engine.state import default_state_path
    from ..engine.sync import sync as run_sync
    from .progress import progress_display

    request = SyncRequest(
        source=source,
        since=since,
        until=until,
        sinks=sinks,
        base_url=base_url,
        account=account,
        config=config_path,
        options=options,
        state=None if no_state else (state_path or default_state_path()),
        fresh=fresh,
        lookback=timedelta(minutes=lookback),
        on_bad_record=on_bad_record,
        quarantine=quarantine,
        prices=price_files or None,
        home_currency=home_currency,
    )
    with progress_display(enabled=not ctx.obj["quiet"] and sys.stderr.isatty()) as progress:
        report = run_sync(request, progress=progress)
    if as_json:
        click.echo(json.dumps(attrs.asdict(report, value_serializer=_plain), indent=2))
    else:
        click.echo(f"{report.entries} new entries from {report.source} in {report.windows} windows", err=True)
        differing = [row for row in report.reconciliation if row.difference]
        if report.reconciliation:
            click.echo(
                f"reconciled {len(report.reconciliation)} holdings with {report.source}: "
                + (f"{len(differing)} differ (see the warnings above)" if differing else "all agree"),
                err=True,
            )
    if report.skipped:
        click.echo(f"{report.skipped} bad records skipped, see {report.quarantine}", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List the installed connectors and sinks, and plugins that failed to load."""
    from ..engine.plugins import default_registry

    described = default_registry().describe()
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for title, key in (("Connectors", "connectors"), ("Sinks", "sinks")):
        click.echo(f"{title}:")
        for row in described[key] or [{"name": "(none)", "description": "", "distribution": "", "version": ""}]:
            origin = f"  [{row['distribution']} {row['version']}]" if row["distribution"] else ""
            click.echo(f"  {row['name']:<12} {row['description']}{origin}")
    for failure in described["failures"]:
        click.echo(f"Failed: {failure['plugin']}: {failure['error']}", err=True)


@cli.command(epilog="Then check the books with the commands it prints: each sink names its format's own tools.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ledgerport-demo"),
    show_default=True,
    help="Where to write the files.",
)
def demo(out: Path) -> None:
    """Sync the built-in sandbox exchanges into every installed sink: no account, no network."""
    from ..engine.demo import run_demo
    from ..model.money import format_decimal

    results = run_demo(out, progress=lambda line: click.echo(line, err=True))
    for result in results:
        report = result.report
        click.echo(
            f"\n{result.source}: {report.entries} entries, {report.requests} requests, {report.duration_seconds:.1f}s"
        )
        click.echo("  holdings: " + ", ".join(f"{format_decimal(v)} {k}" for k, v in result.holdings.items()))
        for name, target in result.outputs.items():
            click.echo(f"  {name:<10} {target}")
    checks = [check for result in results for check in result.checks]
    if checks:
        click.echo("\nCheck the books with the real tools:")
        for check in checks:
            click.echo(f"  {check}")


def main() -> None:
    # httpx imports its own command line (click, rich, pygments: a fifth of a second) when it is
    # importable; ledgerport never uses it, so the command skips it, and with it that start-up time.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    cli(prog_name="ledgerport")
