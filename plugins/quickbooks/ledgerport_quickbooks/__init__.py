"""The QuickBooks sinks: `iif` (QuickBooks Desktop) and `qbo` (QuickBooks Online), both in the home currency.

Neither format can hold a crypto quantity. With cost basis on (`--cost-basis`) each asset's holding
is carried at the cost of its lots and gains are realized (`valuation.cost_entry`), optionally
adjusted to fair value at a period end (`fairvalue`); without it every posting is valued with the
run's price book (`--prices`, trades, the `lookup_price` hook) at 2 decimals, with a rounding line
where the cents do not add up. The quantity and the full source id go in the memo; the journal
number is a per-file prefix (by default from the run's source and account), the day and a counter
(`numbers`), and dates follow the sinks' `date_format`.
"""

from __future__ import annotations

from collections.abc import Callable

from ledgerport import SinkType, hookimpl

from .iif import IifSettings, IifSink
from .qbo import QboSink
from .sink import QuickBooksSink, Settings

__all__ = ["IifSettings", "IifSink", "QboSink", "QuickBooksSink", "Settings"]


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="iif",
            description="QuickBooks Desktop general journal (IIF).",
            open=IifSink,
            settings=IifSettings,
            demo_target="{path}.iif",
        )
    )
    register(
        SinkType(
            name="qbo",
            description="QuickBooks Online journal-entry CSV.",
            open=QboSink,
            settings=Settings,
            demo_target="{path}.qbo.csv",
        )
    )
