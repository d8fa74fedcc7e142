"""The books: double-entry transactions from canonical entries, the chart of accounts, and prices.

Nothing here knows a file format; `ledgerport.sdk` builds the sinks on top of it.
"""

from .balances import BalanceTracker
from .builder import JournalBuilder
from .chart import Chart, account_component
from .costing import CostBooks
from .lots import (
    Acquisition,
    BackfillError,
    Booking,
    Disposal,
    Expense,
    Lot,
    LotBook,
    LotChange,
    LotError,
    LotEvent,
    LotSettings,
    LotUse,
    Move,
    OpenLot,
    default_holding,
)
from .opening import OpeningLot, read_opening_lots
from .prices import PriceBook, Rate
from .transactions import Posting, Transaction

__all__ = [
    "Acquisition",
    "BackfillError",
    "BalanceTracker",
    "Booking",
    "Chart",
    "CostBooks",
    "Disposal",
    "Expense",
    "JournalBuilder",
    "Lot",
    "LotBook",
    "LotChange",
    "LotError",
    "LotEvent",
    "LotSettings",
    "LotUse",
    "Move",
    "OpenLot",
    "OpeningLot",
    "Posting",
    "PriceBook",
    "Rate",
    "Transaction",
    "account_component",
    "default_holding",
    "read_opening_lots",
]
