"""Exact money: `Decimal` from the original text, plain notation on the way out."""

from __future__ import annotations

import decimal
from contextlib import AbstractContextManager
from decimal import Decimal, InvalidOperation

__all__ = ["exact", "format_decimal", "parse_decimal"]

_EXACT = decimal.Context(
    prec=1000, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero]
)


def exact() -> AbstractContextManager[decimal.Context]:
    """A context for arithmetic on amounts: the default one rounds to 28 digits without a word, this
    one is wide enough for any ledger and raises rather than round."""
    return decimal.localcontext(_EXACT)


def parse_decimal(value: object) -> Decimal:
    """Parse an amount exactly. A float is refused: its binary value is not the text the source sent.

    Raises ValueError with a short reason; callers turn it into a `BadRecordError` that names the record.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    else:
        raise ValueError(f"expected a decimal string, got {type(value).__name__} {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def format_decimal(value: Decimal) -> str:
    """Plain notation at full precision (`str()` would give `1E-7`, which beancount and ledger reject)."""
    text = format(value, "f")
    return text[1:] if text[0] == "-" and value.is_zero() else text
