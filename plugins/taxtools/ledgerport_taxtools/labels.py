"""Which Koinly label (tag) an entry's row gets: it decides how Koinly taxes the movement.

No label leaves a deposit an acquisition and a withdrawal a disposal at market value, which is right
for plain deposits, withdrawals and unpaired transfers. Labels are Koinly's documented tags, in the
lower case its CSV import reads.
"""

from __future__ import annotations

from ledgerport import Entry, Kind

__all__ = ["label"]

_REWARD_WORDS = (("staking", "staking"), ("airdrop", "airdrop"), ("fork", "fork"), ("mining", "mining"))
"""The first word found in the source's category picks a reward's label; else it is `reward`."""


def _margin(entry: Entry) -> bool:
    return "margin" in f"{entry.sub_account} {entry.category}".lower()


def label(entry: Entry, incoming: bool) -> str:
    kind = entry.kind
    if kind is Kind.REWARD and incoming:
        category = entry.category.lower()
        return next((tag for word, tag in _REWARD_WORDS if word in category), "reward")
    if kind is Kind.FEE:
        return "fee refund" if incoming else "cost"
    if kind is Kind.INTEREST:
        if incoming:
            return "lending interest"
        return "margin fee" if _margin(entry) else "loan fee"
    if kind is Kind.LOAN and incoming:
        return "margin loan" if _margin(entry) else "loan"
    if kind is Kind.REPAYMENT and not incoming:
        return "loan repayment"
    return ""
