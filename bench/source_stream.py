"""Does a SQL source stream? Peak memory and time of reading N users, against a raw sqlite3 cursor.

Writes a SQLite users table of ``--rows`` rows (1,000,000 by default) once, then, each in a fresh child
process so that peak memory is its own:

- ``raw``: ``sqlite3`` cursor over the same SELECT, touching every value (the floor);
- ``source``: the project's ``sql`` source (``SqlTable`` via ``open_source``), consuming every record.

Prints each run's wall time, peak RSS and RSS growth over the child's start, then the ratios
``source ÷ raw`` for time and the source's RSS growth ÷ the database file's size. A source that held all
users would grow by a multiple of the file size; a streaming one stays flat as ``--rows`` grows.

Run: ``.venv/bin/python bench/source_stream.py [--rows 1000000] [--db /tmp/cm-bench.sqlite]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic_users import build_users_db


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(kind: str, db: Path, rows: int) -> dict[str, float]:
    # Import first, so that RSS growth is what reading the users costs, not what loading code costs.
    from cognito_migrate.config import parse_plan_text
    from cognito_migrate.sources import LegacyUser, open_source

    select = f"SELECT * FROM users WHERE id <= {int(rows)}"  # noqa: S608 - an int from argparse
    config = parse_plan_text(
        f"""
        [source]
        type = "sql"
        url = "sqlite:///{db}"
        query = "{select}"
        password_hash_column = "password"
        enabled_column = "is_active"
        groups_column = "roles"
        [target]
        pool_id = "us-east-1_Bench"
        """
    )
    start_rss = rss_kib()
    started = time.perf_counter()
    count = 0
    if kind == "raw":
        with sqlite3.connect(db) as conn:
            for row in conn.execute(select):
                count += len(row) > 0
    else:
        with open_source(config) as source:
            for record in source.records():
                count += isinstance(record, LegacyUser)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": elapsed, "peak_kib": peak, "growth_kib": peak - start_rss, "records": count}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    default_db = Path(tempfile.gettempdir()) / "cognito-migrate-bench-source.sqlite"
    parser.add_argument("--db", type=Path, default=default_db, help="reused between runs")
    parser.add_argument("--child", choices=["raw", "source"], help=argparse.SUPPRESS)
    parser.add_argument("--child-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.db, args.child_rows)))
        return

    build_users_db(args.db, args.rows)
    size_kib = os.path.getsize(args.db) / 1024
    tenth = max(1, args.rows // 10)
    results = {}
    for kind, rows in (("raw", args.rows), ("source/10", tenth), ("source", args.rows)):
        done = subprocess.run(
            [sys.executable, __file__, "--child", kind.split("/")[0], "--db", str(args.db),
             "--child-rows", str(rows)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        results[kind] = json.loads(done.stdout)
    print(f"{args.rows:,} rows, database {size_kib / 1024:,.1f} MiB")
    print(f"{'run':<11}{'records':>11}{'seconds':>10}{'peak RSS MiB':>14}{'growth MiB':>12}")
    for kind, r in results.items():
        print(f"{kind:<11}{r['records']:>11,}{r['seconds']:>10.2f}{r['peak_kib'] / 1024:>14.1f}"
              f"{r['growth_kib'] / 1024:>12.1f}")  # fmt: skip
    raw, source, small = results["raw"], results["source"], results["source/10"]
    print(f"time source ÷ raw sqlite3 cursor:          {source['seconds'] / raw['seconds']:.2f}")
    print(f"source RSS growth ÷ database size:         {source['growth_kib'] / size_kib:.3f}")
    print(
        "RSS growth, all rows ÷ a tenth of the rows: "
        f"{source['growth_kib'] / max(small['growth_kib'], 1):.2f}"
        "  (≈1 when streaming, ≈10 when holding every user)"
    )


if __name__ == "__main__":
    main()
