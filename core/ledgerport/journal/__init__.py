"""Double-entry books from canonical entries: transactions, the chart of accounts, and the builder."""

from .balances import BalanceTracker
from .builder import JournalBuilder
from .chart import Chart, account_component
from .model import Posting, Transaction
from .textsink import JournalTextSink

__all__ = ["BalanceTracker", "Chart", "JournalBuilder", "JournalTextSink", "Posting", "Transaction", "account_component"]
