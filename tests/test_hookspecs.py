"""Meta-tests, as datasette has them: every hook is documented and exercised."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from sample import SINCE, TOKEN, UNTIL
from test_engine import run

from ledgerport import Connector, RunInfo, Sink, SinkType, Stream, Transaction, format_decimal, hookimpl
from ledgerport.engine import plugins
from ledgerport.sdk import hookspecs

DOCS = Path(__file__).parents[1] / "docs" / "plugin-hooks.md"
SPECS = {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "ledgerport_spec")}


class ValuingSink(Sink):
    """Values every posting in the home currency, as the QuickBooks sinks do: this sync needs prices."""

    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: object) -> None:
        self.target, self.run = Path(target), run
        self.lines: list[str] = []

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        for transaction in transactions:
            for posting in transaction.postings:
                rate = self.run.prices.rate(posting.commodity, self.run.home_currency, transaction.date)
                self.lines.append(f"{posting.account} {format_decimal(rate.convert(posting.quantity, 2))}")

    def commit(self) -> None:
        return None

    def close(self) -> None:
        self.target.write_text("".join(f"{line}\n" for line in self.lines))


class Valuing:
    @hookimpl
    def register_sinks(self, register: Callable[[SinkType], None]) -> None:
        register(SinkType(name="valuing", description="Values postings in money.", open=ValuingSink))


def test_the_hooks_are_only_what_is_cross_cutting() -> None:
    """A connector's own behaviour is its class's methods, not a global hook every plugin must filter."""
    assert {"register_connectors", "register_sinks", "process_entries", "lookup_price"} == SPECS


def test_every_hookspec_is_documented_and_nothing_else_is() -> None:
    documented = set(re.findall(r"^### `(\w+)\(", DOCS.read_text(), flags=re.MULTILINE))
    assert documented == SPECS


def _methods(cls: type) -> set[str]:
    return {
        name
        for name, value in vars(cls).items()
        if (callable(value) and not isinstance(value, type)) or isinstance(value, classmethod)
    } - {"__init__", "__init_subclass__", "__class_getitem__"}


def test_every_method_a_connector_or_stream_may_define_is_documented() -> None:
    text = DOCS.read_text()
    for cls in (Connector, Stream):
        documented = set(re.findall(rf"^### `{cls.__name__}\.(\w+)\(", text, flags=re.MULTILINE))
        assert documented == _methods(cls), cls.__name__


def test_every_hookspec_is_exercised_by_a_sync(registry: plugins.Registry, exchange: str, tmp_path: Path) -> None:
    """A sync into a sink that values in money, with no price file: the test exchange's `lookup_price` answers."""
    registry.add(Valuing(), name="valuing")
    called: set[str] = set()
    undo = registry.pm.add_hookcall_monitoring(lambda name, impls, kwargs: called.add(name), lambda *args: None)
    try:
        report = run(
            registry,
            exchange,
            tmp_path / "o.csv",
            since=SINCE,
            until=UNTIL,
            env={"TESTEXCHANGE_TOKEN": TOKEN},
            sinks=[f"csv:{tmp_path / 'o.csv'}", f"valuing:{tmp_path / 'values.txt'}"],
        )
    finally:
        undo()
    assert report.entries == 6
    # the registration hooks run at load time, one plugin at a time, outside pm.hook
    assert registry.connectors and registry.sinks
    assert called == SPECS - {"register_connectors", "register_sinks"}
    values = (tmp_path / "values.txt").read_text().splitlines()
    assert "Assets:Testexchange:Default 63000.75" in values  # the 1.5 BTC deposit at 42000.5
    assert "Assets:Testexchange:Default 62.50" in values  # 250.000000000000000001 1INCH at 0.25
