"""One retry policy for every connector: bounded attempts, exponential backoff with jitter, capped waits."""

from __future__ import annotations

import random

import attrs

__all__ = ["RetryPolicy"]


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How long to wait before trying a failed request again, and when to give up.

    Transient failures (5xx, timeouts) are retried `attempts - 1` times with backoff; rate-limit
    answers are waited out as the source asks (capped at `max_wait`) up to `rate_limit_waits` times
    in a row, since waiting is the right answer to them, not giving up.
    """

    attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_wait: float = 60.0
    rate_limit_waits: int = 30
    jitter: float = 0.5

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """Delay after the `failures`-th failure in a row: doubles each time, capped, with jitter."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        return delay * (1 - self.jitter * (rng or random).random())

    def wait(self, retry_after: float | None, failures: int) -> float:
        """What the source asked for, within `max_wait`; backoff when it did not say."""
        if retry_after is None:
            return self.backoff(failures)
        return min(max(retry_after, 0.0), self.max_wait)
