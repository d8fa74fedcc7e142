from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from ledgerport import Entry, Kind, Secret

BASE = {
    "source": "s",
    "account": "a",
    "entry_id": "1",
    "timestamp": datetime(2024, 1, 1, tzinfo=UTC),
    "asset": "BTC",
    "amount": Decimal("1.5"),
}


def test_entry_is_frozen_and_converts_kind() -> None:
    entry = Entry(**{**BASE, "kind": "deposit"})
    assert entry.kind is Kind.DEPOSIT
    assert entry.key == ("s", "a", "1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.amount = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timestamp", datetime(2024, 1, 1)),
        ("timestamp", datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))),
        ("amount", 1.5),
        ("amount", Decimal("NaN")),
        ("fee", "0.1"),
        ("balance", 3.0),
        ("kind", "lottery"),
    ],
)
def test_entry_refuses_inexact_or_ambiguous_values(field: str, value: object) -> None:
    with pytest.raises(ValueError):
        Entry(**{**BASE, field: value})


def test_raw_record_is_not_part_of_equality_or_repr() -> None:
    a = Entry(**BASE, raw={"x": 1})
    b = Entry(**BASE, raw={"x": 2})
    assert a == b
    assert "raw" not in repr(a)


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2")

    @attrs.frozen
    class Settings:
        key: Secret

    texts = [str(secret), repr(secret), f"{secret}", f"{secret!r:>20}", repr(Settings(secret)), str([secret])]
    assert all("hunter2" not in text for text in texts)
    assert secret.reveal() == "hunter2"
    assert secret == Secret("hunter2") and secret != Secret("other")
