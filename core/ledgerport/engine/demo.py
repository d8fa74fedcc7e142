"""`ledgerport demo`: every installed sandbox synced into every installed sink, with no account and no network.

The core names no exchange and no format: connectors offer their sandbox (`Connector.demo`), sink
plugins say where their demo output goes (`SinkType.demo_target`) and how to check it
(`SinkType.checks`).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import PluginError
from ..model.entry import Entry
from ..model.money import exact
from ..sdk.connector import SyncContext
from ..sdk.hookspecs import hookimpl
from .plugins import Registry, default_registry
from .request import SyncRequest
from .sync import SyncReport, sync

__all__ = ["DemoResult", "run_demo"]


@attrs.frozen(kw_only=True)
class DemoResult:
    source: str
    report: SyncReport
    holdings: Mapping[str, Decimal]
    outputs: Mapping[str, str]
    checks: tuple[str, ...]


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
    """Starts every connector's sandbox, syncs each into every sink that has a demo target, in `out`."""
    registry = registry or default_registry()
    out.mkdir(parents=True, exist_ok=True)
    holdings = _Holdings()
    registry.add(holdings, name="ledgerport.demo")
    try:
        return _run(out, registry, holdings, progress)
    finally:
        registry.pm.unregister(holdings)


def _run(out: Path, registry: Registry, holdings: _Holdings, progress: Callable[[str], None]) -> list[DemoResult]:
    sinks = sorted((s for s in registry.sink_types() if s.demo_target), key=lambda s: s.name)
    results = []
    with contextlib.ExitStack() as stack:
        sources = [
            source
            for connector in sorted(registry.connector_classes(), key=lambda c: c.name)
            if (source := connector.demo(stack, out)) is not None
        ]
        if not sources:
            raise PluginError("no installed connector offers a demo sandbox")
        for source in sources:
            stem = str((out / source.connector).resolve())
            outputs = {s.name: s.demo_target.format(path=stem) for s in sinks if s.demo_target}
            progress(f"syncing the {source.connector} sandbox into {', '.join(outputs)}")
            report = sync(
                SyncRequest(
                    source=source.connector,
                    since=source.since,
                    until=source.until,
                    base_url=source.base_url,
                    account=source.account,
                    prices=list(source.prices),
                    sinks=[f"{name}:{target}" for name, target in outputs.items()],
                ),
                registry=registry,
                env=source.env,
            )
            checks = tuple(check.format(path=outputs[s.name]) for s in sinks for check in s.checks)
            asset_sums = dict(sorted(holdings.sums[source.connector].items()))
            results.append(
                DemoResult(source=source.connector, report=report, holdings=asset_sums, outputs=outputs, checks=checks)
            )
    return results
