"""Journal numbers within QuickBooks' 11 characters: a per-file prefix, the day and a per-day counter.

`K7240301001` is the first entry of 1 March 2024 in a file whose prefix is `K7`: the prefix, the
day as `YYMMDD`, then a base-36 counter (`009`, `00A`, ...) filling the rest of the 11 characters.
The prefix keeps two files apart (two sources, or two accounts of one, imported into one company):
by default two characters derived from the run's source and account (`default_prefix`), or the
sink's `journal_prefix` setting (1 to 3 letters and digits, a letter first). A day holds
36^(11 − 6 − prefix length) − 1 entries: 1,679,615 with a 1-character prefix, 46,655 with 2, 1,295
with 3. A hash of the source id would not be sure to stay unique in 11 characters, and a plain
counter says nothing; the full id is in the memo.

A file begun before prefixes keeps the numbers it began with, `240301-0001` (no prefix, a dash, a
4-character counter: 1,679,615 a day), so one file never mixes two schemes: `JournalNumbers(prefix=None)`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from ledgerport import PluginError

__all__ = ["MAX_LENGTH", "MAX_PREFIX", "JournalNumbers", "check_prefix", "default_prefix"]

MAX_LENGTH = 11
MAX_PREFIX = 3
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS = _DIGITS[10:]
_DAY = 6  # YYMMDD
_OLD_WIDTH = 4
_PREFIX = re.compile(rf"[A-Z][A-Z0-9]{{0,{MAX_PREFIX - 1}}}")


def _base36(number: int, width: int) -> str:
    text = ""
    while number:
        number, digit = divmod(number, len(_DIGITS))
        text = _DIGITS[digit] + text
    return text.rjust(width, "0")


def check_prefix(prefix: str) -> str:
    """`prefix` in capitals, or ValueError naming the setting: 1 to 3 letters and digits, a letter first
    (so no number is all digits, which a spreadsheet would take for a number and strip of its zeros)."""
    upper = prefix.upper()
    if not _PREFIX.fullmatch(upper):
        raise ValueError(
            f"journal_prefix: expected 1 to {MAX_PREFIX} letters (A-Z) and digits, a letter first, not {prefix!r}"
        )
    return upper


def default_prefix(source: str, account: str) -> str:
    """Two characters derived from `source:account` alone (a letter, then a letter or digit: 936
    prefixes), the same on every machine and run: SHA-256, not Python's salted `hash`."""
    number = int.from_bytes(hashlib.sha256(f"{source}:{account}".encode()).digest()[:8], "big")
    letter, rest = divmod(number, len(_LETTERS))
    return _LETTERS[rest % len(_LETTERS)] + _DIGITS[letter % len(_DIGITS)]


class JournalNumbers:
    """Hands out the next number of a day; the counts are JSON, kept in the sink's checkpoint.

    `prefix` None is the scheme of files begun before prefixes (`YYMMDD-NNNN`). Counts are kept per
    `YYMMDD`, not per date, so days a century apart cannot hand out one number twice.
    """

    def __init__(self, counts: dict[str, int] | None = None, prefix: str | None = None) -> None:
        self.counts = dict(counts or {})
        self.prefix = prefix
        self.width = _OLD_WIDTH if prefix is None else MAX_LENGTH - _DAY - len(prefix)

    @property
    def per_day(self) -> int:
        """How many entries a day can number."""
        return len(_DIGITS) ** self.width - 1

    def next(self, day: date) -> str:
        key = f"{day:%y%m%d}"
        count = self.counts.get(key, 0) + 1
        if count > self.per_day:
            message = f"more than {self.per_day} journal entries on {day}: no number is left"
            if self.prefix is not None and len(self.prefix) > 1:
                message += (
                    f" (prefix {self.prefix}); a shorter journal_prefix leaves more a day, in a file written anew "
                    "(--fresh)"
                )
            raise PluginError(message)
        self.counts[key] = count
        if self.prefix is None:
            return f"{key}-{_base36(count, _OLD_WIDTH)}"
        return f"{self.prefix}{key}{_base36(count, self.width)}"
