"""The floor: the least any client can do to fetch the KuCoin sandbox's ledger.

`python bench/_floor.py URL SINCE DAYS` signs each request (the key version of
`KUCOIN_API_KEY_VERSION`, 2 or 3: both sign the passphrase, as the sandbox checks it), sends them
one after the other over one kept-alive `httpx.Client`, one 24 h window a day
(`startAt`..`endAt`, both inclusive in the sandbox) and 500-row pages from `currentPage` 1 to
`totalPage`, decodes each page with `json.loads` and collects the ids; nothing is mapped or written.
A 429 waits `gw-ratelimit-reset` ms and asks again (only the rate-limited backfill meets one). It prints
`{"entries": ..., "requests": ..., "rate_limited": ...}`. It imports httpx and the standard library only: the signing
is KuCoin's documented recipe, inline, so the floor carries no start-up cost of ledgerport's own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from datetime import UTC, datetime

import httpx

DAY_MS = 86_400_000
PATH = "/api/v1/accounts/ledgers"


def _sign(secret: bytes, message: str) -> str:
    return base64.b64encode(hmac.new(secret, message.encode(), hashlib.sha256).digest()).decode()


def main() -> None:
    url, since, days = sys.argv[1], datetime.fromisoformat(sys.argv[2]).replace(tzinfo=UTC), int(sys.argv[3])
    secret = os.environ["KUCOIN_API_SECRET"].encode()
    fixed = {
        "KC-API-KEY": os.environ["KUCOIN_API_KEY"],
        "KC-API-PASSPHRASE": _sign(secret, os.environ["KUCOIN_API_PASSPHRASE"]),
        "KC-API-KEY-VERSION": os.environ["KUCOIN_API_KEY_VERSION"],
    }
    ids: list[str] = []
    requests = rate_limited = 0
    start_ms = int(since.timestamp() * 1000)
    with httpx.Client(base_url=url) as client:
        for day in range(days):
            lo = start_ms + day * DAY_MS
            page, pages = 1, 1
            while page <= pages:
                target = f"{PATH}?startAt={lo}&endAt={lo + DAY_MS - 1}&currentPage={page}&pageSize=500"
                timestamp = str(int(time.time() * 1000))
                signature = _sign(secret, f"{timestamp}GET{target}")
                headers = {**fixed, "KC-API-TIMESTAMP": timestamp, "KC-API-SIGN": signature}
                response = client.get(target, headers=headers)
                requests += 1
                if response.status_code == 429:
                    rate_limited += 1
                    time.sleep(int(response.headers["gw-ratelimit-reset"]) / 1000)
                    continue
                response.raise_for_status()
                data = json.loads(response.content)["data"]
                ids += [item["id"] for item in data["items"]]
                pages = data["totalPage"]
                page += 1
    if len(set(ids)) != len(ids):
        raise SystemExit(f"the floor fetched {len(ids) - len(set(ids))} entries twice")
    print(json.dumps({"entries": len(ids), "requests": requests, "rate_limited": rate_limited}))


if __name__ == "__main__":
    main()
