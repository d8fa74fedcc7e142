"""Finding plugins: entry points of group `ledgerport`, each loaded on its own so one broken plugin spoils nothing."""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ..errors import PluginError
from ..sdk import hookspecs
from ..sdk.connector import Connector, SyncContext
from ..sdk.sink import SinkType

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal

    from ..model.entry import Entry

__all__ = ["ENTRY_POINT_GROUP", "PLUGINS_ENV", "PluginFailure", "Provided", "Registry", "default_registry"]

ENTRY_POINT_GROUP = "ledgerport"
PLUGINS_ENV = "LEDGERPORT_PLUGINS"

log = logging.getLogger(__name__)


@attrs.frozen
class PluginFailure:
    """A plugin that could not be used, and why; reported, never fatal to the others."""

    plugin: str
    error: str


@attrs.frozen
class Provided:
    """A registered connector or sink type with the distribution that brought it."""

    item: type[Connector[Any]] | SinkType
    plugin: str
    distribution: str
    version: str


def _wanted(env: Mapping[str, str]) -> frozenset[str] | None:
    raw = env.get(PLUGINS_ENV)
    if raw is None:
        return None
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


class Registry:
    """The plugin manager plus the connectors and sinks its plugins registered."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.connectors: dict[str, Provided] = {}
        self.sinks: dict[str, Provided] = {}
        self.failures: list[PluginFailure] = []

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Registry:
        """Load the installed plugins; `LEDGERPORT_PLUGINS` (entry-point or distribution names, comma-separated)
        limits them."""
        registry = cls()
        wanted = _wanted(os.environ if env is None else env)
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist else "?"
            if wanted is not None and ep.name not in wanted and dist not in wanted:
                continue
            try:
                module = ep.load()
            except Exception as exc:
                registry._fail(ep.name, f"{type(exc).__name__}: {exc}")
                continue
            registry.add(module, name=ep.name, distribution=dist, version=ep.dist.version if ep.dist else "?")
        return registry

    def add(self, plugin: object, *, name: str, distribution: str = "?", version: str = "?") -> None:
        """Register one plugin object and what it provides; a plugin that fails anywhere is left out whole."""
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
            self._check_wrappers(name)
            connectors = self._collect(name, "connector", self.connectors, distribution, version)
            sinks = self._collect(name, "sink", self.sinks, distribution, version)
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._fail(name, f"{type(exc).__name__}: {exc}")
            return
        self.connectors.update(connectors)
        self.sinks.update(sinks)

    def _check_wrappers(self, plugin_name: str) -> None:
        """`process_entries` is a chain of wrappers: a plain implementation would end the chain and
        silently replace what the others return."""
        for impl in self.pm.hook.process_entries.get_hookimpls():
            if impl.plugin_name == plugin_name and not (impl.wrapper or impl.hookwrapper):
                raise PluginError("process_entries must be a wrapper: @hookimpl(wrapper=True), with `result = yield`")

    def process_entries(self, ctx: SyncContext, entries: list[Entry]) -> list[Entry]:
        """Runs the window's entries through every plugin's wrapper; the core answers innermost."""

        def unchanged(ctx: SyncContext, entries: list[Entry]) -> list[Entry]:
            return entries

        result: list[Entry] = self.pm.hook.process_entries.call_extra([unchanged], {"ctx": ctx, "entries": entries})
        return result

    def lookup_price(self, asset: str, currency: str, day: date) -> Decimal | None:
        answer: Decimal | None = self.pm.hook.lookup_price(asset=asset, currency=currency, day=day)
        return answer

    def _collect(
        self, plugin_name: str, what: str, known: Mapping[str, Provided], distribution: str, version: str
    ) -> dict[str, Provided]:
        """Call this plugin's own `register_<what>s`, so each registration is attributed to its distribution."""
        found: dict[str, Provided] = {}

        def register(item: type[Connector[Any]] | SinkType) -> None:
            if what == "connector" and not (isinstance(item, type) and issubclass(item, Connector)):
                raise PluginError(f"register_connectors takes a Connector subclass, not {item!r}")
            if item.name in known or item.name in found:
                raise PluginError(f"{what} {item.name!r} is registered twice")
            found[item.name] = Provided(item, plugin_name, distribution, version)

        for impl in getattr(self.pm.hook, f"register_{what}s").get_hookimpls():
            if impl.plugin_name == plugin_name:
                impl.function(register=register)
        return found

    def _fail(self, plugin: str, error: str) -> None:
        log.warning("plugin %s not loaded: %s", plugin, error)
        self.failures.append(PluginFailure(plugin, error))

    def connector_classes(self) -> list[type[Connector[Any]]]:
        return [p.item for p in self.connectors.values()]  # type: ignore[misc]

    def sink_types(self) -> list[SinkType]:
        return [p.item for p in self.sinks.values()]  # type: ignore[misc]

    def connector(self, name: str) -> type[Connector[Any]]:
        return self._lookup(self.connectors, "connector", name)  # type: ignore[return-value]

    def sink_type(self, name: str) -> SinkType:
        return self._lookup(self.sinks, "sink", name)  # type: ignore[return-value]

    def _lookup(self, table: Mapping[str, Provided], what: str, name: str) -> type[Connector[Any]] | SinkType:
        try:
            return table[name].item
        except KeyError:
            known = ", ".join(sorted(table)) or "none installed"
            raise PluginError(f"unknown {what} {name!r} (available: {known})") from None

    def describe(self) -> dict[str, Any]:
        """The installed connectors and sinks as plain data, for `ledgerport plugins`."""

        def rows(table: Mapping[str, Provided]) -> list[dict[str, str]]:
            return [
                {
                    "name": p.item.name,
                    "description": p.item.description,
                    "distribution": p.distribution,
                    "version": p.version,
                }
                for p in sorted(table.values(), key=lambda p: p.item.name)
            ]

        return {
            "connectors": rows(self.connectors),
            "sinks": rows(self.sinks),
            "failures": [attrs.asdict(f) for f in self.failures],
        }


_default: list[Registry] = []


def default_registry(reload: bool = False) -> Registry:
    """The registry of installed plugins, loaded once per process."""
    if reload or not _default:
        _default[:] = [Registry.load()]
    return _default[0]
