"""Credentials that never print themselves."""

from __future__ import annotations

import logging
import re

import attrs

__all__ = ["RedactingFilter", "Secret", "redact", "register_secret"]

_MASK = "********"
_KNOWN: set[str] = set()
_SHORTEST = 8  # shorter values would mask ordinary words; a real credential is longer
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")


@attrs.frozen(repr=False)
class Secret:
    """A credential. `str`, `repr` and formatting show a mask; only `reveal()` gives the value.

    Equality compares values so settings stay comparable; no textual form shows the value, so it
    cannot leak into logs, errors, state files or outputs by accident.
    """

    _value: str = attrs.field(alias="value")

    def __attrs_post_init__(self) -> None:
        register_secret(self._value)

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


def register_secret(value: str) -> None:
    """Masks `value` wherever `redact` runs, as if it were a `Secret`: for what is derived from a
    credential and sent in its place (a password's hash, a signed header, a session token), which a
    server may echo as readily as the credential itself."""
    if len(value) >= _SHORTEST:
        _KNOWN.add(value)


def redact(text: str) -> str:
    """`text` with the value of every `Secret` (and every registered value) of this process masked,
    and the `user:password@` of every URL in it: the last line of defence for messages that carry
    foreign text (a server's error body, an exception's args, a logged URL)."""
    for value in _KNOWN.copy():  # a copy: accounts synced side by side register secrets while others log
        if value in text:
            text = text.replace(value, _MASK)
    return _USERINFO.sub(rf"\1{_MASK}@", text)


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
