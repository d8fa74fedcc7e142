"""A transaction as QuickBooks can hold it: lines in the home currency at 2 decimals that sum to 0.00.

QuickBooks has no place for a crypto quantity, so each posting is valued with the price book and
its quantity moves into the memo. A posting is valued by its weight (a priced trade leg at the price
it traded at), so the unrounded values of a balanced transaction sum to exactly zero and the
rounding line only ever takes up the cents that rounding each line left over.
"""

from __future__ import annotations

import re
from decimal import Decimal

import attrs

from ledgerport import Posting, RunInfo, Transaction, format_decimal

__all__ = ["PLACES", "JournalEntry", "Line", "journal_entry"]

PLACES = 2
_UNSAFE = re.compile(r"[\t\r\n]+")


@attrs.frozen
class Line:
    """One split: debit when `amount` is positive, credit when negative."""

    account: str
    amount: Decimal
    memo: str


@attrs.frozen
class JournalEntry:
    """One general journal entry; `date` is already as both formats write it, MM/DD/YYYY."""

    date: str
    lines: tuple[Line, ...]


def _memo(*parts: str) -> str:
    """One line of text: tabs and line breaks would break both formats' rows."""
    return _UNSAFE.sub(" ", "; ".join(part for part in parts if part)).strip()


def _source(transaction: Transaction) -> str:
    return f"id {transaction.txn_id}; entries {','.join(transaction.entry_ids)}"


def _quantity(posting: Posting) -> str:
    text = f"{format_decimal(posting.quantity)} {posting.commodity}"
    if posting.price is not None and posting.price_commodity:
        text += f" @@ {format_decimal(posting.price)} {posting.price_commodity}"
    return text


def _value(posting: Posting, transaction: Transaction, run: RunInfo) -> Decimal:
    commodity, amount = posting.weight
    return run.prices.rate(commodity, run.home_currency, transaction.date).convert(amount, PLACES)


def journal_entry(transaction: Transaction, run: RunInfo, rounding_account: str) -> JournalEntry:
    """The transaction's lines worth at least a cent, plus a rounding line when the cents do not add up.

    A line worth 0.00 (dust) is left out, as QuickBooks refuses an amount-less line; a transaction
    left with no line at all comes back with none, for the caller to skip.
    """
    source = _source(transaction)
    lines = [
        Line(posting.account, value, _memo(_quantity(posting), source, transaction.description))
        for posting in transaction.postings
        if (value := _value(posting, transaction, run))
    ]
    rest = -sum((line.amount for line in lines), Decimal(0))
    if rest:
        lines.append(Line(rounding_account, rest, _memo(f"rounding to {run.home_currency} cents", source)))
    return JournalEntry(date=transaction.date.strftime("%m/%d/%Y"), lines=tuple(lines))
