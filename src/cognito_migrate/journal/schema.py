"""The journal's tables and their versioned, step-by-step upgrades.

``PRAGMA user_version`` holds the number of migrations applied. Each migration runs in its own
``BEGIN IMMEDIATE`` transaction together with its ``user_version`` bump, so a crash or an error during an
upgrade leaves the file at the previous version, never half-way. To change the schema, append a step to
:data:`MIGRATIONS`; never edit one that has shipped, journals in the field already went through it.

Times are ISO-8601 UTC text: readable with the ``sqlite3`` shell and sortable as text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from cognito_migrate.errors import JournalError

Migration = Callable[[sqlite3.Connection], None]

_V1 = (
    """
    CREATE TABLE runs (
        run_id        INTEGER PRIMARY KEY AUTOINCREMENT,
        command       TEXT NOT NULL,
        plan_checksum TEXT,
        status        TEXT NOT NULL,
        pid           INTEGER NOT NULL,
        host          TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        note          TEXT
    )
    """,
    """
    CREATE TABLE users (
        source_id     TEXT PRIMARY KEY,
        username      TEXT NOT NULL,
        strategy      TEXT,
        state         TEXT NOT NULL,
        reason        TEXT,
        attempts      INTEGER NOT NULL DEFAULT 0,
        cognito_sub   TEXT,
        import_job_id TEXT,
        import_line   INTEGER,
        last_run_id   INTEGER REFERENCES runs (run_id),
        updated_at    TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE user_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        source_id  TEXT NOT NULL REFERENCES users (source_id),
        run_id     INTEGER REFERENCES runs (run_id),
        from_state TEXT,
        to_state   TEXT NOT NULL,
        reason     TEXT,
        at         TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE import_jobs (
        job_id             TEXT PRIMARY KEY,
        run_id             INTEGER REFERENCES runs (run_id),
        pool_id            TEXT NOT NULL,
        job_name           TEXT NOT NULL,
        password_algorithm TEXT,
        file_name          TEXT,
        user_count         INTEGER,
        status             TEXT NOT NULL,
        imported           INTEGER,
        skipped            INTEGER,
        failed             INTEGER,
        completion_message TEXT,
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL
    )
    """,
    # (state, source_id) rather than (state) alone: users(state) pages through a state in source_id
    # order, and this index serves that without sorting millions of rows per page.
    "CREATE INDEX users_state ON users (state, source_id)",
    "CREATE INDEX user_events_source ON user_events (source_id, id)",
    "CREATE INDEX users_import_line ON users (import_job_id, import_line)",
)


def _v1_initial(conn: sqlite3.Connection) -> None:
    for statement in _V1:
        conn.execute(statement)


def _v2_events_by_run(conn: sqlite3.Connection) -> None:
    # rollback reads the users one run migrated (run_id, to_state) in the order it migrated them (id);
    # without this index that is a scan of every user's whole history.
    conn.execute("CREATE INDEX user_events_run ON user_events (run_id, to_state, id)")


def _v3_run_calls(conn: sqlite3.Connection) -> None:
    # What each run cost in Cognito calls, per quota category, as its rate limiter counted them (every
    # HTTP attempt, retries included): the reports set it beside the plan's estimate.
    conn.execute(
        """
        CREATE TABLE run_calls (
            run_id   INTEGER NOT NULL REFERENCES runs (run_id),
            category TEXT NOT NULL,
            calls    INTEGER NOT NULL,
            PRIMARY KEY (run_id, category)
        )
        """
    )


MIGRATIONS: list[Migration] = [_v1_initial, _v2_events_by_run, _v3_run_calls]
"""Step ``i`` takes a journal from version ``i`` to ``i + 1``. Append only."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of migrations this journal has been through."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    return int(version)


def upgrade(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the journal at ``path`` up to ``len(MIGRATIONS)``; returns the version it ends at.

    ``conn`` must be in autocommit mode (``isolation_level=None``) and outside a transaction. Each step
    re-reads the version inside its write lock, so two processes opening an old journal at once do not
    both apply the same step.
    """
    target = len(MIGRATIONS)
    if schema_version(conn) == target:
        return target  # the common case needs no write lock
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(conn)
            if version > target:
                raise JournalError(
                    f"journal {path} was written by a newer cognito-migrate "
                    f"(schema {version}, this knows {target}); upgrade cognito-migrate to read it"
                )
            if version == target:
                conn.execute("COMMIT")
                return version
            MIGRATIONS[version](conn)
            # PRAGMA does not take bound parameters; version is an int we computed.
            conn.execute(f"PRAGMA user_version = {version + 1:d}")
            conn.execute("COMMIT")
        except BaseException:
            # Some SQLite errors end the transaction themselves; rolling back twice would hide them.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
