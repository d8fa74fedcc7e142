"""The canonical ledger model every connector maps into and every sink reads."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["Entry", "Kind"]


class Kind(enum.StrEnum):
    """What moved the balance. Deliberately small: sinks map kinds to accounts, so each must mean one thing."""

    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRADE = "trade"
    TRANSFER = "transfer"
    FEE = "fee"
    REWARD = "reward"
    INTEREST = "interest"
    LOAN = "loan"
    REPAYMENT = "repayment"
    ADJUSTMENT = "adjustment"
    OTHER = "other"


_ZERO = timedelta(0)


def _utc(instance: Entry, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.__class__ is datetime and value.tzinfo is UTC:
        return
    if not isinstance(value, datetime) or value.utcoffset() != _ZERO:
        raise ValueError(f"{attribute.name} must be an aware datetime in UTC, got {value!r}")


def _finite_decimal(instance: Entry, attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
    if value.__class__ is Decimal and value.is_finite():  # type: ignore[union-attr,unused-ignore]
        return
    if value is None and attribute.name == "balance":
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{attribute.name} must be a finite Decimal, got {value!r}")


def _kind(value: Kind | str) -> Kind:
    return value if value.__class__ is Kind else Kind(value)


@attrs.frozen(kw_only=True)
class Entry:
    """One change to one holding, exactly as the source reported it.

    `amount` is the signed change of the holding's balance (+ in, − out) *including* any fee;
    `fee` is the part of that change that was a fee, as a positive number, for the books to split
    out. So the amounts of a source's entries always sum to its balance change. `category` is the
    source's own classification (KuCoin's bizType, 1Konto's eventType), which users may map to
    accounts of their own.

    `counter_sub_account` names the owner's own sub-account on the other side of a transfer when
    the source keeps no ledger of it (KuCoin's Earn, Staking, Lending): the books move the coins
    there, with their lots, instead of out of the owner's hands.
    """

    source: str
    account: str
    entry_id: str
    timestamp: datetime = attrs.field(validator=_utc)
    asset: str
    amount: Decimal = attrs.field(validator=_finite_decimal)
    fee: Decimal = attrs.field(default=Decimal(0), validator=_finite_decimal)
    balance: Decimal | None = attrs.field(default=None, validator=_finite_decimal)
    kind: Kind = attrs.field(default=Kind.OTHER, converter=_kind)
    category: str = ""
    sub_account: str = ""
    counter_sub_account: str = attrs.field(default="")
    group_id: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    raw: Mapping[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    @counter_sub_account.validator
    def _own_transfer(self, attribute: attrs.Attribute[str], value: str) -> None:
        if value and (self.kind is not Kind.TRANSFER or value == self.sub_account):
            raise ValueError(f"{attribute.name} is the other side of a transfer, in another sub-account: {value!r}")

    @property
    def key(self) -> tuple[str, str, str]:
        """The identity the engine de-duplicates on."""
        return (self.source, self.account, self.entry_id)
