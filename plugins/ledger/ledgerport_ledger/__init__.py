"""The `ledger` sink: one plain-text journal that both hledger and ledger-cli accept, strictly.

Both tools are run with their strictest checks in the tests (`hledger check -s`, `ledger
--pedantic`), so every account and commodity is declared before its first use. A commodity symbol
with anything but letters is quoted: unquoted, hledger reads `10 1INCH` as `101 INCH`. The source id
goes in the transaction code `(...)`, which both tools read; balance assertions (`= 1.5 BTC`) follow
postings where the source's running balance matches the books exactly. Every name and id from the
source goes through `ledgerport.plain`, so none can end a line and forge a transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ledgerport import JournalTextSink, SinkType, Transaction, format_decimal, hookimpl, plain

_BARE = re.compile(r"[A-Za-z]+")
_UNSAFE = re.compile(r"[;|\s]+")
_UNQUOTABLE = re.compile(r'[";\\]')
DISPLAY_DECIMALS = 18


def ledger_commodity(commodity: str) -> str:
    """Bare letters as they are; anything else quoted, without the `"` that would end the quote, the
    `;` that hledger reads as a comment even inside it, or a `\\` that ledger unescapes in amounts
    but not in `commodity` directives (control characters are escaped first, so they become `'`)."""
    return commodity if _BARE.fullmatch(commodity) else '"' + _UNQUOTABLE.sub("'", plain(commodity)) + '"'


class LedgerSink(JournalTextSink):
    name = "ledger"

    def header(self) -> str:
        return (
            f"; {self.run.source_title} ledger ({self.run.account}), written by ledgerport; syncs append to it.\n"
            "tag entry_ids\n\n"
        )

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

    def render(self, transaction: Transaction) -> str:
        self.declare(transaction)
        description = plain(_UNSAFE.sub(" ", transaction.description).strip()) or transaction.kind.value
        code = plain(transaction.txn_id).replace(")", "]").replace("(", "[")  # a parenthesis would end the code
        text = [
            f"{transaction.date} ({code}) {description}\n",
            f"    ; entry_ids: {plain(','.join(transaction.entry_ids))}\n",
        ]
        for posting in transaction.postings:
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
            demo_target="{path}.journal",
            checks=("hledger -f {path} check -s", "ledger --pedantic -f {path} balance"),
        )
    )
