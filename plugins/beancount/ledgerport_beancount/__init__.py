"""The `beancount` sink: a beancount journal that `bean-check` accepts.

Beancount is strict where the sources are loose, so this sink renames what it must and keeps the
original: a commodity beancount rejects (`1INCH`, `stETH`) gets a stable rename (`X1INCH`,
`XSTETH`) whose declaration carries the original `name`. Accounts and commodities are declared on
1970-01-01, so a later sync that fills an earlier gap never uses an account before it was opened.
End-of-day balances the source reported go in `balance` directives on the next day, since
beancount checks them at the start of their date, written so precisely that the check is exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ledgerport import JournalTextSink, SinkType, Transaction, format_decimal, hookimpl, plain

_VALID = re.compile(r"[A-Z](?:[A-Z0-9'._-]{0,22}[A-Z0-9])?")
_INVALID_CHARS = re.compile(r"[^A-Z0-9'._-]+")
_OPENED = "1970-01-01"
_PRECISION = 18


def _strict(number: Decimal) -> str:
    """Beancount's balance tolerance follows the digits written (`0.5` passes 0.4 to 0.6), so the
    number is padded to one digit past the finest the sources use: the check becomes exact."""
    text = format_decimal(number)
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(max(len(fraction), _PRECISION) + 1, '0')}"


def _quote(text: str) -> str:
    """A string on one line: whitespace runs become one space, other control characters are escaped."""
    return '"' + plain(" ".join(text.split())).replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_commodity(commodity: str, taken: set[str]) -> str:
    """The commodity itself when beancount accepts it, else `X` + its upper-cased, cleaned form."""
    if _VALID.fullmatch(commodity) and commodity not in taken:
        return commodity
    stem = ("X" + _INVALID_CHARS.sub("-", commodity.upper())).rstrip("'._-")[:22]
    candidate, n = stem, 1
    while candidate in taken or not _VALID.fullmatch(candidate):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


class BeancountSink(JournalTextSink):
    name = "beancount"

    def restore(self, extra: dict[str, Any]) -> None:
        self._pending: dict[tuple[str, str], tuple[str, str]] = {
            (a, c): (d, v) for a, c, d, v in extra.get("pending", [])
        }

    def extra_state(self) -> dict[str, Any]:
        return {"pending": [[a, c, d, v] for (a, c), (d, v) in sorted(self._pending.items())]}

    def header(self) -> str:
        return f";; {self.run.source_title} ledger ({self.run.account}), written by ledgerport; syncs append to it.\n\n"

    def spell(self, commodity: str, taken: set[str]) -> str:
        return beancount_commodity(commodity, taken)

    def declare_commodity(self, commodity: str, symbol: str) -> str:
        name = f"\n  name: {_quote(commodity)}" if symbol != commodity else ""
        return f"{_OPENED} commodity {symbol}{name}\n"

    def declare_account(self, name: str) -> str:
        return f"{_OPENED} open {plain(name)}\n"

    def _flush(self, before: date | None) -> str:
        """Balance directives for the days that are over, dated the next morning."""
        due = [(k, v) for k, v in self._pending.items() if before is None or date.fromisoformat(v[0]) < before]
        lines = []
        for (account, commodity), (day, total) in due:
            morning = date.fromisoformat(day) + timedelta(days=1)
            lines.append(f"{morning} balance {plain(account)}  {total} {self.commodities[commodity]}\n")
            del self._pending[(account, commodity)]
        return "".join(lines)

    def render(self, transaction: Transaction) -> str:
        self.declare(transaction)
        text = [self._flush(transaction.date)]
        text.append(
            f"{transaction.date} * {_quote(self.run.source_title)} {_quote(transaction.description)}\n"
            f"  txn_id: {_quote(transaction.txn_id)}\n"
            f"  entry_ids: {_quote(','.join(transaction.entry_ids))}\n"
        )
        for posting in transaction.postings:
            amount = f"{format_decimal(posting.quantity)} {self.symbol(posting.commodity)}"
            if posting.price is not None and posting.price_commodity:
                amount += f" @@ {format_decimal(posting.price)} {self.symbol(posting.price_commodity)}"
            text.append(f"  {plain(posting.account)}  {amount}\n")
            key = (posting.account, posting.commodity)
            asserted: Decimal | None = self.assertion(posting, transaction)
            if asserted is not None:
                self._pending[key] = (transaction.date.isoformat(), _strict(asserted))
            elif posting.balance is not None:
                self._pending.pop(key, None)
        text.append("\n")
        return "".join(text)

    def closing(self) -> str:
        """The last day's balances, if that day lies wholly inside the synced range."""
        last_full_day = (self.run.until - timedelta(days=1)).date()
        return self._flush(last_full_day + timedelta(days=1))


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="beancount",
            description="A beancount journal that bean-check accepts.",
            open=BeancountSink,
            demo_target="{path}.beancount",
            checks=("bean-check {path}",),
        )
    )
