"""The command line: a thin click layer over the Python API (`ledgerport.sync`, `ledgerport.Registry`)."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import click

from .. import __version__

SYNC_EXAMPLES = """
\b
Examples:
  ledgerport sync kucoin --since 2024-01-01 --until 2024-03-01 --sink csv:kucoin.csv
  ledgerport sync kucoin --sink csv:kucoin.csv        # nightly: continues where the output ends
  ledgerport sync kucoin --sink csv:kucoin.csv --dry-run --json
  ledgerport sync onekonto --account ACC1 --base-url https://api.example \\
      --since 2024-01-01 --sink csv:onekonto.csv
  ledgerport sync kucoin --since 2024-01-01T12:00:00Z --set kucoin.currency=BTC,ETH \\
      --config ledgerport.toml --sink csv:-
  ledgerport sync --all --config firm.toml --jobs 16   # every [[accounts]] table of the config

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


class ConnectorName(click.ParamType[str]):
    """A connector's name; the shell completes the installed ones."""

    name = "SOURCE"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from ..engine.plugins import default_registry

        return [
            CompletionItem(row["name"], help=row["description"])
            for row in default_registry().describe()["connectors"]
            if row["name"].startswith(incomplete)
        ]


class SinkSpec(click.ParamType[str]):
    """`NAME:TARGET`; the shell completes the installed sinks' names."""

    name = "NAME:TARGET"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        name, sep, target = str(value).partition(":")
        if not (sep and name and target):
            self.fail(f"{value!r}: expected NAME:TARGET, e.g. csv:out.csv (- for standard output)", param, ctx)
        return str(value)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from ..engine.plugins import default_registry

        if ":" in incomplete:  # the target: a file name
            return [CompletionItem(incomplete, type="file")]
        return [
            CompletionItem(f"{row['name']}:", help=row["description"])
            for row in default_registry().describe()["sinks"]
            if row["name"].startswith(incomplete)
        ]


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    envvar="LEDGERPORT_CONFIG",
    show_envvar=True,
    help="TOML config file. Default: $XDG_CONFIG_HOME/ledgerport/config.toml (~/.config/...) if it exists.",
)
state_option = click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    envvar="LEDGERPORT_STATE",
    show_envvar=True,
    help="State file that makes re-runs incremental and crashes resumable. "
    "Default: $XDG_STATE_HOME/ledgerport/state.db (~/.local/state/...).",
)


def resolve_config(config_path: str | None) -> Path | None:
    """The config file given (or in LEDGERPORT_CONFIG), else the user's default one if it exists."""
    from ..engine.config import default_config_path

    if config_path is not None:
        return Path(config_path)
    found = default_config_path()
    return found if found.is_file() else None


def describe_error(exc: Exception) -> str:
    """Our errors are written for the user; anything else is a bug, and says what it is."""
    from ..errors import LedgerportError

    return str(exc) if isinstance(exc, LedgerportError) else f"unexpected {type(exc).__name__}: {exc}"


class _Group(click.Group):
    """Turns errors into a line on stderr and exit status 1; `-v` adds the traceback.

    A command may leave lines for after the error in `ctx.obj["after_error"]`: what was done before
    it failed and how to go on."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            self._fail(ctx, describe_error(exc))

    @staticmethod
    def _fail(ctx: click.Context, message: str) -> None:
        from ..sdk.textsafe import plain
        from ..secret import redact

        obj = ctx.obj or {}
        if "logs" in obj:
            obj["logs"].end_run()
        if obj.get("verbose", 0) > 0:
            click.echo(redact(traceback.format_exc()), err=True, nl=False)
        click.echo(f"error: {plain(redact(message))}", err=True)
        for line in obj.get("after_error", ()):
            click.echo(line, err=True)
        ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ledgerport")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More logging: -v what the sync does, -vv debug lines too, -vvv the HTTP library's as well; "
    "with an error, the traceback.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (and the --json report if asked for).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Pull account ledgers from exchanges and custodians and write them as books."""
    from .logs import configure

    logs = configure(verbose, quiet)
    ctx.obj = {"verbose": verbose, "quiet": quiet, "logs": logs, "after_error": []}
    ctx.call_on_close(logs.end_run)


def check_names(ctx: click.Context, registry: Any, source: str | None, sinks: tuple[str, ...]) -> None:
    """Unknown plugin names are usage errors (status 2), found before anything starts."""
    from ..errors import PluginError

    try:
        if source is not None:
            registry.connector(source)
        for spec in sinks:
            registry.sink_type(spec.partition(":")[0])
    except PluginError as exc:
        raise click.UsageError(str(exc), ctx) from None


