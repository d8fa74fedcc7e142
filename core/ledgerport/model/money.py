"""Exact money: `Decimal` from the original text, plain notation on the way out."""

from __future__ import annotations

import decimal
import re
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


_NUMBER = re.compile(r"\s*([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})
_LARGEST_EXPONENT = 100
"""Amounts beyond 10^±100 are no ledger's: refused here, they cannot become an `Inexact` later."""


def parse_decimal(value: object, *, signed: bool = True) -> Decimal:
    """Parse an amount exactly. A float is refused: its binary value is not the text the source sent.

    The text must be, between optional blanks, `[sign] digits [. digits] [e [sign] digits]` in ASCII
    digits: what `Decimal` accepts beyond that (`1_000`, `NaN`, other scripts' digits) is refused, as
    is a number whose magnitude lies beyond 10^±100. `signed=False` is for a field that has no sign
    (a fee): then a sign, `+` or `-`, is refused rather than flipped or dropped.

    Raises ValueError with a short reason; callers turn it into a `BadRecordError` that names the record.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        match = _NUMBER.fullmatch(value)
        if match is None:
            finite = value.strip().lstrip("+-").lower() not in _NOT_FINITE
            raise ValueError(f"{'not a number' if finite else 'not a finite number'}: {value!r}")
        if match.group(1) and not signed:
            raise ValueError(f"a sign where none is allowed: {value!r}")
        try:
            result = Decimal(value.strip())
        except InvalidOperation:  # an exponent beyond what Decimal itself can hold
            raise ValueError(f"out of range: {value[:40]!r}") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    else:
        raise ValueError(f"expected a decimal string, got {type(value).__name__} {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if not -_LARGEST_EXPONENT <= result.adjusted() <= _LARGEST_EXPONENT:
        raise ValueError(f"out of range (beyond 10^±{_LARGEST_EXPONENT}): {str(value)[:40]!r}")
    if len(result.as_tuple().digits) > 2 * _LARGEST_EXPONENT:
        raise ValueError(f"more than {2 * _LARGEST_EXPONENT} digits: {str(value)[:40]!r}")
    if not signed and result < 0:
        raise ValueError(f"negative where no sign is allowed: {value!r}")
    return result


def format_decimal(value: Decimal) -> str:
    """Plain notation at full precision (`str()` would give `1E-7`, which beancount and ledger reject)."""
    text = format(value, "f")
    return text[1:] if text[0] == "-" and value.is_zero() else text
