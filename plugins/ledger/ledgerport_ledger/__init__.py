"""The `ledger` sink: one plain-text journal that both hledger and ledger-cli accept, strictly.

Both tools are run with their strictest checks in the tests (`hledger check -s`, `ledger
--pedantic`), so every account and commodity is declared before its first use. A commodity symbol
with anything but letters is quoted: unquoted, hledger reads `10 1INCH` as `101 INCH`. The source id
goes in the transaction code `(...)`, which both tools read; balance assertions (`= 1.5 BTC`) follow
postings where the source's running balance matches the books exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ledgerport import JournalTextSink, SinkType, Transaction, format_decimal, hookimpl

_BARE = re.compile(r"[A-Za-z]+")
_UNSAFE = re.compile(r"[;|\s]+")
DISPLAY_DECIMALS = 18


def ledger_commodity(commodity: str) -> str:
    return commodity if _BARE.fullmatch(commodity) else '"' + commodity.replace('"', "'") + '"'


class LedgerSink(JournalTextSink):
    name = "ledger"

    def header(self) -> str:
        return (
            f"; {self.run.source_title} ledger ({self.run.account}), written by ledgerport; syncs append to it.\n"
            "tag entry_ids\n\n"
        )

    def spell(self, commodity: str, taken: set[str]) -> str:
        return ledger_commodity(commodity)

    def declare_commodity(self, commodity: str, symbol: str) -> str:
        return f"commodity {symbol}\n    format 1.{'0' * DISPLAY_DECIMALS} {symbol}\n"

    def declare_account(self, name: str) -> str:
        return f"account {name}\n"

    def render(self, transaction: Transaction) -> str:
        self.declare(transaction)
        description = _UNSAFE.sub(" ", transaction.description).strip() or transaction.kind.value
        text = [
            f"{transaction.date} ({transaction.txn_id}) {description}\n",
            f"    ; entry_ids: {','.join(transaction.entry_ids)}\n",
        ]
        for posting in transaction.postings:
            symbol = self.symbol(posting.commodity)
            amount = f"{format_decimal(posting.quantity)} {symbol}"
            if posting.price is not None and posting.price_commodity:
                amount += f" @@ {format_decimal(posting.price)} {self.symbol(posting.price_commodity)}"
            asserted = self.assertion(posting, transaction)
            if asserted is not None:
                amount += f" = {format_decimal(asserted)} {symbol}"
            text.append(f"    {posting.account}  {amount}\n")
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
