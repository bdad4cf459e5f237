"""Client-side pacing so a migration stays under Cognito's request-rate quotas instead of hitting them.

Why pace at all when botocore retries ``TooManyRequestsException``? Because the quotas are per account
and Region and shared by every pool *and by the live application* in that account: a migration that
bursts into throttling also throttles real users' sign-ins, and retries with back-off make the run slow
and uneven. Pacing just below the quota keeps the run steady and leaves the quota's shape intact.

One ``RateLimiter`` per account+Region, shared by every worker thread and every client of that account
(quotas are summed over all pools there). Attach it to each cognito-idp client with
``AwsSettings.client("cognito-idp", rate_limiter=limiter)``.

::

    limiter = RateLimiter(Quotas.from_overrides({"UserCreation": 40}))
    idp = settings.client("cognito-idp", rate_limiter=limiter)   # every worker uses `limiter`
    idp.admin_create_user(...)                                    # waits for a UserCreation token
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_migrate.aws.quotas import QuotaCategory, Quotas, category_for

if TYPE_CHECKING:
    from cognito_migrate.config.models import TargetConfig

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class TokenBucket:
    """A thread-safe token bucket: at most ``burst + rate·T`` grants in any interval of length ``T``.

    Implemented as a reservation (GCRA, "virtual scheduling"): under the lock a caller computes the
    earliest time it may go and moves the schedule on by one emission interval, then sleeps *outside*
    the lock. Waiting threads therefore hold nothing, and each is served in the order it arrived.

    The guarantee is about grant times (what ``acquire`` returns). A thread woken late by the OS sends a
    little after its grant time; it never sends earlier.
    """

    def __init__(
        self, rate: float, burst: float = 1.0, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        if not rate > 0 or not burst >= 1:
            raise ValueError(f"TokenBucket needs rate > 0 and burst >= 1, got rate={rate}, burst={burst}")
        self.rate = float(rate)
        self.burst = float(burst)
        self._interval = 1.0 / self.rate
        # How far ahead of the schedule a caller may go: the burst minus the token it spends itself.
        self._tolerance = (self.burst - 1.0) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # Theoretical arrival time of the next request if everyone went exactly at ``rate``.
        self._next_at = float("-inf")

    def _reserve(self, now: float) -> float:
        grant = max(now, self._next_at - self._tolerance)
        self._next_at = max(self._next_at, grant) + self._interval
        return grant

    def acquire(self) -> float:
        """Wait for a token; return the time (on this bucket's clock) at which it was granted."""
        with self._lock:
            # Read the clock under the lock so reservations are ordered like the clock readings.
            now = self._clock()
            grant = self._reserve(now)
        if grant > now:
            self._sleep(grant - now)
        return grant

    def try_acquire(self) -> bool:
        """Take a token if one is available right now; never wait."""
        with self._lock:
            now = self._clock()
            if self._next_at - self._tolerance > now:
                return False
            self._reserve(now)
            return True


@dataclass(frozen=True)
class CategoryStats:
    """What pacing cost one category so far: HTTP attempts let through and seconds spent waiting."""

    calls: int
    waited_seconds: float


class RateLimiter:
    """Paces Cognito calls per quota category, shared by every thread and client of one account+Region.

    Each category gets a bucket at its quota. Operations in the pool-resource categories also get a
    bucket per (operation, pool) at ``per_pool_operation_rate``. Operations with no known category are
    not paced. ``stats()`` reports calls and waiting per category for progress output and benchmarks.
    """

    def __init__(
        self,
        quotas: Quotas | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.quotas = quotas if quotas is not None else Quotas.aws_default()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._category_buckets: dict[QuotaCategory, TokenBucket] = {}
        self._pool_buckets: dict[tuple[str, str], TokenBucket] = {}
        self._calls: dict[QuotaCategory, int] = {}
        self._waited: dict[QuotaCategory, float] = {}

    def _bucket(self, category: QuotaCategory) -> TokenBucket:
        with self._lock:
            bucket = self._category_buckets.get(category)
            if bucket is None:
                rate = self.quotas.rate_for(category)
                bucket = TokenBucket(rate, self.quotas.burst_for(rate), clock=self._clock, sleep=self._sleep)
                self._category_buckets[category] = bucket
            return bucket

    def _pool_bucket(self, operation: str, pool_id: str) -> TokenBucket:
        with self._lock:
            bucket = self._pool_buckets.get((operation, pool_id))
            if bucket is None:
                rate = self.quotas.per_pool_operation_rate
                bucket = TokenBucket(rate, self.quotas.burst_for(rate), clock=self._clock, sleep=self._sleep)
                self._pool_buckets[(operation, pool_id)] = bucket
            return bucket

    def acquire(self, operation: str, pool_id: str | None = None) -> None:
        """Block until ``operation`` (a botocore name such as ``"AdminCreateUser"``) may be sent.

        For per-pool categories the per-pool token is taken first, then the category token, so a
        caller waiting on one busy pool does not hold a category slot other pools could use.
        """
        category = category_for(operation)
        if category is None:
            return
        started = self._clock()
        if pool_id is not None and self.quotas.is_per_pool(category):
            self._pool_bucket(operation, pool_id).acquire()
        self._bucket(category).acquire()
        waited = max(0.0, self._clock() - started)
        with self._lock:
            self._calls[category] = self._calls.get(category, 0) + 1
            self._waited[category] = self._waited.get(category, 0.0) + waited

    def stats(self) -> dict[str, CategoryStats]:
        """Calls let through and seconds waited so far, keyed by category name (only categories used)."""
        with self._lock:
            return {
                category.value: CategoryStats(calls, self._waited.get(category, 0.0))
                for category, calls in sorted(self._calls.items())
            }

    def call_counts(self) -> dict[str, int]:
        """Calls let through so far per category name: what a run records in the journal."""
        return {name: stats.calls for name, stats in self.stats().items()}

    def attach(self, client: Any) -> None:
        """Pace every HTTP attempt ``client`` sends, retries included (a retry spends quota at AWS too).

        Registers on botocore's ``before-send`` event, which fires once per attempt, in the thread that
        made the call. The handler returns ``None``: any other value would replace the HTTP response.
        """
        client.meta.events.register("before-send.cognito-idp", self._before_send)

    def _before_send(self, request: Any = None, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        category = category_for(operation)
        if category is None:
            return None
        pool_id = _pool_id_of(request) if self.quotas.is_per_pool(category) else None
        self.acquire(operation, pool_id)
        return None


def _pool_id_of(request: Any) -> str | None:
    """``UserPoolId`` from a JSON request body, or ``None``. Never raises: botocore would turn an
    exception here into a failed (and retried) attempt."""
    try:
        body = request.body
        if isinstance(body, bytes | bytearray):
            body = body.decode("utf-8")
        if not isinstance(body, str) or not body:
            return None
        pool_id = json.loads(body).get("UserPoolId")
    except (AttributeError, ValueError, TypeError):
        return None
    return pool_id if isinstance(pool_id, str) else None


def rate_limiter_for_target(target: TargetConfig, flags: Mapping[str, float] | None = None) -> RateLimiter:
    """The limiter for a plan's target: AWS's default rates, then ``[target.quotas]``, then flags."""
    overrides: dict[str, float] = {**target.quotas, **(flags or {})}
    return RateLimiter(Quotas.from_overrides(overrides, burst_seconds=target.burst_seconds))
