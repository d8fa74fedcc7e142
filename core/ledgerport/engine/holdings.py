"""What an output's books hold per holding, kept with its state, and their reconciliation with the source.

A holding is one asset in one sub-account. For each, the output's books are its opening balance
plus every entry the output holds. The opening balance is known in one of three ways, recorded
with it so the reconciliation can say how much it proves:

- `history`: the output begins where the source's history begins, so every holding opened at zero;
- `running`: the first entry the output holds for it carries the source's running balance, and
  balance − amount is what the holding held just before;
- `exchange`: neither: derived once, at the first reconciliation, from the source's current balance
  less the entries since. That first comparison proves nothing for the holding (its difference is
  zero by construction); every later run's comparison does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs

from ..books.chart import OPENING_TAG
from ..model.entry import Entry, Kind
from ..model.money import exact, format_decimal
from ..sdk.connector import Holding

__all__ = ["Holdings", "Reconciled", "reconcile"]

log = logging.getLogger(__name__)

Key = tuple[str, str]
OPENING_BEFORE = timedelta(microseconds=1)


@attrs.frozen(kw_only=True)
class Reconciled:
    """One holding of one output compared with what the source reports now."""

    output: str
    sub_account: str
    asset: str
    books: Decimal
    exchange: Decimal
    difference: Decimal
    opening: str


class Holdings:
    """Per holding: the opening balance (and how it is known) and the sum of the entries written.

    `from_history` says whether the output begins where the source's history does; None until the
    first reconciliation asks (it may cost the source a request, so nothing else does).
    """

    def __init__(self, saved: Mapping[str, Any] | None = None) -> None:
        saved = saved or {}
        self.from_history: bool | None = saved.get("from_history")
        self.opening: dict[Key, tuple[Decimal, str]] = {}
        self.total: dict[Key, Decimal] = {}
        for row in saved.get("holdings", ()):
            key = (row["sub_account"], row["asset"])
            self.total[key] = Decimal(row["total"])
            if row.get("opening") is not None:
                self.opening[key] = (Decimal(row["opening"]), row["opening_from"])

    def add(self, entries: Iterable[Entry]) -> None:
        with exact():
            for entry in entries:
                key = (entry.sub_account, entry.asset)
                if key not in self.total and key not in self.opening and entry.balance is not None:
                    self.opening[key] = (entry.balance - entry.amount, "running")
                self.total[key] = self.total.get(key, Decimal(0)) + entry.amount

    def openings(self, entries: Iterable[Entry]) -> list[Entry]:
        """The opening balances the journals need for holdings these entries show for the first time.

        A range that starts after a holding's first movement would open it at zero, and its balance
        would go negative in the books; the first entry's running balance says what it held before
        (balance − amount). Each becomes an `opening-balance` adjustment one microsecond before that
        entry, against the chart's opening-balance account: what the holding held from the start of
        the range on. Holdings without a running balance get no opening here (reconciliation derives
        theirs, `exchange`)."""
        seen: set[Key] = set()
        found: list[Entry] = []
        with exact():
            for entry in entries:
                key = (entry.sub_account, entry.asset)
                if key in self.total or key in self.opening or key in seen or entry.balance is None:
                    continue
                seen.add(key)
                opening = entry.balance - entry.amount
                if not opening:
                    continue
                found.append(
                    Entry(
                        source=entry.source,
                        account=entry.account,
                        entry_id=f"opening:{entry.sub_account or '-'}:{entry.asset}:{entry.entry_id}",
                        timestamp=entry.timestamp - OPENING_BEFORE,
                        asset=entry.asset,
                        amount=opening,
                        balance=opening,
                        kind=Kind.ADJUSTMENT,
                        sub_account=entry.sub_account,
                        category="opening-balance",
                        description=f"opening balance: {entry.asset} held before entry {entry.entry_id}",
                        tags=(OPENING_TAG,),
                    )
                )
        return found

    def held(self, key: Key) -> Decimal | None:
        """The books' balance of a holding, or None while its opening balance is unknown."""
        if key not in self.opening:
            if not self.from_history:
                return None
            self.opening[key] = (Decimal(0), "history")
        with exact():
            return self.opening[key][0] + self.total.get(key, Decimal(0))

    def state(self) -> dict[str, Any]:
        keys = sorted(set(self.total) | set(self.opening))
        return {
            "from_history": self.from_history,
            "holdings": [
                {
                    "sub_account": sub,
                    "asset": asset,
                    "total": format_decimal(self.total.get((sub, asset), Decimal(0))),
                    "opening": format_decimal(self.opening[(sub, asset)][0]) if (sub, asset) in self.opening else None,
                    "opening_from": self.opening[(sub, asset)][1] if (sub, asset) in self.opening else None,
                }
                for sub, asset in keys
            ],
        }


def reconcile(output: str, books: Holdings, reported: Sequence[Holding], source: str) -> list[Reconciled]:
    """Every holding either side knows, compared; a holding with no opening yet gets one from the source.

    A difference is a warning, not a failure: it is the user's signal that something is missing
    (a ledger not read, history older than the source serves), and the books stay as the source sent them.
    """
    exchange = {(h.sub_account, h.asset): h.balance for h in reported}
    rows = []
    for key in sorted(set(exchange) | set(books.total) | set(books.opening)):
        there = exchange.get(key, Decimal(0))
        held = books.held(key)
        if held is None:
            with exact():
                books.opening[key] = (there - books.total.get(key, Decimal(0)), "exchange")
            held = there
        with exact():
            difference = there - held
        rows.append(
            Reconciled(
                output=output,
                sub_account=key[0],
                asset=key[1],
                books=held,
                exchange=there,
                difference=difference,
                opening=books.opening[key][1],
            )
        )
        if difference:
            log.warning(
                "%s: %s %s does not reconcile: the books hold %s, %s reports %s (difference %s) in %s",
                source,
                key[0] or "-",
                key[1],
                format_decimal(held),
                source,
                format_decimal(there),
                format_decimal(difference),
                output,
            )
    return rows