@cli.command(epilog=SYNC_EXAMPLES)
@click.argument("source", type=ConnectorName(), required=False)
@click.option(
    "--since",
    type=_Instant(),
    help="Start of the range, inclusive. Default: where each output's state ends, else the source's history start.",
)
@click.option(
    "--until",
    type=_Instant(),
    help="End of the range, exclusive. Default: now (a later one is clipped to now).",
)
@click.option(
    "--sink",
    "sinks",
    multiple=True,
    type=SinkSpec(),
    metavar="NAME:TARGET",
    help="Where to write (TARGET - is standard output); repeatable.",
)
@click.option("--base-url", help="The source's API address (a sandbox, a proxy).")
@click.option("--account", help="Which account of the source to sync.")
@config_option
@click.option(
    "--set", "options", multiple=True, metavar="PLUGIN.FIELD=VALUE", help="A connector or sink setting; repeatable."
)
@state_option
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
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait for one read from the source; a whole answer gets four times it.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    metavar="N",
    help="Pages one window may take before the sync stops (a source whose pages never end).",
)
@click.option(
    "--max-answer-mb",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    metavar="MB",
    help="Largest answer (MiB) the sync reads before it stops.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    metavar="N",
    help="Requests in flight: windows fetched at once, within the source's rate budget; 1 for one at a time.",
)
@click.option(
    "--on-bad-record",
    type=click.Choice(["fail", "skip"]),
    default="fail",
    show_default=True,
    help="Stop at a record that cannot be read, or skip it into the quarantine file.",
)
@click.option(
    "--on-missing-price",
    type=click.Choice(["fail", "skip"]),
    default="fail",
    show_default=True,
    help="A sink valuing at market without a price: stop, or leave that transaction out of it into the "
    "quarantine file (the other sinks write it).",
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
@click.option(
    "--timezone",
    metavar="ZONE",
    help="Date the books in this IANA time zone (America/New_York); timestamps stay UTC. Default: [books], else UTC.",
)
@click.option(
    "--cost-basis",
    type=click.Choice(["none", "fifo", "lifo", "hifo", "average"]),
    help="Keep the journals at cost with realized gains, lots consumed by this method. "
    "Default: [books] cost_basis, else none (quantities only).",
)
@click.option(
    "--lot-pool",
    type=click.Choice(["wallet", "universal"]),
    help="Lots per holding (wallet) or per asset across every holding (universal). Default: [books], else wallet.",
)
@click.option(
    "--on-missing-lots",
    type=click.Choice(["error", "zero"]),
    help="Selling more than the lots hold: stop (error), or take a zero-cost lot with a warning. Default: error.",
)
@click.option(
    "--opening-lots",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="CSV of what holdings cost before the books begin (date,sub_account,asset,quantity,cost,currency).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON report of the run, on failure too: on stdout, or on stderr when a sink writes to stdout.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Fetch what the sync would fetch and report it, writing nothing: no output, no state.",
)
@click.option(
    "--json-file",
    type=click.Path(dir_okay=False, writable=True),
    metavar="PATH",
    help="Write the JSON report of the run (success or failure) to this file.",
)
@click.option(
    "--all",
    "all_accounts",
    is_flag=True,
    help="Sync every [[accounts]] table of the config, side by side, instead of one SOURCE.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="NAME[,NAME...]",
    help="With --all: only these accounts; repeatable.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --all: how many accounts are synced at once. Default: 4.",
)
@click.pass_context
def sync(
    ctx: click.Context,
    source: str | None,
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
    timeout: float,
    max_pages: int,
    max_answer_mb: int,
    concurrency: int,
    on_bad_record: Literal["fail", "skip"],
    on_missing_price: Literal["fail", "skip"],
    quarantine: str,
    price_files: tuple[str, ...],
    home_currency: str | None,
    timezone: str | None,
    cost_basis: str | None,
    lot_pool: str | None,
    on_missing_lots: str | None,
    opening_lots: str | None,
    as_json: bool,
    dry_run: bool,
    json_file: str | None,
    all_accounts: bool,
    only: tuple[str, ...],
    jobs: int | None,
) -> None:
    """Sync the ledger of SOURCE between --since and --until into every --sink; or, with --all,
    every account of the config file into its own sinks."""
    import attrs

    from ..engine.plugins import default_registry
    from ..engine.request import SyncRequest
    from ..engine.state import default_state_path
    from ..engine.sync import sync as run_sync
    from .progress import progress_display
    from .report import Committed, failure_report, json_destination, success_report

    registry = default_registry()
    many = _many_accounts(ctx, source, sinks, all_accounts, only, jobs)
    check_names(ctx, registry, source, sinks)
    if since is not None and since >= (until or datetime.now(UTC)):
        end = "now" if until is None else until.isoformat()
        raise click.UsageError(f"the range is empty: --since {since.isoformat()} is not before {end}", ctx)
    request = SyncRequest(
        source=source or "",
        since=since,
        until=until,
        sinks=sinks,
        base_url=base_url,
        account=account,
        config=resolve_config(config_path),
        options=options,
        state=None if no_state else (state_path or default_state_path()),
        fresh=fresh,
        lookback=timedelta(minutes=lookback),
        timeout=timeout,
        max_pages=max_pages,
        max_answer_bytes=max_answer_mb * 1024 * 1024,
        concurrency=concurrency,
        on_bad_record=on_bad_record,
        on_missing_price=on_missing_price,
        quarantine=quarantine,
        prices=price_files or None,
        home_currency=home_currency,
        timezone=timezone,
        cost_basis=cost_basis,
        lot_pool=lot_pool,
        on_missing_lots=on_missing_lots,
        opening_lots=opening_lots,
    )
    obj = ctx.obj
    write_json = json_destination(as_json, json_file, sinks)
    if many is not None:
        from ..engine.accounts import DEFAULT_JOBS, QUARANTINE
        from .accounts import sync_all

        if ctx.get_parameter_source("quarantine") is click.core.ParameterSource.DEFAULT:
            request = attrs.evolve(request, quarantine=QUARANTINE)
        sync_all(
            ctx,
            request,
            registry=registry,
            only=many,
            jobs=jobs or DEFAULT_JOBS,
            write_json=write_json,
            dry_run=dry_run,
        )
        return
    committed = Committed()
    try:
        with contextlib.ExitStack() as stack:
            if dry_run:
                from .dryrun import dry_run_of

                registry, request = dry_run_of(stack, registry, request)
            display = stack.enter_context(
                progress_display(enabled=not obj["quiet"] and sys.stderr.isatty(), logs=obj["logs"])
            )
            report = run_sync(request, registry=registry, progress=committed.follow(display))
    except (KeyboardInterrupt, Terminated) as stop:
        # what was committed stays committed; the window under way is fetched again by the next run
        name, code = ("SIGTERM", 143) if isinstance(stop, Terminated) else ("SIGINT (Ctrl-C)", 130)
        obj["logs"].end_run()
        click.echo(f"interrupted by {name}", err=True)
        for line in committed.advice(request) or ["nothing was written: run the same command again"]:
            click.echo(line, err=True)
        if write_json:
            write_json(failure_report(request, committed, f"interrupted by {name}"))
        ctx.exit(code)
    except Exception as exc:
        obj["after_error"].extend(committed.advice(request))
        if write_json:
            write_json(failure_report(request, committed, describe_error(exc)))
        raise
    obj["logs"].end_run()
    if write_json:
        write_json({**success_report(report), "dry_run": dry_run})
    if obj["quiet"]:
        return
    if not as_json:
        done = f"{report.entries} new entries from {report.source} in {report.windows} windows"
        click.echo(f"dry run, nothing written: {done} would be written" if dry_run else done, err=True)
        differing = [row for row in report.reconciliation if row.difference]
        if report.reconciliation:
            click.echo(
                f"reconciled {len(report.reconciliation)} holdings with {report.source}: "
                + (f"{len(differing)} differ (see the warnings above)" if differing else "all agree"),
                err=True,
            )
    if report.skipped:
        click.echo(f"{report.skipped} bad records skipped, see {report.quarantine}", err=True)


def _many_accounts(
    ctx: click.Context,
    source: str | None,
    sinks: tuple[str, ...],
    all_accounts: bool,
    only: tuple[str, ...],
    jobs: int | None,
) -> list[str] | None:
    """The accounts `--all`/`--only` ask for (an empty list: all of them), or None for a sync of
    SOURCE; either way without the options of the other."""
    names = [name.strip() for item in only for name in item.split(",") if name.strip()]
    if not (all_accounts or names):
        if jobs is not None:
            raise click.UsageError("--jobs is for --all: how many accounts are synced at once", ctx)
        if source is None:
            raise click.UsageError("Missing argument 'SOURCE' (or --all for every account of the config).", ctx)
        if not sinks:
            raise click.UsageError("Missing option '--sink'.", ctx)
        return None
    each = (
        ("SOURCE", source),
        ("--sink", sinks),
        ("--base-url", ctx.params["base_url"]),
        ("--account", ctx.params["account"]),
    )
    given = [what for what, value in each if value]
    if given:
        raise click.UsageError(
            f"--all syncs the [[accounts]] of the config, each with its own source, sinks, account and base URL: "
            f"give no {', '.join(given)}",
            ctx,
        )
    return names


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


class Terminated(BaseException):
    """SIGTERM, raised where the process is, as Ctrl-C raises KeyboardInterrupt: a BaseException, so
    nothing on the way catches it as an error, and every `with` on the way closes what it opened."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main() -> None:
    # httpx imports its own command line (click, rich, pygments: a fifth of a second) when it is
    # importable; ledgerport never uses it, so the command skips it, and with it that start-up time.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="ledgerport")
