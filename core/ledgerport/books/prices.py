"""The price book: exact rates by (asset, quote currency, day), from a file, from the trades, from plugins.

A format that values holdings in money (QuickBooks has no place for a crypto quantity) asks the book
for a `Rate` and converts with it. A rate is kept as a ratio (`amount` of the quote per `per` units
of the asset), so inverting it and chaining two of them stay exact; the one division happens when a
quantity is converted and rounded to the money's places.
"""

from __future__ import annotations

import csv
import decimal
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..errors import ConfigError, MissingPriceError, PluginError
from ..model.money import parse_decimal

if TYPE_CHECKING:
    from .transactions import Transaction

__all__ = ["DEFAULT_MAX_AGE_DAYS", "PRICE_COLUMNS", "PriceBook", "PriceLookup", "Rate"]

DEFAULT_MAX_AGE_DAYS = 7
PRICE_COLUMNS = ("date", "asset", "currency", "price")

PriceLookup = Callable[[str, str, date], "decimal.Decimal | None"]
"""Where the book turns last for a price it cannot find or derive: the `lookup_price` hook."""

_EXACT = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact, decimal.Overflow]
)
"""Products of decimals are exact at this precision; `Inexact` would say so if one ever were not."""


@attrs.frozen
class Rate:
    """`amount` units of the quote currency buy `per` units of the asset."""

    amount: decimal.Decimal
    per: decimal.Decimal = decimal.Decimal(1)

    def __attrs_post_init__(self) -> None:
        if self.amount <= 0 or self.per <= 0:
            raise ValueError(f"a price must be positive, not {self.amount}/{self.per}")

    def inverse(self) -> Rate:
        return Rate(self.per, self.amount)

    def then(self, other: Rate) -> Rate:
        """This rate followed by `other` (asset → X, then X → currency), multiplied exactly."""
        return Rate(_EXACT.multiply(self.amount, other.amount), _EXACT.multiply(self.per, other.per))

    def convert(self, quantity: decimal.Decimal, places: int) -> decimal.Decimal:
        """`quantity` of the asset in the quote currency, rounded once, half to even, to `places` decimals.

        In integers: quantity × amount ÷ per × 10^places as one fraction, then one floor division and
        its remainder decide the rounding (Fraction did the same, five times slower per posting).
        """
        q_num, q_den = quantity.as_integer_ratio()
        a_num, a_den = self.amount.as_integer_ratio()
        p_num, p_den = self.per.as_integer_ratio()
        units, rest = divmod(q_num * a_num * p_den * 10**places, q_den * a_den * p_num)
        twice, whole = 2 * rest, q_den * a_den * p_num
        if twice > whole or (twice == whole and units % 2):
            units += 1
        return decimal.Decimal(units).scaleb(-places, _EXACT)


Pair = tuple[str, str]
Table = dict[Pair, dict[date, Rate]]


