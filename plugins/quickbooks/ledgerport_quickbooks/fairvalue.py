"""What each holding is carried at, and the period-end adjustment to fair value (`fair_value_at`).

With cost basis on, every holding of another asset than the home currency is carried at the cost
of its lots. Under ASC 350-60 (ASU 2023-08) a company measures its crypto assets at fair value at
each reporting date, the change going through net income. The adjustment is booked on an account
of its own under each holding (`<holding>:Fair-Value-Adjustment`) against the chart's `unrealized`
account, so the holding itself stays at cost (the tax basis, and what the open lots say), and the
holding with its adjustment shows the fair value. A later adjustment brings the carrying amount
(cost plus the adjustments so far) to the fair value of its day.

`Carried` is JSON in the sink's checkpoint, so it survives runs.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from ledgerport import RunInfo, Transaction, exact, format_decimal
from ledgerport.books import account_component

from .valuation import PLACES, JournalEntry, Line, holding_account

__all__ = ["ADJUSTMENT", "Carried"]

ADJUSTMENT = "Fair-Value-Adjustment"
"""The last component of the account under each holding that takes its fair-value adjustments."""

_ZERO = Decimal(0)


class Carried:
    """Per QuickBooks holding account (one asset each): the quantity held, the cost carried and the
    fair-value adjustment booked so far; the days already revalued; the last day written."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        state = state or {}
        self.held: dict[str, dict[str, Any]] = {
            account: {
                "asset": row["asset"],
                "holding": row["holding"],
                "quantity": Decimal(row["quantity"]),
                "cost": Decimal(row["cost"]),
                "adjustment": Decimal(row["adjustment"]),
            }
            for account, row in state.get("held", {}).items()
        }
        self.subs: dict[str, str] = dict(state.get("subs", {}))
        self.revalued: list[str] = list(state.get("revalued", []))
        self.through: date | None = date.fromisoformat(state["through"]) if state.get("through") else None
        self.begins: date | None = date.fromisoformat(state["begins"]) if state.get("begins") else None

    def state(self) -> dict[str, Any]:
        return {
            "held": {
                account: {**row, **{k: format_decimal(row[k]) for k in ("quantity", "cost", "adjustment")}}
                for account, row in sorted(self.held.items())
            },
            "subs": dict(sorted(self.subs.items())),
            "revalued": list(self.revalued),
            "through": self.through.isoformat() if self.through else None,
            "begins": self.begins.isoformat() if self.begins else None,
        }

    def copy(self) -> Carried:
        return copy.deepcopy(self)

    def add(self, transaction: Transaction, run: RunInfo) -> None:
        """What a costed transaction moved, at cost, into or out of each holding."""
        with exact():
            for posting in transaction.postings:
                if posting.cost is None or posting.cost_commodity != run.home_currency:
                    continue
                account = holding_account(posting.account, posting.commodity, run.chart)
                row = self.held.setdefault(
                    account,
                    {
                        "asset": posting.commodity,
                        "holding": posting.account,
                        "quantity": _ZERO,
                        "cost": _ZERO,
                        "adjustment": _ZERO,
                    },
                )
                row["quantity"] += posting.quantity
                row["cost"] += posting.cost
        self.through = max(self.through or transaction.date, transaction.date)

    def due(self, day: date | None) -> bool:
        """Whether the adjustment of `day` is still to be written (and the books can say what it is)."""
        return day is not None and day.isoformat() not in self.revalued

    def revalue(self, day: date, run: RunInfo) -> JournalEntry:
        """The entry, dated `day`, that brings every holding's carrying amount to its fair value at
        that day's price; marks the day done. Prices are looked up first: a missing one raises
        MissingPriceError before anything changes."""
        home = run.home_currency
        values = {
            account: run.prices.rate(row["asset"], home, day).convert(row["quantity"], PLACES)
            if row["quantity"]
            else _ZERO
            for account, row in self.held.items()
        }
        lines: list[Line] = []
        source = f"id fair-value:{day.isoformat()}"
        for account, row in sorted(self.held.items()):
            with exact():
                change = values[account] - row["cost"] - row["adjustment"]
            if not change:
                continue
            row["adjustment"] += change
            what = (
                f"fair value on {day.isoformat()}: {format_decimal(row['quantity'])} {row['asset']} = "
                f"{format_decimal(values[account])} {home}, carried at cost {format_decimal(row['cost'])} {home}"
            )
            unrealized = self._unrealized(row, run)
            lines.append(Line(f"{account}:{ADJUSTMENT}", change, f"{what}; {source}"))
            lines.append(
                Line(unrealized, -change, f"unrealized {'gain' if change > 0 else 'loss'} on {account}; {source}")
            )
        self.revalued.append(day.isoformat())
        return JournalEntry(date=day, lines=tuple(lines))

    def _unrealized(self, row: dict[str, Any], run: RunInfo) -> str:
        """The chart's `unrealized` template, filled in as the chart fills its own."""
        sub = self.subs.get(row["holding"], run.account)
        return run.chart.unrealized.format(
            source=account_component(run.source_title),
            sub_account=account_component(sub),
            asset=account_component(row["asset"]),
        )
