"""The test exchange's sample ledger and the values the tests share."""

from __future__ import annotations

from datetime import UTC, datetime

from ledgerport import RetryPolicy, to_ms

TOKEN = "tok-3f9a-very-secret"


def ms(text: str) -> int:
    return to_ms(datetime.fromisoformat(text).replace(tzinfo=UTC))


def record(rid: str, when: str, amount: str, asset: str = "BTC", **extra: str) -> dict[str, object]:
    return {"id": rid, "ts": ms(when), "asset": asset, "amount": amount, **extra}


# Three days and their edges: before the range, on each midnight (returned by both neighbouring
# daily windows, whose bounds are inclusive), a quiet day, and on `until` itself (excluded).
RECORDS = [
    record("r0", "2023-12-31T23:59:59.999", "5"),
    record("r1", "2024-01-01T00:00:00", "1.5", kind="deposit", note="first, on since"),
    record("r2", "2024-01-01T08:00:00", "-0.00000001", fee="0.00000001", kind="fee"),
    record("r3", "2024-01-01T08:00:00", "250.000000000000000001", asset="1INCH", kind="reward"),
    record("r4", "2024-01-01T12:30:00.250", "-0.5", kind="withdrawal", note='says "hi", twice'),
    record("r5", "2024-01-02T00:00:00", "2", kind="trade"),
    record("r6", "2024-01-03T23:59:59.999", "0.1", kind="interest"),
    record("r7", "2024-01-04T00:00:00", "9", note="on until: excluded"),
]
SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 1, 4, tzinfo=UTC)
FAST_RETRY = RetryPolicy(base_delay=0.001, max_delay=0.01)
