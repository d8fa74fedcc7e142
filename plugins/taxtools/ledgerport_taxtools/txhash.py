"""The blockchain transaction hash of an entry, from the source's raw record, where it has one.

Tax tools match a withdrawal from one wallet to the deposit into another by this hash. KuCoin puts it
in `context.txId`, a JSON string; a top-level field of a few common names is read too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["tx_hash"]

_KEYS = ("txId", "txHash", "tx_hash", "transactionHash")


def _context(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or not value.startswith("{"):
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def tx_hash(raw: Mapping[str, Any] | None) -> str:
    if not raw:
        return ""
    for place in (raw, _context(raw.get("context"))):
        for key in _KEYS:
            value = place.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""
