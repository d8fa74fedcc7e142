"""`sync --all`: every `[[accounts]]` of the config at once, a line for each account as it ends and a total.

No progress bar: the bars of thirty accounts would fight over the terminal, and what a firm's
nightly run needs is which accounts succeeded and which did not. Log lines carry the account's
name (`AccountLogFilter`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import click

from ..engine.accounts import AccountLogFilter, AccountResult, sync_accounts
from ..engine.plugins import Registry
from ..engine.reader import Progress
from ..engine.request import SyncRequest
from ..sdk.textsafe import plain
from ..secret import redact
from .report import Committed, failure_report, success_report

__all__ = ["sync_all"]


def _line(result: AccountResult, committed: Committed, dry_run: bool) -> str:
    """One account's summary: what it wrote, or why it stopped and what it had committed first."""
    from .main import describe_error

    if result.error is not None:
        kept = ""
        if committed.windows and committed.until is not None:
            kept = (
                f" ({committed.windows} of {committed.windows_total} windows, up to {committed.until:%Y-%m-%d %H:%M} "
                f"UTC, {committed.entries:,} entries, were written first)"
            )
        return f"{result.name}: failed: {plain(redact(describe_error(result.error)))}{kept}"
    report = result.report
    assert report is not None
    done = f"{report.entries:,} new entries from {report.source} in {report.windows} windows"
    if dry_run:
        done = f"dry run, nothing written: {done} would be written"
    if report.reconciliation:
        differing = sum(1 for row in report.reconciliation if row.difference)
        done += f"; {len(report.reconciliation)} holdings " + (f"{differing} differ" if differing else "all agree")
    if report.skipped:
        done += f"; {report.skipped} bad records skipped, see {report.quarantine}"
    return f"{result.name}: {done}"


def _total(results: Sequence[AccountResult], seconds: float, resumable: bool) -> list[str]:
    failed = [result.name for result in results if not result.ok]
    entries = sum(result.report.entries for result in results if result.report is not None)
    lines = [
        f"{len(results)} accounts: {len(results) - len(failed)} synced, {len(failed)} failed; "
        f"{entries:,} new entries in {seconds:.1f} s"
    ]
    if failed:
        again = "run the same command again" + (f" (or with --only {','.join(failed)})" if len(failed) > 1 else "")
        lines.append(
            f"{again} to resume the failed accounts from what they committed"
            if resumable
            else f"without state (--no-state) a new run starts them over: {', '.join(failed)}"
        )
    return lines


def _report(results: Sequence[AccountResult], committed: dict[str, Committed], dry_run: bool) -> dict[str, Any]:
    """`--json`: the report `sync --json` prints for one account, for each, with its name."""
    from .main import describe_error

    reports = [
        {"name": result.name, **success_report(result.report), "dry_run": dry_run}
        if result.report is not None
        else {
            "name": result.name,
            **failure_report(result.request, committed[result.name], describe_error(result.error or Exception())),
        }
        for result in results
    ]
    return {
        "ok": all(result.ok for result in results),
        "accounts": reports,
        "failed": [result.name for result in results if not result.ok],
        "entries": sum(result.report.entries for result in results if result.report is not None),
        "dry_run": dry_run,
    }


def sync_all(
    ctx: click.Context,
    common: SyncRequest,
    *,
    registry: Registry,
    only: Sequence[str],
    jobs: int,
    write_json: Callable[[dict[str, Any]], None] | None,
    dry_run: bool,
) -> None:
    """Runs `sync_accounts` for the command: exit status 0 when every account succeeded, 1 when one
    failed, 130 or 143 when interrupted (each account keeps what it committed)."""
    from .dryrun import dry_run_of
    from .main import Terminated

    obj = ctx.obj
    committed: dict[str, Committed] = {}
    results: list[AccountResult] = []

    def follow(name: str) -> Callable[[Progress], None]:
        committed[name] = Committed()
        return committed[name].follow(None)

    def done(result: AccountResult) -> None:
        results.append(result)
        committed.setdefault(result.name, Committed())
        if not result.ok or not (obj["quiet"] or write_json):
            click.echo(_line(result, committed[result.name], dry_run), err=True)

    started = time.monotonic()
    tag = AccountLogFilter()
    obj["logs"].addFilter(tag)
    try:
        with contextlib.ExitStack() as stack:
            if dry_run:
                registry, common = dry_run_of(stack, registry, common, quarantine="{name}.quarantine.jsonl")
            ordered = sync_accounts(common, only=only, jobs=jobs, registry=registry, progress=follow, done=done)
    except (KeyboardInterrupt, Terminated) as stop:
        name, code = ("SIGTERM", 143) if isinstance(stop, Terminated) else ("SIGINT (Ctrl-C)", 130)
        obj["logs"].end_run()
        click.echo(f"interrupted by {name}: every account keeps what it committed", err=True)
        if write_json:
            write_json(_report(results, committed, dry_run))
        ctx.exit(code)
    finally:
        obj["logs"].removeFilter(tag)
    obj["logs"].end_run()
    results = ordered
    if write_json:
        write_json(_report(results, committed, dry_run))
    if not (obj["quiet"] or write_json) or not all(result.ok for result in results):
        for line in _total(results, time.monotonic() - started, common.state is not None):
            click.echo(line, err=True)
    if not all(result.ok for result in results):
        ctx.exit(1)
