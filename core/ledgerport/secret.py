"""Credentials that never print themselves."""

from __future__ import annotations

import logging

import attrs

__all__ = ["RedactingFilter", "Secret", "redact"]

_MASK = "********"
_KNOWN: set[str] = set()
_SHORTEST = 8  # shorter values would mask ordinary words; a real credential is longer


@attrs.frozen(repr=False)
class Secret:
    """A credential. `str`, `repr` and formatting show a mask; only `reveal()` gives the value.

    Equality compares values so settings stay comparable; no textual form shows the value, so it
    cannot leak into logs, errors, state files or outputs by accident.
    """

    _value: str = attrs.field(alias="value")

    def __attrs_post_init__(self) -> None:
        if len(self._value) >= _SHORTEST:
            _KNOWN.add(self._value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: str) -> str:
    """`text` with the value of every `Secret` created in this process masked: the last line of
    defence for messages that carry foreign text (a server's error body, an exception's args)."""
    for value in _KNOWN:
        if value in text:
            text = text.replace(value, _MASK)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that masks secret values in every record the handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message or record.exc_info:
            record.msg, record.args = clean, None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
