"""The per-user report of a migration as it stands: JSON Lines and CSV, one row per journal user.

The plan's ``users.jsonl`` says what was decided; this one says what happened since, from the journal.
It keeps the documented contract (``source_id``, ``username``, ``decision``, ``strategy``, ``state``,
``reasons``; keys are only ever added) and adds where each user ended up: the new ``sub``, the import job
and line, the attempts. Both files are streamed (a million users never sit in memory) and created
0600: they hold usernames and ids, never a password or a hash (the journal has none).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import orjson

from cognito_migrate.reports.journal_queries import JournalQueries, ReportUser

JSONL_NAME = "users.jsonl"
CSV_NAME = "users.csv"
COLUMNS = ("source_id", "username", "decision", "strategy", "state", "reasons", "cognito_sub", "attempts",
           "import_job_id", "import_line", "last_run_id", "updated_at")  # fmt: skip


def report_line(user: ReportUser) -> dict[str, Any]:
    """One user's object in ``users.jsonl``; ``reasons`` is a list, as in the plan's report."""
    record = user.record
    return {
        "source_id": record.source_id,
        "username": record.username,
        "decision": user.decision,
        "strategy": record.strategy,
        "state": str(record.state),
        "reasons": [record.reason] if record.reason else [],
        "cognito_sub": record.cognito_sub,
        "attempts": record.attempts,
        "import_job_id": record.import_job_id,
        "import_line": record.import_line,
        "last_run_id": record.last_run_id,
        "updated_at": record.updated_at.isoformat(),
    }


def write_user_reports(queries: JournalQueries, directory: Path) -> tuple[Path, Path, int]:
    """Write ``users.jsonl`` and ``users.csv`` into ``directory`` in one pass; returns both paths and
    the number of users written."""
    jsonl, table = directory / JSONL_NAME, directory / CSV_NAME
    written = 0
    with _private(jsonl, binary=True) as lines, _private(table, binary=False) as rows:
        writer = csv.writer(rows)
        writer.writerow(COLUMNS)
        for user in queries.report_users():
            line = report_line(user)
            lines.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
            line["reasons"] = " | ".join(line["reasons"])  # as the plan's CSV view joins them
            writer.writerow([line[column] for column in COLUMNS])
            written += 1
    return jsonl, table, written


@contextmanager
def _private(path: Path, *, binary: bool) -> Iterator[IO[Any]]:
    """A file only its owner can read, replacing any earlier report in one step (a reader never
    sees half a report)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)  # a leftover may have a wider mode, which O_CREAT would keep
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if binary:
            with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
                yield handle
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                yield handle
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
