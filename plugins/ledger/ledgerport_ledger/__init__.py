"""The `ledger` sink: one plain-text journal that both hledger and ledger-cli accept, strictly.

Both tools are run with their strictest checks in the tests (`hledger check -s`, `ledger
--pedantic`), so every account and commodity is declared before its first use. A commodity symbol
with anything but letters is quoted: unquoted, hledger reads `10 1INCH` as `101 INCH`. The source id
goes in the transaction code `(...)`, which both tools read; balance assertions (`= 1.5 BTC`) follow
postings where the source's running balance matches the books exactly. Every name and id from the
source goes through `ledgerport.plain`, so none can end a line and forge a transaction.

Books at cost (`RunInfo.cost_basis`): every posting of a holding in another commodity than the home
currency carries its cost as a *total* price, `-0.5 BTC @@ 20000.00 USD` (|cost|, the sign is the
quantity's), so both tools balance each transaction exactly, to the cent, with no per-unit rounding;
hledger 1.25 ignores ledger's lot syntax, so none is written. The lots a posting touched, and for a
disposal its proceeds and gain, follow as posting tags (`; lots: e01 e05`, `; proceeds: ...`,
`; gain: ...`); the core's gain postings to `Income:Realized-Gains` are ordinary postings.

`declarations = "none" | "separate"` (`JournalSettings`) leaves the `account`, `commodity` and `tag`
lines out, or writes them into a sidecar to include before the journal (both tools accept a name
declared twice alike, so several outputs' sidecars can be included together).

`prices = true` (the default, `LedgerSettings`) writes the run's price book into the journal: for each
day a transaction is dated and each commodity but the home currency it posts, one market price
`P 2024-03-01 23:59:59 BTC 40000 USD` just before the first such transaction, so `hledger bal -V` / `-X USD`
and `ledger bal -V` value the holdings; see `JournalTextSink.price_lines`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from ledgerport import (
    JournalSettings,
    JournalTextSink,
    Posting,
    SinkType,
    Transaction,
    format_decimal,
    hookimpl,
    plain,
)

_BARE = re.compile(r"[A-Za-z]+")
_UNSAFE = re.compile(r"[;|\s]+")
_UNQUOTABLE = re.compile(r'[";\\]')
_LOT_ID_UNSAFE = re.compile(r"[\s,]+")
DISPLAY_DECIMALS = 18
COST_TAGS = ("lots", "proceeds", "gain")

PRICE_DIGITS = 28
PRICE_TIME = "23:59:59"
"""The time of day on every `P` line. ledger-cli also takes each posting's `@@` as a market price, at
the start of its date, and of two prices at one moment keeps the one read last: a cost (`1 KCS @@
5.50 USD` at cost) after the day's `P` line would win. At the day's last second, the book's price is
the day's price in both tools (hledger reads the time and ignores it)."""


def ledger_commodity(commodity: str) -> str:
    """Bare letters as they are; anything else quoted, without the `"` that would end the quote, the
    `;` that hledger reads as a comment even inside it, or a `\\` that ledger unescapes in amounts
    but not in `commodity` directives (control characters are escaped first, so they become `'`)."""
    return commodity if _BARE.fullmatch(commodity) else '"' + _UNQUOTABLE.sub("'", plain(commodity)) + '"'


