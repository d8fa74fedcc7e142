"""Journal numbers within QuickBooks' 11 characters: the day and a per-day counter, unique per file.

`240301-0001` is the first entry of 1 March 2024 in a file. A hash of the source id would not be
sure to stay unique in 11 characters, and a plain counter says nothing; the full id is in the memo.
The counter runs in base 36 (`0009`, `000A`, ...), so a day holds 1,679,615 entries.
"""

from __future__ import annotations

from datetime import date

from ledgerport import PluginError

__all__ = ["MAX_LENGTH", "JournalNumbers"]

MAX_LENGTH = 11
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WIDTH = 4


def _base36(number: int) -> str:
    text = ""
    while number:
        number, digit = divmod(number, len(_DIGITS))
        text = _DIGITS[digit] + text
    return text.rjust(_WIDTH, "0")


class JournalNumbers:
    """Hands out the next number of a day; the counts are JSON, kept in the sink's checkpoint.

    Counts are kept per prefix, not per date, so days a century apart cannot hand out one number twice.
    """

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        self.counts = dict(counts or {})

    def next(self, day: date) -> str:
        prefix = f"{day:%y%m%d}"
        count = self.counts.get(prefix, 0) + 1
        if count >= len(_DIGITS) ** _WIDTH:
            raise PluginError(f"more than {len(_DIGITS) ** _WIDTH - 1} journal entries on {day}: no number is left")
        self.counts[prefix] = count
        return f"{prefix}-{_base36(count)}"
