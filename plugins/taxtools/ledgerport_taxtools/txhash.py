"""The blockchain transaction hash of an entry, from the source's raw record, where it has one.

Tax tools match a withdrawal from one wallet to the deposit into another by this hash. KuCoin puts it
in `context.txId`, a JSON string; a top-level field of a few common names is read too.

KuCoin writes its wallet transaction id as the chain's hash followed by `@`-separated parts of its own
(its documented deposit list shows `2C24A6D5...D83B@e8902757998fc352e6c9d8890d18a71c`; live ledger
contexts show `<hash>@<address>@<chain>`, issue 15), which no chain knows: for KuCoin's entries only the part before the
first `@` is the hash. Other sources' hashes are kept as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["tx_hash"]

_KEYS = ("txId", "txHash", "tx_hash", "transactionHash")

_SUFFIXED_SOURCES = frozenset({"kucoin"})
"""Sources whose transaction ids carry `@...` after the chain's hash."""


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


def tx_hash(raw: Mapping[str, Any] | None, source: str = "") -> str:
    """The hash in `raw`, or "" when it has none; `source` is the entry's source (`kucoin` drops the
    `@...` suffix KuCoin adds)."""
    if not raw:
        return ""
    for place in (raw, _context(raw.get("context"))):
        for key in _KEYS:
            value = place.get(key)
            if isinstance(value, str) and value.strip():
                return _bare(value.strip(), source)
    return ""


def _bare(value: str, source: str) -> str:
    if source not in _SUFFIXED_SOURCES:
        return value
    return value.split("@", 1)[0].strip()
