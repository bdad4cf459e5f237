"""How fast does ``apply`` create users through the admin API, against the quota that binds it?

Starts a local Cognito with AWS's default quotas on (it throttles like the real service), plans
``--users`` users (2,000 by default) from a SQLite table with ``without_hash = "permanent-password"``
and ``--groups`` groups each, applies the plan, and prints the achieved users per second next to the
binding quota: per user one AdminCreateUser (UserCreation 50/s), one AdminSetUserPassword
(UserAccountRecovery 30/s) and one AdminAddUserToGroup per group (UserUpdate 25/s), so with one group
UserUpdate binds at 25 users/s. Issue 7's target: at least 90% of it, with zero failures.
Run: ``.venv/bin/python bench/admin_rate.py [--users 2000] [--groups 1] [--workers 16]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from cognito_migrate.apply import ApplyProgress, apply_plan
from cognito_migrate.aws.quotas import QuotaCategory, Quotas
from cognito_migrate.config import load_plan_file
from cognito_migrate.journal import Journal, UserState
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.strategies.admin.runner import AdminResult
from local_process import local_cognito_process


class Clock(ApplyProgress):
    """When the admin phase's first and last users finished."""

    def __init__(self) -> None:
        self.started = self.last = 0.0
        self.states: dict[str, int] = {}

    def admin_started(self, users: int) -> None:
        self.started = time.perf_counter()

    def admin_result(self, result: AdminResult) -> None:
        self.last = time.perf_counter()
        self.states[result.state] = self.states.get(result.state, 0) + 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=1, help="groups per user (each is a UserUpdate call)")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    quotas = Quotas.aws_default()
    per_user = {
        QuotaCategory.UserCreation: 1,
        QuotaCategory.UserAccountRecovery: 1,
        QuotaCategory.UserUpdate: args.groups,
    }
    binding_category, binding = min(
        ((category, quotas.rate_for(category) / calls) for category, calls in per_user.items() if calls),
        key=lambda item: item[1],
    )
    with tempfile.TemporaryDirectory() as tmp, local_cognito_process(quotas="aws-default") as local:
        work = Path(tmp)
        db = work / "users.sqlite"
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT, roles TEXT)")
            groups = ",".join(f"team{g}" for g in range(args.groups))
            conn.executemany(
                "INSERT INTO users VALUES (?, ?, ?, ?)",
                ((i, f"user{i:06d}", f"user{i:06d}@example.org", groups) for i in range(1, args.users + 1)),
            )
        pool_id = local.settings().client("cognito-idp").create_user_pool(
            PoolName="bench-admin", AutoVerifiedAttributes=["email"],
            Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]  # fmt: skip
        plan_file = work / "migration.toml"
        plan_file.write_text(
            f"""
[source]
type = "sql"
url = "sqlite:///{db}"
table = "users"
groups_column = "roles"
[target]
pool_id = "{pool_id}"
region = "{local.region}"
endpoint_url = "{local.endpoint_url}"
[attributes]
email = "email"
email_verified = {{ literal = "true" }}
[strategy]
without_hash = "permanent-password"
"""
        )
        settings = local.settings()
        make_plan(load_plan_file(plan_file), settings=settings)
        clock = Clock()
        result = apply_plan(plan_file, settings=settings, credentials=work / "credentials.csv",
                            workers=args.workers, listener=clock)  # fmt: skip
        with Journal.open(work / "migration.journal.sqlite") as journal:
            migrated = journal.counts()[UserState.MIGRATED]
    seconds = clock.last - clock.started
    achieved = args.users / seconds
    print(f"{args.users:,} users, {args.groups} group(s) each, permanent passwords, {args.workers} workers")
    print(f"  admin phase: {seconds:.1f} s → {achieved:.1f} users/s; results {clock.states}; "
          f"journal migrated {migrated:,}; outcome {result.outcome}")  # fmt: skip
    print(f"  binding quota: {binding_category} → {binding:.1f} users/s")
    print(f"ratio achieved ÷ binding: {achieved / binding:.3f} (target ≥ 0.90, zero failures)")


if __name__ == "__main__":
    main()