class PriceBook:
    """Rates of assets in quote currencies, looked up by day.

    `rate(asset, currency, day)` answers, in this order: 1 for a currency in itself; a rate of that
    day (from the price files first, then implied by that day's trades); the latest one of the
    `max_age_days` days before; one hop through another quote currency (ETH → USDT → USD) over rates
    found the same way; the `fallback` (the `lookup_price` hook). Anything else raises
    `MissingPriceError`: a value is never silently zero. Every rate is also read inverted.
    """

    def __init__(self, *, max_age_days: int = DEFAULT_MAX_AGE_DAYS, fallback: PriceLookup | None = None) -> None:
        if max_age_days < 0:
            raise ConfigError(f"max_age_days must be 0 or more, not {max_age_days}")
        self.max_age_days = max_age_days
        self._fallback = fallback
        self._quoted: Table = {}
        self._implied: Table = {}
        self._answered: dict[tuple[str, str, date], Rate | None] = {}

    def add(self, asset: str, currency: str, day: date, rate: Rate) -> None:
        """A quoted price (from a file or a caller); it wins over prices implied by trades of the same day."""
        self._quoted.setdefault((asset, currency), {})[day] = rate

    def load(self, path: str | Path) -> None:
        """Reads a CSV file with the header `date,asset,currency,price`; a bad row names file, line and field."""
        path = Path(path)
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = csv.DictReader(handle)
                if tuple(rows.fieldnames or ()) != PRICE_COLUMNS:
                    raise ConfigError(
                        f"prices file {path}: line 1: the header must be {','.join(PRICE_COLUMNS)}, "
                        f"not {','.join(rows.fieldnames or ())!r}"
                    )
                for row in rows:
                    self._load_row(path, rows.line_num, row)
        except OSError as exc:
            raise ConfigError(f"cannot read prices file {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"prices file {path} is not UTF-8 text (byte {exc.start})") from None

    def _load_row(self, path: Path, line: int, row: dict[str, str | None]) -> None:
        def field(name: str) -> str:
            value = (row.get(name) or "").strip()
            if not value:
                raise ConfigError(f"prices file {path}: line {line}: field {name!r} is empty")
            return value

        when, asset, currency, price = (field(name) for name in PRICE_COLUMNS)
        try:
            day = date.fromisoformat(when)
        except ValueError:
            raise ConfigError(
                f"prices file {path}: line {line}: field 'date': not a YYYY-MM-DD date: {when!r}"
            ) from None
        try:
            rate = Rate(parse_decimal(price))
        except ValueError as exc:
            raise ConfigError(f"prices file {path}: line {line}: field 'price': {exc}") from None
        self.add(asset, currency, day, rate)

    def learn(self, transactions: Iterable[Transaction]) -> None:
        """Takes the prices the trades imply: a posting priced at `price` for `quantity` units. The
        day's last trade of a pair sets that day's implied price."""
        for transaction in transactions:
            for posting in transaction.postings:
                if posting.price and posting.price_commodity and posting.quantity:
                    rate = Rate(posting.price, abs(posting.quantity))
                    pair = (posting.commodity, posting.price_commodity)
                    self._implied.setdefault(pair, {})[transaction.date] = rate

    def rate(self, asset: str, currency: str, day: date) -> Rate:
        if asset == currency:
            return Rate(decimal.Decimal(1))
        found = self._direct(asset, currency, day) or self._hop(asset, currency, day)
        rate = found[0] if found else self._ask(asset, currency, day)
        if rate is None:
            raise MissingPriceError(asset=asset, currency=currency, day=day, max_age_days=self.max_age_days)
        return rate

    def _direct(self, asset: str, currency: str, day: date) -> tuple[Rate, int] | None:
        """The rate of the day or the latest earlier one within the age limit, with its age in days."""
        for age in range(self.max_age_days + 1):
            when = day - timedelta(days=age)
            for table in (self._quoted, self._implied):
                rate = _on(table, asset, currency, when)
                if rate is not None:
                    return rate, age
        return None

    def _hop(self, asset: str, currency: str, day: date) -> tuple[Rate, int] | None:
        """The freshest route through one other currency; ties go to the alphabetically first."""
        middles = {
            other for table in (self._quoted, self._implied) for pair in table if asset in pair for other in pair
        }
        routes = []
        for middle in sorted(middles - {asset, currency}):
            first, second = self._direct(asset, middle, day), self._direct(middle, currency, day)
            if first and second:
                routes.append((first[0].then(second[0]), max(first[1], second[1])))
        return min(routes, key=lambda route: route[1], default=None)

    def _ask(self, asset: str, currency: str, day: date) -> Rate | None:
        key = (asset, currency, day)
        if key not in self._answered:
            answer = self._fallback(asset, currency, day) if self._fallback else None
            try:
                self._answered[key] = None if answer is None else Rate(parse_decimal(answer))
            except ValueError as exc:
                raise PluginError(f"lookup_price for {asset} in {currency} on {day}: {exc}") from None
        return self._answered[key]


def _on(table: Table, asset: str, currency: str, day: date) -> Rate | None:
    """The pair's rate of `day`, or the inverse of the reverse pair's: a price read both ways."""
    rate = table.get((asset, currency), {}).get(day)
    if rate is None:
        reverse = table.get((currency, asset), {}).get(day)
        rate = reverse.inverse() if reverse else None
    return rate
