"""What applying a plan will cost: API calls per quota category, time at the account's quotas, import
jobs and files, and the effect on monthly active users (MAU, what Cognito bills).

Durations are lower bounds: each category's calls divided by its rate, added up because apply runs its
phases one after another. Cognito's own time to process an import job is not included (it is not
documented; a job of a few users takes minutes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cognito_migrate.aws.quotas import QuotaCategory, Quotas, category_for

# Cognito's import-job limits: one job per file; files split at 500,000 users (cognito-facts §1).
_K = TypeVar("_K")

POLL_CALLS_PER_JOB = 60  # UNVERIFIED: a job polled every 5 s for its first 5 minutes


@dataclass
class PlanCounts:
    """What the planner counted while deciding, the input of the estimate."""

    # Migrated users per (strategy, password handling, algorithm): one counter on the per-user hot path;
    # the views below add it up. Strategy "csv-import" | "admin" | "jit"; password "hash" |
    # "reset-required" | …; algorithm "" when there is none.
    migrations: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)  # migrate / reject / skip
    reasons: Counter[str] = field(default_factory=Counter)  # rule id → users
    memberships: int = 0  # (user, group) pairs to add through the admin API
    disabled: int = 0  # users to disable after creation
    updates: int = 0  # users already in the pool whose attributes are updated
    groups: set[str] = field(default_factory=set)  # every group a migrated user belongs to

    @property
    def by_strategy(self) -> Counter[str]:
        return self._total(lambda key: key[0])

    @property
    def by_password(self) -> Counter[str]:
        return self._total(lambda key: key[1])

    @property
    def by_strategy_password(self) -> Counter[tuple[str, str]]:
        """ "reset-required" happens under csv-import and, when forced, under admin."""
        return self._total(lambda key: (key[0], key[1]))

    @property
    def by_algorithm(self) -> Counter[str]:
        return Counter({k: v for k, v in self._total(lambda key: key[2]).items() if k})

    def _total(self, part: Callable[[tuple[str, str, str]], _K]) -> Counter[_K]:
        totals: Counter[_K] = Counter()
        for key, users in self.migrations.items():
            totals[part(key)] += users
        return totals


@dataclass(frozen=True)
class Estimate:
    calls: dict[str, int]
    seconds: dict[str, float]
    minimum_seconds: float
    import_jobs: int
    import_files: int
    mau: int
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "seconds": {key: round(value, 1) for key, value in self.seconds.items()},
            "minimum_seconds": round(self.minimum_seconds, 1),
            "import_jobs": self.import_jobs,
            "import_files": self.import_files,
            "mau": self.mau,
            "notes": list(self.notes),
        }


def estimate(
    counts: PlanCounts, *, quotas: Quotas, existing_groups: Iterable[str], import_files: int
) -> Estimate:
    calls: Counter[str] = Counter()
    if import_files:
        calls["GetCSVHeader"] += 1
        calls["CreateUserImportJob"] += import_files
        calls["StartUserImportJob"] += import_files
        calls["DescribeUserImportJob"] += import_files * POLL_CALLS_PER_JOB
    admin = counts.by_strategy["admin"] - counts.updates
    calls["AdminCreateUser"] += admin
    calls["AdminSetUserPassword"] += counts.by_password["permanent"]
    calls["AdminUpdateUserAttributes"] += counts.updates
    calls["CreateGroup"] += len(counts.groups - set(existing_groups))
    calls["AdminAddUserToGroup"] += counts.memberships
    calls["AdminDisableUser"] += counts.disabled

    by_category: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    for operation, n in calls.items():
        if n <= 0:
            continue
        category = category_for(operation)
        if category is None:  # pragma: no cover - every operation above has a category
            continue
        by_category[str(category)] += n
    for name, n in by_category.items():
        category = QuotaCategory(name)
        rate = quotas.rate_for(category)
        if quotas.is_per_pool(category):
            rate = min(rate, quotas.per_pool_operation_rate)  # one pool: its own per-operation limit
        seconds[name] = n / rate
    notes = []
    if import_files:
        notes.append("plus Cognito's own processing time for each import job (one job runs at a time)")
    jit = counts.by_strategy["jit"]
    if jit:
        who = "1 user moves" if jit == 1 else f"{jit:,} users move"
        notes.append(
            f"{who} at their first sign-in through the migrate-user trigger; the sweep imports whoever "
            "never signs in"
        )
    return Estimate(
        calls={op: n for op, n in sorted(calls.items()) if n > 0},
        seconds=dict(sorted(seconds.items())),
        minimum_seconds=sum(seconds.values()),
        import_jobs=import_files,
        import_files=import_files,
        # CSV import does not count toward MAU; admin creation and password sets do (cognito-facts §1).
        mau=admin + counts.updates,
        notes=tuple(notes),
    )
