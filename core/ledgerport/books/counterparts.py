"""The other side of a transfer into a sub-account the source keeps no ledger of, made explicit.

KuCoin books staking, an Earn subscription or lending coins out as one row on the account the coins
leave; the sub-account they go to (Earn, Staking, Lending) has no ledger to read. The entry names it
(`Entry.counter_sub_account`), and the journals get the matching leg there: the builder then pairs
the two as an internal transfer, the lot engine moves the lots with their cost, and the coins stay in
the owner's books instead of leaving for `Equity:External`. The legs exist only in the journals:
entry sinks (csv, sql's entries) keep what the source sent.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from ..model.entry import Entry

__all__ = ["with_counterparts"]


def with_counterparts(entries: list[Entry]) -> list[Entry]:
    """`entries` with the counter leg of each transfer that names a `counter_sub_account`, sorted
    (the list itself when there is none, so the engine still sees the window's own entries)."""
    legs = [_counter(entry) for entry in entries if entry.counter_sub_account]
    if not legs:
        return entries
    return sorted([*entries, *legs], key=lambda e: (e.timestamp, e.entry_id))


def _counter(entry: Entry) -> Entry:
    return attrs.evolve(
        entry,
        entry_id=f"{entry.entry_id}:{entry.counter_sub_account}",
        amount=-(entry.amount + entry.fee),
        fee=Decimal(0),
        balance=None,
        sub_account=entry.counter_sub_account,
        counter_sub_account="",
        group_id="",
        raw=None,
    )
