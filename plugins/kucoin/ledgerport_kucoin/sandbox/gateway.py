"""What KuCoin's gateway does before a request reaches the ledger: faults of the network in front of it,
the weight budget, and the KC-API-* signature checks."""

from __future__ import annotations

import hmac
import math
import random
import threading
import time
from collections.abc import Callable, Mapping

import attrs

from ..auth import sign, signed_passphrase

__all__ = ["Credentials", "FaultDraw", "Faults", "RateLimit", "WeightBudget"]

TOLERANCE_MS = 5000
HEADERS = ("kc-api-key", "kc-api-sign", "kc-api-timestamp", "kc-api-passphrase")


@attrs.frozen(kw_only=True)
class Credentials:
    """The one API key the sandbox accepts. Made up: they open nothing but the sandbox."""

    key: str = "sandbox-key"
    secret: str = "sandbox-secret"
    passphrase: str = "sandbox-passphrase"
    version: int = 3

    def env(self) -> dict[str, str]:
        """The environment a `ledgerport sync kucoin` needs to talk to this sandbox."""
        return {
            "KUCOIN_API_KEY": self.key,
            "KUCOIN_API_SECRET": self.secret,
            "KUCOIN_API_PASSPHRASE": self.passphrase,
            "KUCOIN_API_KEY_VERSION": str(self.version),
        }

    def check(self, method: str, target: str, body: bytes, headers: Mapping[str, str], now_ms: int) -> str | None:
        """The KuCoin error code that refuses this request, or None when it is properly signed.

        The signature is checked before the passphrase: a wrong secret spoils both, and 400005 says so.
        """
        if any(not headers.get(name) for name in HEADERS):
            return "400001"
        if headers["kc-api-key"] != self.key:
            return "400003"
        timestamp = headers["kc-api-timestamp"]
        if not timestamp.isdigit() or abs(int(timestamp) - now_ms) > TOLERANCE_MS:
            return "400002"
        signature = sign(self.secret, f"{timestamp}{method}{target}{body.decode(errors='replace')}")
        if not hmac.compare_digest(headers["kc-api-sign"], signature):
            return "400005"
        version_header = headers.get("kc-api-key-version", "1")
        version = int(version_header) if version_header.isdigit() else 0
        expected = signed_passphrase(self.secret, self.passphrase, version)
        if version != self.version or not hmac.compare_digest(headers["kc-api-passphrase"], expected):
            return "400004"
        return None


@attrs.frozen(kw_only=True)
class RateLimit:
    """`limit` weight per `period` seconds (KuCoin VIP0: about 2000 per 30 s)."""

    limit: int = 2000
    period: float = 30.0


class WeightBudget:
    """Fixed periods, as KuCoin counts: the budget refills whole `period` seconds after it started."""

    def __init__(self, rate: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._left = rate.limit
        self._refill_at = 0.0
        self._lock = threading.Lock()

    def take(self, weight: int) -> tuple[bool, tuple[tuple[str, str], ...]]:
        """Charges `weight` if it is left; returns whether it was and the gw-ratelimit-* headers."""
        with self._lock:
            now = self._clock()
            if now >= self._refill_at:
                self._left, self._refill_at = self.rate.limit, now + self.rate.period
            granted = self._left >= weight
            if granted:
                self._left -= weight
            reset_ms = math.ceil((self._refill_at - now) * 1000)
            headers = (
                ("gw-ratelimit-limit", str(self.rate.limit)),
                ("gw-ratelimit-remaining", str(self._left)),
                ("gw-ratelimit-reset", str(reset_ms)),
            )
            return granted, headers


@attrs.frozen(kw_only=True)
class Faults:
    """Injected trouble, drawn from a seeded generator so a run is repeatable.

    `bad_gateway`: fraction of ledger requests answered by a proxy's 502 HTML page; `delay`: fraction
    answered `delay_seconds` late; `malformed`: fraction of records served with a broken field.
    """

    bad_gateway: float = 0.0
    delay: float = 0.0
    delay_seconds: float = 0.05
    malformed: float = 0.0
    seed: int = 0


class FaultDraw:
    """Decides, request by request, which fault (if any) happens."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(f"kucoin-sandbox-faults:{faults.seed}")
        self._lock = threading.Lock()

    def next(self) -> tuple[bool, float]:
        """Whether to answer with a 502 page, and how many seconds late to answer."""
        faults = self.faults
        if not (faults.bad_gateway or faults.delay):
            return False, 0.0
        with self._lock:
            bad_gateway, late = self._rng.random() < faults.bad_gateway, self._rng.random() < faults.delay
        return bad_gateway, faults.delay_seconds if late else 0.0
