"""The `kucoin` connector: what the engine asks of KuCoin as a whole, its streams aside.

It signs with `auth.KucoinAuth`, cuts ranges with `paging.plan`, reads the streams of `streams`,
and starts where KuCoin's history does. Its sandbox is imported for `ledgerport demo` only, so a
sync never loads the server code.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

from ledgerport import Connector, DemoSource, Session, Window

from . import paging
from .auth import KucoinAuth
from .settings import Settings
from .streams import ClassicLedger

__all__ = ["KucoinConnector"]


class KucoinConnector(Connector[Settings]):
    """KuCoin's account ledgers, signed with an API key; one stream, the classic Spot/Margin ledger."""

    name = "kucoin"
    description = "KuCoin account ledgers (Spot/Margin)."
    title = "KuCoin"
    default_base_url = "https://api.kucoin.com"

    def auth(self) -> KucoinAuth:
        return KucoinAuth(self.settings, self.context.base_url)

    def plan_windows(self, since: datetime, until: datetime) -> list[Window]:
        return paging.plan(since, until)

    def streams(self, session: Session) -> list[ClassicLedger]:
        """Every account has the classic ledger, so there is nothing to ask KuCoin first."""
        return [ClassicLedger(self.settings, self.context.account)]

    def history_start(self, session: Session) -> datetime:
        """KuCoin has no call for an account's first entry; it serves about a year, so start there."""
        return paging.history_start()

    @classmethod
    def demo(cls, stack: contextlib.ExitStack[bool | None], workdir: Path) -> DemoSource:
        from .sandbox.demo import start_demo

        return start_demo(stack, workdir)
