"""The `kucoin` connector: what the engine asks of KuCoin as a whole, its streams aside.

It signs with `auth.KucoinAuth`, cuts ranges with `paging.plan`, asks KuCoin once per sync which
ledgers the account has (`discovery`), reports the balances to reconcile with (`balances`), and
starts where KuCoin's history does. Its sandbox is imported for `ledgerport demo` only, so a sync
never loads the server code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ledgerport import Connector, DemoSource, Holding, Session, Window

from . import balances, paging
from .auth import KucoinAuth
from .discovery import Found, discover
from .hosts import SPOT_URL
from .settings import Settings
from .streams.base import KucoinStream

__all__ = ["KucoinConnector"]


class KucoinConnector(Connector[Settings]):
    """KuCoin's account ledgers, signed with an API key: classic, HF spot, HF margin, futures, or unified."""

    name = "kucoin"
    description = "KuCoin account ledgers (classic, HF spot, HF margin, futures, Unified Trading Account)."
    title = "KuCoin"
    default_base_url = SPOT_URL

    _found: Found | None = None

    def auth(self) -> KucoinAuth:
        return KucoinAuth(self.settings, self.context.base_url)

    def plan_windows(self, since: datetime, until: datetime) -> list[Window]:
        return paging.plan(since, until)

    def _discover(self, session: Session) -> Found:
        if self._found is None:
            self._found = discover(self.settings, self.context.account, self.context.base_url, session)
        return self._found

    def streams(self, session: Session) -> Sequence[KucoinStream]:
        return self._discover(session).streams

    def balances(self, session: Session) -> list[Holding] | None:
        return balances.balances(self.settings, self.context.base_url, self._discover(session), session)

    def history_start(self, session: Session) -> datetime:
        """KuCoin has no call for an account's first entry; it serves about a year, so start there."""
        return paging.history_start()

    @classmethod
    def demo(cls, stack: contextlib.ExitStack[bool | None], workdir: Path) -> DemoSource:
        from .sandbox.demo import start_demo

        return start_demo(stack, workdir)
