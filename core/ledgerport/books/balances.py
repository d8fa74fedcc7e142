"""Which running balances a journal may assert: those the source reported that match the books exactly."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..model.money import exact
from .transactions import Posting

__all__ = ["BalanceTracker"]


class BalanceTracker:
    """Keeps each (account, commodity) total of the postings written so far.

    A reported balance is assertable only where it equals that total. If the first reported balance
    of a holding does not, the range started after the holding's first movement (the books lack its
    opening balance) and nothing is asserted for it. Later, entries sharing a millisecond may be
    sorted differently than the source applied them: such points are skipped and counted, never
    asserted wrongly. Once a run fills a gap before what the file already holds, totals no longer
    follow time and nothing more is asserted in that file. The state is JSON, carried in the sink's
    checkpoint.
    """

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        state = state or {}
        self._totals = {_key(k): Decimal(v) for k, v in state.get("totals", {}).items()}
        self._anchored = {_key(k): bool(v) for k, v in state.get("anchored", {}).items()}
        self._latest = state.get("latest", "")
        self._ordered = state.get("ordered", True)
        self.skipped = 0

    def apply(self, posting: Posting, when: datetime) -> Decimal | None:
        """Adds the posting made at `when`; returns the total to assert after it, or None."""
        key = (posting.account, posting.commodity)
        with exact():
            total = self._totals.get(key, Decimal(0)) + posting.quantity
        self._totals[key] = total
        stamp = when.isoformat()
        if stamp < self._latest:
            self._ordered = False
        self._latest = max(self._latest, stamp)
        if posting.balance is None or not self._ordered:
            return None
        anchored = self._anchored.setdefault(key, posting.balance == total)
        if not anchored:
            return None
        if posting.balance != total:
            self.skipped += 1
            return None
        return total

    def state(self) -> dict[str, Any]:
        return {
            "totals": {_text(k): str(v) for k, v in self._totals.items()},
            "anchored": {_text(k): v for k, v in self._anchored.items()},
            "latest": self._latest,
            "ordered": self._ordered,
        }


_SEP = "\x1f"


def _key(text: str) -> tuple[str, str]:
    account, _, commodity = text.partition(_SEP)
    return (account, commodity)


def _text(key: tuple[str, str]) -> str:
    return _SEP.join(key)
