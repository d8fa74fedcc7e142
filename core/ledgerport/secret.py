"""Credentials that never print themselves."""

from __future__ import annotations

import attrs

__all__ = ["Secret"]

_MASK = "********"


@attrs.frozen(repr=False)
class Secret:
    """A credential. `str`, `repr` and formatting show a mask; only `reveal()` gives the value.

    Equality compares values so settings stay comparable; no textual form shows the value, so it
    cannot leak into logs, errors, state files or outputs by accident.
    """

    _value: str = attrs.field(alias="value")

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
