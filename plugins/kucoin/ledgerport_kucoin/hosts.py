"""Where each of KuCoin's APIs is served: spot and account endpoints on one host, futures on another.

`--base-url` (the sync's base URL), when it is not the default, points every KuCoin host at that one
address, so one sandbox or proxy serves them all.
"""

from __future__ import annotations

__all__ = ["FUTURES_URL", "SPOT_URL", "futures_url"]

SPOT_URL = "https://api.kucoin.com"
FUTURES_URL = "https://api-futures.kucoin.com"


def futures_url(base_url: str, path: str) -> str:
    """The absolute URL of a futures endpoint: on the futures host, or on the one host a user pointed us at."""
    host = FUTURES_URL if base_url.rstrip("/") == SPOT_URL else base_url.rstrip("/")
    return host + path
