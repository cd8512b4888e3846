"""Retries with backoff and jitter, a token-bucket rate limiter and a circuit breaker.

Clocks and sleeps are injectable so that tests run fast and deterministically.
"""

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from activation.errors import RateLimitedError, RetryableError

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # sends of one batch that fail with a retryable error (429s not counted)
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_rate_limit_waits: int = 20  # 429s tolerated for one batch before it counts as failed
    max_retry_after_s: float = 120.0

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with full jitter: uniform in [0, min(max, base * 2**attempt)]."""
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * (2**attempt)))


class RateLimiter:
    """Token bucket: at most `rate_per_s` requests per second on average, `burst` at once. Thread-safe;
    one instance per destination account, shared by every sync that sends there."""

    def __init__(self, rate_per_s: float, burst: int = 1, clock: Clock = time.monotonic, sleep: Sleep = time.sleep):
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if self.rate_per_s <= 0:
            return
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate_per_s
            self._sleep(wait)


class CircuitBreaker:
    """Opens after `threshold` consecutive failed batches on one account; while open, syncs to that account
    stop at once (the run ends "incomplete") instead of waiting on a destination that is down."""

    def __init__(self, threshold: int = 2, cooldown_s: float = 60.0, clock: Clock = time.monotonic):
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        if self._opened_at is None:
            return False
        if self._clock() - self._opened_at >= self.cooldown_s:
            self._opened_at = None  # half-open: the next batch is a trial
            self._failures = self.threshold - 1
            return False
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self.threshold:
            self._opened_at = self._clock()


def call_with_retries(
    send: Callable[[], object],
    policy: RetryPolicy,
    limiter: RateLimiter | None,
    sleep: Sleep,
    rng: random.Random,
):
    """Call `send` until it succeeds. Retryable errors back off and spend an attempt; 429s wait for
    Retry-After (or the backoff) without spending one. Permanent errors and exhausted attempts raise."""
    attempt, rate_waits = 0, 0
    while True:
        if limiter is not None:
            limiter.acquire()
        try:
            return send()
        except RateLimitedError as exc:
            rate_waits += 1
            if rate_waits > policy.max_rate_limit_waits:
                raise
            wait = exc.retry_after_s if exc.retry_after_s is not None else policy.backoff_s(rate_waits, rng)
            sleep(min(wait, policy.max_retry_after_s))
        except RetryableError:
            attempt += 1
            if attempt >= policy.max_attempts:
                raise
            sleep(policy.backoff_s(attempt, rng))