class LedgerSink(JournalTextSink):
    name = "ledger"

    def header(self) -> str:
        text = f"; {self.run.source_title} ledger ({self.run.account}), written by ledgerport; syncs append to it.\n"
        if self.mode == "inline":
            return f"{text}tag entry_ids\n\n"
        if self.mode == "separate":
            name = plain(self.sidecar_name)
            return f"{text}; Its declarations are in {name}: include that file once, before this one.\n\n"
        return f"{text}; No declarations: the main file declares its accounts, commodities and tags.\n\n"

    def sidecar_header(self) -> str:
        return (
            f"; Declarations of {plain(os.path.basename(self.target))} ({plain(self.run.source_title)}, "
            f"{plain(self.run.account)}), rewritten by ledgerport at each commit.\n"
            "; Include it once, before that file (ledger --pedantic wants declarations before their use).\n\n"
        )

    def extra_declarations(self) -> list[str]:
        return [f"tag {name}\n" for name in ["entry_ids", *sorted(self.tags - {"entry_ids"})]]

    def spell(self, commodity: str, taken: set[str]) -> str:
        """Two commodities the quoting spells alike (`a;b`, `a"b`) must stay two: the later gets `-2`."""
        symbol, n = ledger_commodity(commodity), 1
        while symbol in taken:
            n += 1
            symbol = ledger_commodity(f"{commodity}-{n}")
        return symbol

    def declare_commodity(self, commodity: str, symbol: str) -> str:
        return f"commodity {symbol}\n    format 1.{'0' * DISPLAY_DECIMALS} {symbol}\n"

    def declare_account(self, name: str) -> str:
        return f"account {plain(name)}\n"

    def restore(self, extra: dict[str, Any]) -> None:
        self.tags: set[str] = set(extra.get("tags", ()))

    def extra_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"tags": sorted(self.tags)} if self.tags else {}
        return state

    def price_directive(self, day: date, symbol: str, price: str, currency: str) -> str:
        return f"P {day} {PRICE_TIME} {symbol} {price} {currency}\n"

    def tag(self, name: str) -> str:
        """Declares a posting tag before its first use, which `ledger --pedantic` demands."""
        if name not in self.tags:
            self.tags.add(name)
            self.declaration(f"tag {name}\n")
        return name

    def money(self, value: Decimal, commodity: str) -> str:
        """A home-currency amount exactly as the lot engine computed it (cents), never rounded here:
        a rounded cost would leave the transaction off balance."""
        return f"{format_decimal(value)} {self.symbol(commodity)}"

    def costed(self, posting: Posting, asserted: Any) -> list[str]:
        """A holding's posting at cost, `QTY @@ |COST|`, and its lot tags. Neither tool takes a negative
        cost (ledger refuses it), so a cost against the quantity's sign, or a cost with no quantity,
        goes on its own home-currency posting of the same account, the quantity at `@@ 0`."""
        assert posting.cost is not None and posting.cost_commodity is not None
        account, cost, home = plain(posting.account), posting.cost, posting.cost_commodity
        symbol = self.symbol(posting.commodity)
        assertion = f" = {format_decimal(asserted)} {symbol}" if asserted is not None else ""
        quantity = f"{format_decimal(posting.quantity)} {symbol}"
        lines = []
        if cost and (posting.quantity * cost <= 0):
            if posting.quantity or assertion:
                lines.append(f"    {account}  {quantity} @@ {self.money(cost * 0, home)}{assertion}\n")
            lines.append(f"    {account}  {self.money(cost, home)}\n")
        else:
            lines.append(f"    {account}  {quantity} @@ {self.money(abs(cost), home)}{assertion}\n")
        if posting.lot_ids:
            ids = " ".join(_LOT_ID_UNSAFE.sub("_", plain(i)) for i in posting.lot_ids)
            lines.append(f"    ; {self.tag('lots')}: {ids}\n")
        if posting.value is not None:
            lines.append(f"    ; {self.tag('proceeds')}: {self.money(posting.value, home)}\n")
        if posting.gain is not None:
            lines.append(f"    ; {self.tag('gain')}: {self.money(posting.gain, home)}\n")
        return lines

    def render(self, transaction: Transaction) -> str:
        self.declare(transaction)
        description = plain(_UNSAFE.sub(" ", transaction.description).strip()) or transaction.kind.value
        code = plain(transaction.txn_id).replace(")", "]").replace("(", "[")  # a parenthesis would end the code
        text = [
            self.price_lines(transaction),
            f"{transaction.date} ({code}) {description}\n",
            f"    ; entry_ids: {plain(','.join(transaction.entry_ids))}\n",
        ]
        for posting in transaction.postings:
            if posting.cost is not None and posting.cost_commodity:
                text += self.costed(posting, self.assertion(posting, transaction))
                continue
            symbol = self.symbol(posting.commodity)
            amount = f"{format_decimal(posting.quantity)} {symbol}"
            if posting.price is not None and posting.price_commodity:
                amount += f" @@ {format_decimal(posting.price)} {self.symbol(posting.price_commodity)}"
            asserted = self.assertion(posting, transaction)
            if asserted is not None:
                amount += f" = {format_decimal(asserted)} {symbol}"
            text.append(f"    {plain(posting.account)}  {amount}\n")
        text.append("\n")
        return "".join(text)


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="ledger",
            description="A journal for hledger and ledger-cli.",
            open=LedgerSink,
            settings=JournalSettings,
            demo_target="{path}.journal",
            checks=("hledger -f {path} check -s", "ledger --pedantic -f {path} balance"),
        )
    )
