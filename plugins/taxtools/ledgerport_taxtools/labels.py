"""Which Koinly tag (the CSV's `Label`) an entry's row gets: it decides how Koinly taxes the movement.

No tag leaves a deposit an acquisition and a withdrawal a disposal at market value, which is right
for plain deposits, withdrawals, trades (liquidations too: a forced sale is a sale) and unpaired
transfers. Only tags Koinly documents are written (https://support.koinly.io/en/articles/9490023-what-are-tags),
in the lower case its CSV import reads; a movement none of them fits gets none, Koinly's default.
"""

from __future__ import annotations

from ledgerport import Entry, Kind

__all__ = ["KOINLY_TAGS", "label"]

KOINLY_TAGS = frozenset(
    {
        # deposits: income
        "salary",
        "income",
        "lending interest",
        "airdrop",
        "fork",
        "mining",
        "reward",
        # deposits: cashback and loans
        "fee refund",
        "cashback",
        "loan",
        "margin loan",
        "realized pnl",
        # withdrawals: expenses
        "cost",
        "tax",
        "margin fee",
        "loan fee",
    }
)
"""The tags of Koinly's tag list this sink may write (all but the pool and liquidity ones Koinly
applies itself); `label` never returns anything else."""

_REWARD_WORDS = (("airdrop", "airdrop"), ("fork", "fork"), ("mining", "mining"))
"""The first word found in the source's category picks a reward's tag; else it is `reward`, which
Koinly documents for staking rewards, referral bonuses and the like."""

_MARGIN_WORDS = ("margin", "isolated", "cross", "liability", "liquidation")
"""Words in a category or sub-account that say an expense belongs to margin trading (KuCoin's MARGIN,
ISOLATED and CROSS ledgers, LIABILITY_INTEREST, Liquidation Fees)."""


def _says(entry: Entry, words: tuple[str, ...]) -> bool:
    text = f"{entry.sub_account} {entry.category}".lower()
    return any(word in text for word in words)


def label(entry: Entry, incoming: bool) -> str:
    kind = entry.kind
    if kind is Kind.REWARD and incoming:
        category = entry.category.lower()
        return next((tag for word, tag in _REWARD_WORDS if word in category), "reward")
    if kind is Kind.FEE:
        if incoming:
            return "fee refund"
        return "margin fee" if _says(entry, _MARGIN_WORDS) else "cost"
    if kind is Kind.INTEREST:
        if incoming:
            return "reward" if _says(entry, ("staking",)) else "lending interest"
        return "margin fee" if _says(entry, _MARGIN_WORDS) else "loan fee"
    if kind is Kind.LOAN and incoming:
        return "margin loan" if _says(entry, _MARGIN_WORDS) else "loan"
    return ""
