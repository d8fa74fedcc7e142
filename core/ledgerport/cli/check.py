"""`ledgerport check SOURCE`: are the credentials accepted and is the source reachable, before a long sync."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from .main import ConnectorName, check_names, cli, config_option, resolve_config


def _first_page(connector: Any, fetcher: Any) -> int:
    """The first page of the connector's first stream, over the last hour: what a sync asks first,
    so a key that may not read the ledger is caught too. Returns the records it held."""
    from ..sdk.paging import Window

    now = datetime.now(UTC).replace(microsecond=0)
    streams = list(connector.streams(fetcher))
    if not streams:
        return 0
    stream = streams[0]
    part = next(iter(stream.slices(Window(now - timedelta(hours=1), now))))
    page = fetcher.fetch(stream.first_request(part), stream.read_page)
    return len(page.records)


@cli.command()
@click.argument("source", type=ConnectorName())
@click.option("--base-url", help="The source's API address (a sandbox, a proxy).")
@click.option("--account", help="Which account of the source to check.")
@config_option
@click.option("--set", "options", multiple=True, metavar="PLUGIN.FIELD=VALUE", help="A connector setting; repeatable.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Seconds per request.")
@click.pass_context
def check(
    ctx: click.Context,
    source: str,
    base_url: str | None,
    account: str | None,
    config_path: str | None,
    options: tuple[str, ...],
    timeout: float,
) -> None:
    """Check that SOURCE answers and accepts the credentials: the settings are read as sync reads
    them, and one page is asked for, without retries. Exit status 0 when it does, 1 when not."""
    import httpx

    from .. import __version__
    from ..engine.config import Config, load_config, parse_assignments
    from ..engine.fetch import Fetcher
    from ..engine.plugins import default_registry
    from ..engine.sync import open_connector
    from ..errors import AuthenticationError
    from ..sdk.retry import RetryPolicy

    registry = default_registry()
    check_names(ctx, registry, source, ())
    path = resolve_config(config_path)
    connector = open_connector(
        registry.connector(source),
        base_url=base_url,
        account=account,
        config=load_config(path) if path else Config(),
        env=os.environ,
        overrides=parse_assignments(options),
    )
    where = f"{source} at {connector.context.base_url} (account {connector.context.account})"
    started = time.monotonic()
    with httpx.Client(
        base_url=connector.context.base_url,
        auth=connector.auth(),
        timeout=timeout,
        headers={"User-Agent": f"ledgerport/{__version__}"},
    ) as client:
        fetcher = Fetcher(client, source, RetryPolicy(attempts=1, rate_limit_waits=0), time.sleep)
        try:
            records = _first_page(connector, fetcher)
        except AuthenticationError:
            ctx.obj["after_error"].append(f"failed: {where} refuses the credentials")
            raise
        except Exception:
            ctx.obj["after_error"].append(f"failed: {where} cannot be read (see the error above)")
            raise
    took = time.monotonic() - started
    requests = fetcher.stats.requests
    click.echo(
        f"ok: {where} accepts the credentials and serves its ledger "
        f"({records} records in the last hour; {requests} request{'s' * (requests > 1)}, {took:.1f}s)"
    )
