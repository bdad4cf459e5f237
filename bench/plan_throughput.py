"""How fast is ``plan``? Planning N synthetic users from SQLite against a raw sqlite3 → csv copy.

Builds a SQLite table of ``--rows`` users (1,000,000 by default; bcrypt-shaped hashes, emails, enabled
flags, groups) once, then runs, each in a fresh child process so that peak memory is its own:

- ``copy``: a raw ``sqlite3`` cursor → ``csv.writer`` copy of the same rows to a file (the floor);
- ``plan``: the real planner against a pool on an embedded local Cognito: source → mapping → rules →
  strategy → journal (written by a process of its own) → per-user report (JSON Lines) → Cognito import
  CSV; then the CSV view of the report;
- ``per-record``: the same plan with ``make_plan(batch=False)``, every user through the per-record path,
  to show what the batch planner (``planner/batch.py``) gains.

Prints the times, peak RSS (the plan process's, and its journal writer process's own), and the ratio
``plan ÷ copy`` (issue 5's target: at most 3, under 300 MB).
Run: ``.venv/bin/python bench/plan_throughput.py [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from local_process import local_cognito_process
from synthetic_users import build_users_db


def run_copy(db: Path, work: Path) -> None:
    with sqlite3.connect(db) as conn, (work / "copy.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        cursor = conn.execute("SELECT * FROM users")
        writer.writerow([column[0] for column in cursor.description])
        writer.writerows(cursor)


def run_plan(db: Path, work: Path, *, batch: bool = True) -> None:
    from cognito_migrate.config import load_plan_file
    from cognito_migrate.planner.plan import REPORT, make_plan
    from cognito_migrate.reports.plan_report import write_csv_view

    # The local Cognito runs in a process of its own, as Cognito would: its memory is not the planner's.
    with local_cognito_process() as local:
        pool_id = (
            local.settings()
            .client("cognito-idp")
            .create_user_pool(
                PoolName="bench",
                AutoVerifiedAttributes=["email"],
                Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
            )["UserPool"]["Id"]
        )
        plan_file = work / "migration.toml"
        plan_file.write_text(
            f"""
[source]
type = "sql"
url = "sqlite:///{db}"
table = "users"
password_hash_column = "password"
enabled_column = "is_active"
groups_column = "roles"
[target]
pool_id = "{pool_id}"
region = "{local.region}"
endpoint_url = "{local.endpoint_url}"
[attributes]
email = {{ field = "email", transforms = ["strip", "lower"] }}
email_verified = {{ literal = "true" }}
given_name = "given_name"
"""
        )
        config = load_plan_file(plan_file)
        started = time.perf_counter()
        writer_peaks: list[int] = []
        with _recording_writer_peak(writer_peaks):
            outcome = make_plan(config, settings=local.settings(), batch=batch)
        planned = time.perf_counter() - started
        write_csv_view(outcome.plan_dir / REPORT, outcome.plan_dir / "users.csv")
        total = time.perf_counter() - started
    print(json.dumps({"plan_seconds": planned, "with_csv_view_seconds": total,
                      "decisions": dict(outcome.counts.decisions),
                      "writer_peak_mib": max(writer_peaks, default=0) / 1024}))  # fmt: skip


@contextlib.contextmanager
def _recording_writer_peak(peaks: list[int]) -> Iterator[None]:
    """The plan's journal writer is a process of its own (journal/background.py), which reports its own
    peak memory when it finishes: note it, to print beside the plan process's."""
    from cognito_migrate.journal import background

    finish = background.BackgroundPlanRows._finish

    def finish_and_record(self: background.BackgroundPlanRows) -> None:
        finish(self)
        if self.peak_kib is not None:
            peaks.append(self.peak_kib)

    background.BackgroundPlanRows._finish = finish_and_record  # type: ignore[method-assign]
    try:
        yield
    finally:
        background.BackgroundPlanRows._finish = finish  # type: ignore[method-assign]


def child(kind: str, db: Path, work: Path) -> None:
    started = time.perf_counter()
    extra: dict[str, object] = {}
    if kind == "copy":
        run_copy(db, work)
    else:
        import io

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            run_plan(db, work, batch=kind == "plan")
        extra = json.loads(buffer.getvalue().strip().splitlines()[-1])
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mib": peak, **extra}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    default_db = Path(tempfile.gettempdir()) / "cognito-migrate-bench-plan.sqlite"
    parser.add_argument("--db", type=Path, default=default_db, help="reused between runs")
    parser.add_argument("--child", choices=["copy", "plan", "per-record"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.work)
        return

    build_users_db(args.db, args.rows)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("copy", "plan", "per-record"):
            work = Path(tmp) / kind
            work.mkdir()
            done = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--db", str(args.db), "--work", str(work)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode:
                sys.exit(f"{kind} failed:\n{done.stderr[-3000:]}")
            results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    copy, plan, per_record = results["copy"], results["plan"], results["per-record"]
    print(f"{args.rows:,} synthetic users from SQLite")
    print(f"  raw sqlite3 → csv.writer copy   {copy['seconds']:7.2f} s   peak {copy['peak_mib']:6.1f} MiB")
    print(f"  plan (source → … → import CSV)  {plan['plan_seconds']:7.2f} s")
    print(
        f"  plan + CSV view of the report   {plan['with_csv_view_seconds']:7.2f} s   "
        f"peak {plan['peak_mib']:6.1f} MiB (child {plan['seconds']:.2f} s with starting the local Cognito)"
    )
    print(
        f"  the same plan record by record   {per_record['plan_seconds']:7.2f} s   "
        f"(batches are {per_record['plan_seconds'] / plan['plan_seconds']:.1f}× faster; same output: "
        "tests/planner/test_batch_plan.py)"
    )
    print(f"  decisions: {plan['decisions']}")
    view_ratio = plan["with_csv_view_seconds"] / copy["seconds"]
    print(
        f"ratio plan ÷ copy: {plan['plan_seconds'] / copy['seconds']:.2f} "
        f"(with the CSV view: {view_ratio:.2f}); target ≤ 3"
    )
    megabytes = plan["peak_mib"] * 1024 * 1024 / 1e6
    writer = plan["writer_peak_mib"] * 1024 * 1024 / 1e6
    print(
        f"peak memory of the plan process: {megabytes:.0f} MB ({plan['peak_mib']:.0f} MiB); target < 300 MB; "
        f"its journal writer process: {writer:.0f} MB more"
    )


if __name__ == "__main__":
    main()
