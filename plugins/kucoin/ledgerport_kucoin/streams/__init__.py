"""The ledgers a KuCoin account is read from, one `Stream` each, and which of them an account has.

A stream wires what its endpoint needs: requests and paging here, answers from `answers`, entries
from `mapping` (classic) or `records` (the others). `discovery.discover` asks KuCoin, once per sync,
which ledgers apply.
"""

from __future__ import annotations

from .classic import ClassicLedger
from .cursor import HfMarginLedger, HfSpotLedger
from .futures import FuturesLedger
from .unified import UnifiedLedger

__all__ = ["ClassicLedger", "FuturesLedger", "HfMarginLedger", "HfSpotLedger", "UnifiedLedger"]
