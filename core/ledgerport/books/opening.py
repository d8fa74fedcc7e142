"""Opening lots: what a holding cost before ledgerport saw it (`date,sub_account,asset,quantity,cost,currency`).

A deposit from outside has no cost in the source's ledger: the coins were bought elsewhere, maybe
years ago. Without this file the lot engine can only take the fair value on the deposit day, which
moves the whole gain of the years before into the wrong period. Each row is one lot, acquired on
`date`, for `cost` in `currency` (the home currency) in total, not per unit.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import attrs

from ..errors import ConfigError
from ..model.money import parse_decimal

__all__ = ["OPENING_COLUMNS", "OpeningLot", "read_opening_lots", "too_fine"]

OPENING_COLUMNS = ("date", "sub_account", "asset", "quantity", "cost", "currency")


@attrs.frozen(kw_only=True)
class OpeningLot:
    """One row of the opening-lots file; `line` is kept so a later complaint can name the row."""

    acquired: datetime
    sub_account: str
    asset: str
    quantity: Decimal
    cost: Decimal
    line: int = 0


def read_opening_lots(path: str | Path, home_currency: str, places: int = 2) -> list[OpeningLot]:
    """Reads the file; a bad row raises ConfigError naming the file, the line and the field.

    The cost must be in the home currency, to at most `places` decimals: a lot's cost is what the
    books carry, and converting or rounding it here would hide a choice the user should make (and
    state) themselves.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = csv.DictReader(handle, skipinitialspace=True)
            header = tuple(name.strip() for name in rows.fieldnames or ())
            if header != OPENING_COLUMNS:
                raise ConfigError(
                    f"opening lots {path}: line 1: the header must be {','.join(OPENING_COLUMNS)}, "
                    f"not {','.join(header)!r}"
                )
            rows.fieldnames = list(header)
            return [_row(path, rows.line_num, row, home_currency, places) for row in rows]
    except OSError as exc:
        raise ConfigError(f"cannot read opening lots {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"opening lots {path} is not UTF-8 text (byte {exc.start})") from None


def _row(path: Path, line: int, row: dict[str, str | None], home_currency: str, places: int) -> OpeningLot:
    def field(name: str) -> str:
        value = (row.get(name) or "").strip()
        if not value:
            raise ConfigError(f"opening lots {path}: line {line}: field {name!r} is empty")
        return value

    def amount(name: str, *, positive: bool) -> Decimal:
        try:
            value = parse_decimal(field(name))
        except ValueError as exc:
            raise ConfigError(f"opening lots {path}: line {line}: field {name!r}: {exc}") from None
        if value < 0 or (positive and not value):
            need = "more than 0" if positive else "0 or more"
            raise ConfigError(f"opening lots {path}: line {line}: field {name!r}: must be {need}, not {value}")
        return value

    try:
        day = date.fromisoformat(field("date"))
    except ValueError:
        raise ConfigError(
            f"opening lots {path}: line {line}: field 'date': not a YYYY-MM-DD date: {row.get('date')!r}"
        ) from None
    currency = field("currency")
    if currency != home_currency:
        raise ConfigError(
            f"opening lots {path}: line {line}: field 'currency': {currency} is not the home currency {home_currency}"
        )
    cost = amount("cost", positive=False)
    if too_fine(cost, places):
        raise ConfigError(
            f"opening lots {path}: line {line}: field 'cost': {(row.get('cost') or '').strip()} has more than {places} "
            f"decimals, finer than the books keep {home_currency} in"
        )
    return OpeningLot(
        acquired=datetime.combine(day, datetime.min.time(), UTC),
        sub_account=field("sub_account"),
        asset=field("asset"),
        quantity=amount("quantity", positive=True),
        cost=cost,
        line=line,
    )


def too_fine(amount: Decimal, places: int) -> bool:
    """Whether `amount` has digits beyond `places` decimals (trailing zeros do not count)."""
    return amount != amount.quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN")
