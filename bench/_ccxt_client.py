"""The peer: ccxt's `kucoin.fetch_ledger` with its own pagination, pointed at the KuCoin sandbox.

`python bench/_ccxt_client.py URL SINCE DAYS CALLS` calls, once, `fetch_ledger(code=None, since=SINCE,
limit=None, params={"paginate": True, "paginationCalls": CALLS, "until": SINCE + DAYS})` with every entry
of `exchange.urls["api"]` set to URL and the sandbox's credentials. ccxt's defaults are kept (its
client-side rate limiter included), except what would ask the sandbox for endpoints it does not have:
`options["uta"] = False` answers the unified-account probe (GET /api/ua/v1/account/mode) and an empty
`markets` skips load_markets (GET /api/v2/symbols, currencies, ...); ledger entries need neither.
`until` is ccxt's documented parameter; without it ccxt asks for the last 24 h before now.
Prints `{"delivered": ..., "entries": ..., "seconds": ...}`: items returned, distinct ids of
[SINCE, SINCE + DAYS) among them, and the seconds fetch_ledger took (the import of ccxt excluded).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime

import ccxt

DAY_MS = 86_400_000


def main() -> None:
    url, since, days, calls = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    since_ms = int(since.replace(tzinfo=UTC).timestamp() * 1000)
    until_ms = since_ms + days * DAY_MS
    exchange = ccxt.kucoin(
        {
            "apiKey": os.environ["KUCOIN_API_KEY"],
            "secret": os.environ["KUCOIN_API_SECRET"],
            "password": os.environ["KUCOIN_API_PASSPHRASE"],
        }
    )
    for name in exchange.urls["api"]:
        exchange.urls["api"][name] = url
    exchange.options["uta"] = False
    exchange.markets = {}
    started = time.perf_counter()
    params = {"paginate": True, "paginationCalls": calls, "until": until_ms}
    ledger = exchange.fetch_ledger(None, since_ms, None, params)
    seconds = time.perf_counter() - started
    ids = {entry["id"] for entry in ledger if since_ms <= entry["timestamp"] < until_ms}
    print(json.dumps({"delivered": len(ledger), "entries": len(ids), "seconds": seconds}))


if __name__ == "__main__":
    main()
