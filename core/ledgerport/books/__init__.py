"""The books: double-entry transactions from canonical entries, the chart of accounts, and prices.

Nothing here knows a file format; `ledgerport.sdk` builds the sinks on top of it.
"""

from .balances import BalanceTracker
from .builder import JournalBuilder
from .chart import Chart, account_component
from .prices import PriceBook, Rate
from .transactions import Posting, Transaction

__all__ = [
    "BalanceTracker",
    "Chart",
    "JournalBuilder",
    "Posting",
    "PriceBook",
    "Rate",
    "Transaction",
    "account_component",
]
