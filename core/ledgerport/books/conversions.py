"""Conversions of more than two assets priced by fair value, so that no trading account keeps a residue.

A plain conversion (one asset out, one in) is priced at what came in (`@@`). KuCoin's "Convert to
KCS" gives several small balances for one KCS amount, and a fill can move three assets: there is no
single "what came in" for each leg. Each such leg is priced in one asset of the trade, the
numeraire: the asset alone on its side when there is one (the KCS received), else the largest by
value of what went out. Legs on the numeraire's side are worth their market value in it; the legs
on the other side share what the numeraire's side gave, in proportion to their fair values in the
home currency, the last one taking the remainder, so the postings balance exactly in the numeraire
and the trade is a conversion every checker accepts, at prices the market set that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs

from .prices import PriceBook, Rate
from .transactions import Posting

__all__ = ["price_conversion"]

_MIN_PLACES = 8
"""Prices in the numeraire carry at least this many decimals: a dust leg still gets a price."""


def price_conversion(
    postings: Sequence[Posting], net: dict[str, Decimal], prices: PriceBook, home: str, day: date
) -> list[Posting] | None:
    """The holding postings of a trade, each but the numeraire's priced in the numeraire (`@@`).

    `net` is what the trade moved per commodity (nonzero only). None when it is no conversion (every
    commodity moves the same way). Raises `MissingPriceError` for an asset the price book cannot value."""
    out = [c for c, q in net.items() if q < 0]
    into = [c for c, q in net.items() if q > 0]
    if not out or not into:
        return None
    value = {c: _fraction(prices.rate(c, home, day)) for c in net}
    if len(into) == 1:
        numeraire = into[0]
    elif len(out) == 1:
        numeraire = out[0]
    else:
        numeraire = max(out, key=lambda c: Fraction(-net[c]) * value[c])
    owed = -net[numeraire]  # what the other postings must weigh, signed, in the numeraire
    exponent = min([_exponent(p.quantity) for p in postings if p.commodity == numeraire] + [-_MIN_PLACES])
    others = [p for p in postings if p.commodity != numeraire and p.quantity]
    with_owed = [p for p in others if (p.quantity > 0) == (owed > 0)]
    against = [p for p in others if p not in with_owed]
    priced: dict[int, Decimal] = {}
    for posting in against:  # the numeraire's own side: each at its market value in the numeraire
        priced[id(posting)] = _round(_worth(posting, value) / value[numeraire], exponent)
    total = abs(owed) + sum((priced[id(p)] for p in against), Decimal(0))
    worth = {id(p): _worth(p, value) for p in with_owed}
    whole = sum(worth.values(), Fraction(0))
    left = total
    for i, posting in enumerate(with_owed):
        share = left if i == len(with_owed) - 1 else _round(Fraction(total) * worth[id(posting)] / whole, exponent)
        priced[id(posting)] = share
        left -= share
    return [attrs.evolve(p, price=priced[id(p)], price_commodity=numeraire) if id(p) in priced else p for p in postings]


def _fraction(rate: Rate) -> Fraction:
    return Fraction(rate.amount) / Fraction(rate.per)


def _worth(posting: Posting, value: dict[str, Fraction]) -> Fraction:
    return Fraction(abs(posting.quantity)) * value[posting.commodity]


def _exponent(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent


def _round(value: Fraction, exponent: int) -> Decimal:
    """`value` to `exponent` decimal places, half to even, in integers (a Decimal division would be inexact)."""
    return Decimal(round(value * Fraction(10) ** -exponent)).scaleb(exponent)
