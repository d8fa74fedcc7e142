"""The chart of accounts: which account each side of an entry posts to, overridable from the config file."""

from __future__ import annotations

import functools
import re

import attrs

from ..model.entry import Entry, Kind

__all__ = ["Chart", "account_component"]

OPENING_TAG = "opening-balance"

_DEFAULT_KINDS = {
    Kind.DEPOSIT.value: "Equity:{source}:External",
    Kind.WITHDRAWAL.value: "Equity:{source}:External",
    Kind.TRANSFER.value: "Equity:{source}:External",
    Kind.TRADE.value: "Equity:{source}:Trading",
    Kind.FEE.value: "Expenses:Fees:{source}",
    Kind.REWARD.value: "Income:{source}:Rewards",
    Kind.INTEREST.value: "Income:{source}:Interest",
    Kind.LOAN.value: "Liabilities:{source}:Loans",
    Kind.REPAYMENT.value: "Liabilities:{source}:Loans",
    Kind.ADJUSTMENT.value: "Equity:{source}:Adjustments",
    Kind.OTHER.value: "Expenses:{source}:Suspense",
    "interest_paid": "Expenses:{source}:Interest",
}
"""`other` goes to a suspense account in the P&L (QuickBooks' "Ask My Accountant" convention), where
an unknown movement shows until someone classifies it, not to equity, which would hide it.
`interest_paid` is interest going out (margin, loans): an expense, where interest received is income."""
_DEFAULT_PER_ACCOUNT = frozenset(
    t for t in ("Assets:{source}:{sub_account}", *_DEFAULT_KINDS.values()) if t.startswith(("Assets:", "Liabilities:"))
)
_INVALID = re.compile(r"[^A-Za-z0-9-]+")


@functools.lru_cache(maxsize=4096)
def account_component(text: str) -> str:
    """A name every journal format accepts as one account component: `MAIN` → `Main`, `acc_1` → `Acc-1`."""
    clean = _INVALID.sub("-", text).strip("-") or "X"
    if clean.isupper():
        clean = clean.capitalize()
    return clean[0].upper() + clean[1:] if clean[0].isalpha() else clean


@functools.lru_cache(maxsize=4096)
def _account(template: str, source: str, account: str, sub_account: str, asset: str) -> str:
    """An account name; a ledger uses few, so each is made once, not once per posting."""
    try:
        return template.format(
            source=account_component(source),
            account=account_component(account),
            sub_account=account_component(sub_account),
            asset=account_component(asset),
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"account template {template!r}: {exc}; it may use {{source}}, {{account}}, {{sub_account}} and {{asset}}"
        ) from None


def _named(template: str) -> str:
    """`Assets:{source}:{sub_account}` → `Assets:{source}:{account}:{sub_account}`."""
    return template.replace("{source}:", "{source}:{account}:", 1)


def _with_default_kinds(value: dict[str, str]) -> dict[str, str]:
    """A user's `kinds` table overrides the defaults one kind at a time."""
    return {**_DEFAULT_KINDS, **value}


@attrs.frozen(kw_only=True)
class Chart:
    """Account templates; `{source}`, `{account}`, `{sub_account}` and `{asset}` are filled in per entry.

    The counterpart of an entry is chosen by its source category (bizType, eventType) if the user
    mapped it, else by its kind. `assets` moves one asset's holdings elsewhere (say, to cold storage).

    With cost basis on, `gains` takes the realized gains, `unrealized` a period-end revaluation to
    fair value (QuickBooks `--fair-value-at`), and `income`, when set, all income in kind at its
    fair value (else the kind's account: rewards, interest).

    `named_accounts` is set when the sync names an account (`--account alice`): the default templates
    of holdings and liabilities then put the account after the source (`Assets:KuCoin:alice:Main`),
    so the books of two accounts of one source stay apart when included together. An entry without
    a sub-account is held in an account named for the account already (`Assets:1Konto:ACC-1`).
    """

    holdings: str = "Assets:{source}:{sub_account}"
    fees: str = "Expenses:Fees:{source}"
    opening: str = "Equity:Opening-Balances"
    gains: str = "Income:Realized-Gains"
    unrealized: str = "Income:Unrealized-Gains"
    income: str | None = None
    named_accounts: bool = False
    kinds: dict[str, str] = attrs.field(factory=dict, converter=_with_default_kinds)
    categories: dict[str, str] = attrs.Factory(dict)
    assets: dict[str, str] = attrs.Factory(dict)

    def __attrs_post_init__(self) -> None:
        unknown = set(self.kinds) - set(_DEFAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown kinds {sorted(unknown)}; known: {sorted(_DEFAULT_KINDS)}")

    def _fill(self, template: str, entry: Entry, source_title: str) -> str:
        if self.named_accounts and entry.sub_account and template in _DEFAULT_PER_ACCOUNT:
            template = _named(template)
        return _account(template, source_title, entry.account, entry.sub_account or entry.account, entry.asset)

    def holding(self, entry: Entry, source_title: str) -> str:
        return self._fill(self.assets.get(entry.asset, self.holdings), entry, source_title)

    def fee(self, entry: Entry, source_title: str) -> str:
        return self._fill(self.fees, entry, source_title)

    def gain(self, entry: Entry, source_title: str) -> str:
        return self._fill(self.gains, entry, source_title)

    def revaluation(self, entry: Entry, source_title: str) -> str:
        return self._fill(self.unrealized, entry, source_title)

    def opening_balance(self, entry: Entry, source_title: str) -> str:
        return self._fill(self.opening, entry, source_title)

    def earned(self, entry: Entry, source_title: str) -> str:
        """Where income in kind goes: the `income` template when set, else the entry's counterpart."""
        return self._fill(self.income, entry, source_title) if self.income else self.counterpart(entry, source_title)

    def counterpart(self, entry: Entry, source_title: str) -> str:
        if entry.kind is Kind.ADJUSTMENT and OPENING_TAG in entry.tags:
            template = self.opening
        elif entry.category in self.categories:
            template = self.categories[entry.category]
        elif entry.kind is Kind.INTEREST and entry.amount < 0:
            template = self.kinds["interest_paid"]
        else:
            template = self.kinds[entry.kind.value]
        return self._fill(template, entry, source_title)
