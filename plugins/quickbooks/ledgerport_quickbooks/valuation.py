"""A transaction as QuickBooks can hold it: lines in the home currency at 2 decimals that sum to 0.00.

QuickBooks has no place for a crypto quantity, so each posting is valued with the price book and
its quantity moves into the memo. A posting is valued by its weight (a priced trade leg at the price
it traded at), so the unrounded values of a balanced transaction sum to exactly zero and the
rounding line only ever takes up the cents that rounding each line left over.

With cost basis on (`cost_entry`) a posting's amount is its cost instead: the core has costed the
transaction, so each holding of another asset moves at the cost of its lots, on an account of its
own per asset (`holding_account`), and every entry balances by construction; no price is looked up.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import attrs

from ledgerport import Chart, Posting, RunInfo, Transaction, format_decimal

__all__ = ["PLACES", "JournalEntry", "Line", "cost_entry", "holding_account", "journal_entry"]

PLACES = 2
_CENT = Decimal(1).scaleb(-PLACES)
_UNSAFE = re.compile(r"[\t\r\n]+")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_LOTS = 10
"""A memo names at most this many of the lots a posting used, then how many more."""


@attrs.frozen
class Line:
    """One split: debit when `amount` is positive, credit when negative."""

    account: str
    amount: Decimal
    memo: str


@attrs.frozen
class JournalEntry:
    """One general journal entry, dated `date` (each sink writes it in its `date_format`)."""

    date: date
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
    return _balanced(transaction, run, rounding_account, lines, source)


def holding_account(account: str, asset: str, chart: Chart) -> str:
    """The account of one asset in a holding: `Assets:KuCoin:Main` → `Assets:KuCoin:Main:BTC`, unless
    the chart's holding template for the asset names the asset already (`{asset}`)."""
    if "{asset}" in chart.assets.get(asset, chart.holdings):
        return account
    return f"{account}:{_NOT_IN_NAME.sub('-', asset).strip('-') or 'X'}"


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _lots(posting: Posting) -> str:
    if not posting.lot_ids:
        return ""
    named = ",".join(posting.lot_ids[:_MAX_LOTS])
    more = len(posting.lot_ids) - _MAX_LOTS
    return f"lots {named}" + (f" and {more} more" if more > 0 else "")


def cost_entry(transaction: Transaction, run: RunInfo, rounding_account: str) -> JournalEntry:
    """A costed transaction's lines: a holding of another asset than the home currency at its cost
    (what it adds, or the cost of the lots it gives up), on its asset's own account, the lots in
    the memo; every other posting, already in the home currency, at its amount.

    A posting in another currency the core left without cost (it booked no lots for it) is valued
    at market, as without cost basis; the rounding line catches what that leaves over.
    """
    source = _source(transaction)
    home = run.home_currency
    lines = []
    for posting in transaction.postings:
        account, lots = posting.account, ""
        if posting.cost is not None and posting.cost_commodity == home:
            amount = _cents(posting.cost)
            account, lots = holding_account(posting.account, posting.commodity, run.chart), _lots(posting)
        elif posting.commodity == home:
            amount = _cents(posting.quantity)
        else:
            amount = _value(posting, transaction, run)
        if amount:
            lines.append(Line(account, amount, _memo(_quantity(posting), lots, source, transaction.description)))
    return _balanced(transaction, run, rounding_account, lines, source)


def _balanced(
    transaction: Transaction, run: RunInfo, rounding_account: str, lines: list[Line], source: str
) -> JournalEntry:
    rest = -sum((line.amount for line in lines), Decimal(0))
    if rest:
        lines.append(Line(rounding_account, rest, _memo(f"rounding to {run.home_currency} cents", source)))
    return JournalEntry(date=transaction.date, lines=tuple(lines))
