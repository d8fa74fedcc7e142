r"""Text from a source, made safe to write into a text file: the one place every text sink escapes through.

A source's ids, descriptions and names are foreign text. Written raw, a newline in an id starts a new
line, so a journal gains transactions nobody booked (both hledger and ledger accept them); a tab adds
a column to a tab-separated file; an escape sequence rewrites the terminal of whoever views the file.
And a spreadsheet runs a cell starting with `=` as a formula (OWASP's CSV injection).

- `plain(text)` replaces every control character (C0 including tab, CR and LF, DEL, C1), the Unicode
  line and paragraph separators and the bidirectional overrides (which reorder what a reader sees)
  with a visible escape: `\n`, `\t`, `\r`, else `\xNN` or `\uNNNN`. Nothing else changes.
- `cell(text)` is `plain(text)` for a spreadsheet's text cell: when it starts with `=`, `+`, `-` or
  `@` a `'` is put before it, as OWASP recommends, so the cell is shown as text. Numbers are never
  passed through it: they are written by ledgerport itself (`format_decimal`) and stay numbers.
- `json_text(document)` escapes, as `\uNNNN`, what JSON leaves raw (DEL, C1, the separators, the
  overrides): unlike the others it loses nothing, a JSON reader gets the source's text back exactly.
"""

from __future__ import annotations

import re

__all__ = ["cell", "json_text", "plain"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_FORMULA = ("=", "+", "-", "@")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def plain(text: str) -> str:
    """`text` on one line, with nothing a terminal or a file format would act on."""
    return _UNSAFE.sub(_escape, text)


def json_text(document: str) -> str:
    """A JSON document (from `json.dumps`) with no raw character a terminal or a line reader acts on."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def cell(text: str) -> str:
    """A spreadsheet text cell that shows `text` and never runs it as a formula."""
    text = plain(text)
    return "'" + text if text.startswith(_FORMULA) else text
