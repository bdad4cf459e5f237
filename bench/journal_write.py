"""How fast the journal records a plan: ``Journal.add_users`` of N new users, then a re-plan of them.

A first ``plan`` enters every source user (a ``users`` row and a ``user_events`` row each, committed in
all-or-nothing batches); a second ``plan`` of an unchanged source finds every user already there and
writes nothing. Both are timed on a fresh journal in a temporary folder, with the users built
beforehand so that only the journal is measured (one user in fifty is rejected with a reason, as a
planner would). For scale, the same rows are then written into another fresh journal's tables the
plainest way, one ``sqlite3`` ``executemany`` per table and batch: no lookups, no decisions. That
shows what SQLite itself costs on this machine for two rows, five index entries and three
foreign-key checks per user; ``add_users`` may beat it, because it sends each batch as a few
multi-row ``INSERT`` statements.

Prints users per second and µs per user for each, and ``first plan ÷ executemany``.

Run: ``.venv/bin/python bench/journal_write.py [--users 1000000] [--batch-size N]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from cognito_migrate.journal import DEFAULT_BATCH_SIZE, Journal, PlannedUser, UserState
from cognito_migrate.journal.records import utc_now


def planned_users(count: int) -> list[PlannedUser]:
    users = []
    for i in range(1, count + 1):
        if i % 50 == 0:
            user = PlannedUser(str(i), f"user{i:07d}", None, UserState.REJECTED, "email: missing")
        else:
            user = PlannedUser(str(i), f"user{i:07d}", "csv-import")
        users.append(user)
    return users


def timed_add(path: Path, users: list[PlannedUser], batch_size: int) -> tuple[float, str]:
    with Journal.open(path) as journal:
        run = journal.start_run("plan")
        started = time.perf_counter()
        result = journal.add_users(run, users, batch_size=batch_size)
        elapsed = time.perf_counter() - started
    return elapsed, f"added {result.added:,}, updated {result.updated:,}, unchanged {result.unchanged:,}"


def timed_executemany(path: Path, users: list[PlannedUser], batch_size: int) -> float:
    """The same rows through plain ``executemany``: no lookups, no decisions."""
    Journal.open(path).close()  # the journal's schema, indexes and foreign keys
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    run = conn.execute(
        "INSERT INTO runs (command, status, pid, host, started_at) VALUES ('bench', 'running', 0, 'h', '')"
    ).lastrowid
    started = time.perf_counter()
    for first in range(0, len(users), batch_size):
        chunk = users[first : first + batch_size]
        now = utc_now()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO users (source_id, username, strategy, state, reason, last_run_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(u.source_id, u.username, u.strategy, u.state, u.reason, run, now) for u in chunk],
        )
        conn.executemany(
            "INSERT INTO user_events (source_id, run_id, from_state, to_state, reason, at)"
            " VALUES (?, ?, NULL, ?, ?, ?)",
            [(u.source_id, run, u.state, u.reason, now) for u in chunk],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    args = parser.parse_args()
    users = planned_users(args.users)
    with tempfile.TemporaryDirectory(prefix="cognito-migrate-bench-") as folder:
        journal = Path(folder) / "bench.journal.sqlite"
        first, first_counts = timed_add(journal, users, args.batch_size)
        again, again_counts = timed_add(journal, users, args.batch_size)
        floor = timed_executemany(Path(folder) / "floor.sqlite", users, args.batch_size)

    n = args.users
    print(f"{n:,} users, batches of {args.batch_size:,}")
    print(f"{'run':<32}{'seconds':>9}{'users/s':>12}{'µs/user':>9}")
    for label, seconds in (
        ("add_users, first plan", first),
        ("add_users, re-plan (unchanged)", again),
        ("plain sqlite3 executemany", floor),
    ):
        print(f"{label:<32}{seconds:>9.2f}{n / seconds:>12,.0f}{seconds / n * 1e6:>9.2f}")
    print(f"first plan:  {first_counts}")
    print(f"re-plan:     {again_counts}")
    print(f"first plan ÷ plain executemany:   {first / floor:.2f}")


if __name__ == "__main__":
    main()
