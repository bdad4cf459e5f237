"""Cognito's request-rate quotas, enforced by the local Cognito (guard order 20).

With ``LocalCognito(quotas=Quotas.aws_default())`` or ``local serve --quotas aws-default`` every
cognito-idp call spends a token from its category's bucket (and, for the pool-resource categories, from
a bucket per operation and pool); a call that finds none is answered ``TooManyRequestsException`` "Rate
exceeded", as Cognito does. A rehearsal then takes as long as production would, and shows whether the
client paces itself and retries.

The buckets are the project's own ``TokenBucket`` over ``Quotas`` (the same table the client-side
``RateLimiter`` paces by), taken with ``try_acquire()`` so the server never waits.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cognito_migrate.aws.quotas import QuotaCategory, Quotas, category_for
from cognito_migrate.aws.ratelimit import TokenBucket
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply

if TYPE_CHECKING:
    from cognito_migrate.local.app import Forward, LocalCognitoApp

ORDER = 20

# UNVERIFIED: how much bursting AWS allows above a category's rate. The server's buckets hold the
# client-side burst (``Quotas.burst_for``) plus this many tokens, so a client that paces itself at
# exactly the quota is never throttled because network jitter brought two requests closer together.
SERVER_BURST_SLACK_TOKENS = 1.0


def rate_exceeded() -> CognitoError:
    return CognitoError("TooManyRequestsException", "Rate exceeded")


@dataclass
class QuotaGuard:
    """Per-category (and per-pool-operation) token buckets in front of moto."""

    quotas: Quotas
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _categories: dict[tuple[str, str, QuotaCategory], TokenBucket] = field(
        default_factory=dict, init=False, repr=False
    )
    _per_pool: dict[tuple[str, str, str, str], TokenBucket] = field(
        default_factory=dict, init=False, repr=False
    )
    _throttled: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def _bucket(self, rate: float) -> TokenBucket:
        return TokenBucket(rate, self.quotas.burst_for(rate) + SERVER_BURST_SLACK_TOKENS)

    def _category_bucket(self, call: ApiCall, category: QuotaCategory) -> TokenBucket:
        key = (call.account, call.region, category)  # quotas are per account and Region [D2]
        with self._lock:
            bucket = self._categories.get(key)
            if bucket is None:
                bucket = self._categories[key] = self._bucket(self.quotas.rate_for(category))
            return bucket

    def _pool_bucket(self, call: ApiCall, pool_id: str) -> TokenBucket:
        key = (call.account, call.region, call.action, pool_id)
        with self._lock:
            bucket = self._per_pool.get(key)
            if bucket is None:
                bucket = self._per_pool[key] = self._bucket(self.quotas.per_pool_operation_rate)
            return bucket

    def allow(self, call: ApiCall) -> bool:
        """Take the call's tokens if they are there now; ``False`` means Cognito would throttle it."""
        category = category_for(call.action)
        if category is None:
            return True
        pool_id = call.params.get("UserPoolId")
        per_pool = self.quotas.is_per_pool(category) and isinstance(pool_id, str)
        if per_pool and not self._pool_bucket(call, str(pool_id)).try_acquire():
            return self._count(category)
        if not self._category_bucket(call, category).try_acquire():
            return self._count(category)
        return True

    def _count(self, category: QuotaCategory) -> bool:
        with self._lock:
            self._throttled[category.value] = self._throttled.get(category.value, 0) + 1
        return False

    def throttled(self) -> dict[str, int]:
        """How many calls were refused so far, by category name (for tests and ``--verbose``)."""
        with self._lock:
            return dict(self._throttled)

    def __call__(self, call: ApiCall, forward: Forward) -> Reply:
        if not self.allow(call):
            raise rate_exceeded()
        return forward(call)


def install(app: LocalCognitoApp, quotas: Quotas) -> QuotaGuard:
    """Enforce ``quotas`` on every cognito-idp call that reaches ``app`` over HTTP."""
    guard = QuotaGuard(quotas)
    app.guard(guard, order=ORDER)
    return guard
