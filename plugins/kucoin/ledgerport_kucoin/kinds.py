"""What each of KuCoin's business types means for the books, across every ledger an account has.

The classic ledger's names (the seed table, in `mapping.BIZ_TYPES`) are joined here by the codes of
the HF spot and HF margin ledgers, the futures ledger's `type`, the Unified Trading Account's
`businessType`, and the live names users report beyond the documented table. Interest is interest;
lending coins out, staking and Earn subscriptions are the user's coins moving between their own
ledgers (transfers), not loans and not deposits; only margin borrowing is a loan. The sub-account
they move to has no ledger the connector can read: `OWN_SUB_ACCOUNTS` names it, so the books keep
the coins there.
"""

from __future__ import annotations

from ledgerport import Kind

__all__ = ["FUTURES_TYPES", "LEDGER_CODES", "LIVE_NAMES", "OWN_SUB_ACCOUNTS", "UNIFIED_TYPES"]

LEDGER_CODES: tuple[tuple[str, Kind], ...] = (
    # HF spot (/api/v1/hf/accounts/ledgers)
    ("TRADE_EXCHANGE", Kind.TRADE),
    ("TRANSFER", Kind.TRANSFER),
    ("SUB_TRANSFER", Kind.TRANSFER),
    ("RETURNED_FEES", Kind.FEE),
    ("DEDUCTION_FEES", Kind.FEE),
    ("OTHER", Kind.OTHER),
    # HF margin (/api/v3/hf/margin/account/ledgers)
    ("MARGIN_EXCHANGE", Kind.TRADE),
    ("ISOLATED_EXCHANGE", Kind.TRADE),
    ("LIQUIDATION", Kind.TRADE),
    ("ASSERT_RETURN", Kind.TRANSFER),
)
"""The bizType codes of the HF ledgers (official spec). A liquidation sells collateral: a trade; the assets
returned after one go back to the user's own account."""

FUTURES_TYPES: tuple[tuple[str, Kind], ...] = (
    ("RealisedPNL", Kind.TRADE),
    ("RealizedPNL", Kind.TRADE),
    ("Deposit", Kind.DEPOSIT),
    ("Withdrawal", Kind.WITHDRAWAL),
    ("TransferIn", Kind.TRANSFER),
    ("TransferOut", Kind.TRANSFER),
    ("Funding", Kind.FEE),
    ("FundingFee", Kind.FEE),
)
"""The futures ledger's `type` (official spec; RealizedPNL is the request spelling, Funding the funding fee)."""

UNIFIED_TYPES: tuple[tuple[str, Kind], ...] = (
    ("SPOT_EXCHANGE", Kind.TRADE),
    ("FUTURES_EXCHANGE_OPEN", Kind.TRADE),
    ("FUTURES_EXCHANGE_CLOSE", Kind.TRADE),
    ("FUNDING_FEE", Kind.FEE),
    ("LIABILITY_INTEREST", Kind.INTEREST),
    ("KCS_DEDUCTION_FEES", Kind.FEE),
    ("SUB_TO_SUB_TRANSFER", Kind.TRANSFER),
    ("DEPOSIT", Kind.DEPOSIT),
    ("WITHDRAWAL", Kind.WITHDRAWAL),
)
"""The Unified Trading Account's `businessType` (examples from ccxt and Kucoin.Net; the SDK has no enum)."""

LIVE_NAMES: tuple[tuple[str, Kind], ...] = (
    ("Cross Margin", Kind.TRADE),
    ("Cross Margin Trading", Kind.TRADE),
    ("Isolated Margin Trading", Kind.TRADE),
    ("Spot", Kind.TRADE),
    ("Fiat Deposit", Kind.DEPOSIT),
    ("Fiat Withdrawal", Kind.WITHDRAWAL),
    ("KCS Fee Deduction", Kind.FEE),
    ("Fee Refunds using KCS", Kind.FEE),
    ("KuCoin Earn Profits", Kind.INTEREST),
    ("KuCoin Earn Locked", Kind.TRANSFER),
    ("KuCoin Earn Redemptions", Kind.TRANSFER),
    ("EARN_LOCK", Kind.TRANSFER),
    ("EARN_REDEEM", Kind.TRANSFER),
    ("Hold to Earn Earnings", Kind.INTEREST),
    ("Mining Income", Kind.REWARD),
    ("Bonus received", Kind.REWARD),
    ("Rebate", Kind.REWARD),
    ("COUPON_RETURNED_FEES", Kind.FEE),
    ("Liquidation Takeover", Kind.TRADE),
    ("Bank Card Deal", Kind.TRADE),
    ("KuCoin Event", Kind.REWARD),
    ("Voting", Kind.TRANSFER),
)
"""Names seen in live answers beyond the documented table (Kucoin.Net's enum, user reports 2025–26)."""

OWN_SUB_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("Staking", "STAKING"),
    ("Redemption", "STAKING"),
    ("KuCoin Earn Locked", "EARN"),
    ("KuCoin Earn Redemptions", "EARN"),
    ("EARN_LOCK", "EARN"),
    ("EARN_REDEEM", "EARN"),
    ("Lendings", "LENDING"),
    ("Loans Repaid", "LENDING"),
    ("Vote for Coin", "VOTING"),
    ("Voting", "VOTING"),
    ("Redemption of Voting", "VOTING"),
)
"""Where the coins of an own-account move without a second ledger row go (Staking, Earn, lending out,
votes) and come back from: `Entry.counter_sub_account`. KuCoin's "Loans Repaid" brings back what was
lent out together with its interest, in one row."""
