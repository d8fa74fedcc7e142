"""`ledgerport demo`: every installed sandbox synced into every installed sink, with no account and no network.

The core names no exchange and no format: connector plugins offer their sandbox through the
`demo_source` hook, sink plugins say where their demo output goes (`SinkType.demo_target`).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..sdk.connector import SyncContext
from .sync import SyncReport, sync
from ..errors import PluginError
from ..sdk.hookspecs import hookimpl
from ..model.entry import Entry
from ..model.money import exact
from .plugins import Registry, default_registry

__all__ = ["DemoResult", "DemoSource", "run_demo"]


@attrs.frozen(kw_only=True)
class DemoSource:
    """A running sandbox, as a connector plugin offers it for the demo: how to sync from it."""

    connector: str
    base_url: str
    env: Mapping[str, str]
    since: datetime
    until: datetime
    account: str | None = None
    prices: tuple[Path, ...] = ()


@attrs.frozen(kw_only=True)
class DemoResult:
    source: str
    report: SyncReport
    holdings: Mapping[str, Decimal]
    outputs: Mapping[str, str]


class _Holdings:
    """Adds up what every entry does to each asset, for the summary."""

    def __init__(self) -> None:
        self.sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    @hookimpl(wrapper=True)
    def process_entries(self, ctx: SyncContext, entries: list[Entry]) -> Any:
        result = yield
        with exact():
            for entry in result:
                self.sums[ctx.source][entry.asset] += entry.amount
        return result


def run_demo(
    out: Path, registry: Registry | None = None, progress: Callable[[str], None] = lambda _: None
) -> list[DemoResult]:
    """Starts every plugin's sandbox, syncs each into every sink that has a demo target, in `out`."""
    registry = registry or default_registry()
    out.mkdir(parents=True, exist_ok=True)
    holdings = _Holdings()
    registry.add(holdings, name="ledgerport.demo")
    try:
        return _run(out, registry, holdings, progress)
    finally:
        registry.pm.unregister(holdings)


def _run(out: Path, registry: Registry, holdings: _Holdings, progress: Callable[[str], None]) -> list[DemoResult]:
    sinks = sorted((p.item for p in registry.sinks.values() if p.item.demo_target), key=lambda s: s.name)  # type: ignore[union-attr]
    results = []
    with contextlib.ExitStack() as stack:
        sources: Sequence[DemoSource] = registry.pm.hook.demo_source(stack=stack, workdir=out)
        if not sources:
            raise PluginError("no installed connector offers a demo sandbox")
        for source in sorted(sources, key=lambda s: s.connector):
            stem = str((out / source.connector).resolve())
            outputs = {s.name: s.demo_target.format(path=stem) for s in sinks}  # type: ignore[union-attr]
            progress(f"syncing the {source.connector} sandbox into {', '.join(outputs)}")
            report = sync(
                source.connector, since=source.since, until=source.until, base_url=source.base_url,
                account=source.account, env=source.env, prices=list(source.prices), registry=registry,
                sinks=[f"{name}:{target}" for name, target in outputs.items()],
            )
            asset_sums = dict(sorted(holdings.sums[source.connector].items()))
            results.append(DemoResult(source=source.connector, report=report, holdings=asset_sums, outputs=outputs))
    return results
