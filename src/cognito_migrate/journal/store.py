"""The journal: one SQLite file holding every source user's migration state.

It follows dlt's load-package discipline. Every change is a transaction that moves the user's row *and*
appends to its history together; a user is marked ``submitted`` *before* the remote call and settled
after, so a process killed between Cognito's answer and the local write leaves the user visibly in doubt
(:meth:`Journal.in_doubt`) instead of silently lost or migrated twice.

Example::

    from cognito_migrate.journal import Journal, PlannedUser, RunStatus, Transition, UserState

    with Journal.open("migration.journal.sqlite") as journal:
        run = journal.start_run("apply")
        journal.add_users(run, [PlannedUser("42", "ada", strategy="admin")])
        journal.mark_submitted(run, ["42"])            # before calling Cognito
        journal.transition(run, [Transition("42", UserState.MIGRATED, cognito_sub="…")])
        journal.finish_run(run, RunStatus.COMPLETED)
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from cognito_migrate.errors import JournalError
from cognito_migrate.journal.changes import PlanOutcome, PlanRow, apply_transition, plan_users
from cognito_migrate.journal.connection import connect, pid_alive
from cognito_migrate.journal.records import (
    AddResult,
    ImportJobRecord,
    PlannedUser,
    Run,
    Transition,
    UserEvent,
    UserRecord,
    utc_now,
)
from cognito_migrate.journal.states import RunStatus, UserState

_T = TypeVar("_T")

DEFAULT_BATCH_SIZE = 1000
"""Rows per write transaction: large enough that commits do not dominate, small enough that millions of
users never sit in memory and a crash loses at most one uncommitted batch."""


_IDS_PER_QUERY = 999  # bound values per statement, within SQLite's smallest limit


def default_journal_path(plan_file: str | os.PathLike[str]) -> Path:
    """Where a plan's journal lives unless configured: ``<plan dir>/<plan stem>.journal.sqlite``."""
    plan = Path(plan_file)
    return plan.parent / f"{plan.stem}.journal.sqlite"


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Journal:
    """A migration journal. Open with :meth:`open`; safe to share between threads."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        """Use :meth:`Journal.open`; this wraps an already configured connection."""
        self._conn: sqlite3.Connection | None = conn
        self._path = path
        # One connection for all threads: SQLite serialises writers anyway, and a lock of our own
        # makes threads queue instead of failing with "database is locked".
        self._lock = threading.Lock()
        self._interrupted: list[Run] = []

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> Journal:
        """Open (creating if needed) the journal at ``path`` and bring its schema up to date.

        Runs left ``running`` by a process on this host that no longer exists are marked
        ``interrupted``; :meth:`interrupted_runs` lists them.
        """
        conn = connect(Path(path), busy_timeout=busy_timeout)
        journal = cls(conn, Path(path))
        try:
            journal._interrupted = journal._recover_abandoned_runs()
        except BaseException:
            journal.close()
            raise
        return journal

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        """Close the file; further calls raise :class:`JournalError`. Closing twice is harmless."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({str(self._path)!r})"

    # ------------------------------------------------------------------ transactions

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(f"journal {self._path} is closed")
        return self._conn

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed or none of it."""
        with self._lock:
            conn = self._connection()
            try:
                # IMMEDIATE takes the write lock now, so a concurrent writer waits at BEGIN (where
                # busy_timeout applies) rather than failing half-way through the batch.
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise JournalError(f"journal {self._path}: {exc}") from exc
                raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self._path}: {exc}") from exc

    def _fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._reading() as conn:
            row: sqlite3.Row | None = conn.execute(sql, params).fetchone()
            return row

    def _fetch_all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._reading() as conn:
            return conn.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ runs

    def _recover_abandoned_runs(self) -> list[Run]:
        # Read first and write only when something is found: opening for `status` should not queue
        # behind a running apply's batch just to learn that nothing needs recovering.
        rows = self._fetch_all(
            "SELECT run_id, pid FROM runs WHERE status = ? AND host = ?",
            (RunStatus.RUNNING, socket.gethostname()),
        )
        dead = [row["run_id"] for row in rows if not pid_alive(row["pid"])]
        if not dead:
            return []
        with self._writing() as conn:
            conn.executemany(
                "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ? AND status = ?",
                [(RunStatus.INTERRUPTED, utc_now(), run_id, RunStatus.RUNNING) for run_id in dead],
            )
        return [self.get_run(run_id) for run_id in dead]

    def interrupted_runs(self) -> list[Run]:
        """Runs whose process died while running, found (and marked ``interrupted``) by this open."""
        return list(self._interrupted)

    def start_run(
        self,
        command: str,
        plan_checksum: str | None = None,
        *,
        exclusive: bool = False,
        exclusive_of: Iterable[str] = (),
    ) -> int:
        """Record that ``command`` started in this process; returns the run id to pass to writes.

        ``exclusive``: refuse (``JournalError``) while another run of ``command`` is still running —
        two ``apply`` runs sending the same users would import them twice. ``exclusive_of``: refuse as
        well while a run of one of these other commands is running (``rollback`` must not delete users
        an ``apply`` is still settling). The check and the insert are one write transaction, so two
        processes starting at once cannot both pass it. A run whose process died was marked
        interrupted when this journal was opened, and does not count.
        """
        excluded = [*([command] if exclusive else []), *exclusive_of]
        with self._writing() as conn:
            if excluded:
                other = conn.execute(
                    "SELECT run_id, command, pid, host, started_at FROM runs"  # noqa: S608 - only ?s
                    f" WHERE command IN ({','.join('?' * len(excluded))}) AND status = ?",
                    (*excluded, RunStatus.RUNNING),
                ).fetchone()
                if other is not None:
                    raise JournalError(
                        f"journal {self._path}: {other['command']} run {other['run_id']} is still running "
                        f"(pid {other['pid']} on {other['host']}, since {other['started_at']}); "
                        "wait for it to finish, or stop it — it can be resumed"
                    )
            cursor = conn.execute(
                "INSERT INTO runs (command, plan_checksum, status, pid, host, started_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (command, plan_checksum, RunStatus.RUNNING, os.getpid(), socket.gethostname(), utc_now()),
            )
            run_id = cursor.lastrowid
        assert run_id is not None
        return run_id

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        note: str | None = None,
        *,
        calls: Mapping[str, int] | None = None,
    ) -> None:
        """Record how the run ended. ``note`` replaces any earlier note when given; ``calls`` are the
        Cognito calls the run made per quota category (``RateLimiter.call_counts()``)."""
        if status is RunStatus.RUNNING:
            raise ValueError("a run cannot finish as 'running'")
        with self._writing() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = ?, finished_at = ?, note = COALESCE(?, note) WHERE run_id = ?",
                (status, utc_now(), note, run_id),
            )
            if cursor.rowcount == 0:
                raise JournalError(f"journal {self._path} has no run {run_id}")
            conn.executemany(
                "INSERT OR REPLACE INTO run_calls (run_id, category, calls) VALUES (?, ?, ?)",
                [(run_id, category, count) for category, count in (calls or {}).items()],
            )

    def calls(self, commands: Iterable[str]) -> dict[str, int]:
        """Cognito calls per quota category made by all runs of ``commands`` (e.g. apply and sweep)."""
        wanted = list(commands)
        rows = self._fetch_all(
            "SELECT category, SUM(calls) AS calls FROM run_calls JOIN runs USING (run_id)"  # noqa: S608
            f" WHERE command IN ({','.join('?' * len(wanted))}) GROUP BY category ORDER BY category",
            tuple(wanted),
        )
        return {row["category"]: int(row["calls"]) for row in rows}

    def runs(self) -> list[Run]:
        """Every run, oldest first."""
        return [Run.from_row(row) for row in self._fetch_all("SELECT * FROM runs ORDER BY run_id")]

    def get_run(self, run_id: int) -> Run:
        row = self._fetch_one("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        if row is None:
            raise JournalError(f"journal {self._path} has no run {run_id}")
        return Run.from_row(row)

    # ------------------------------------------------------------------ writing users

    def add_users(
        self, run_id: int, users: Iterable[PlannedUser], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> AddResult:
        """Enter (or re-plan) users, ``batch_size`` per transaction; each batch is all-or-nothing.

        Re-planning is idempotent: a user still planned, rejected, failed, skipped or rolled back takes
        the new decision (with a history event only if its state or reason changed); a user already
        submitted or migrated is left alone and counted as ``kept``.
        """
        rows = ((user.source_id, user.username, user.strategy, user.state, user.reason) for user in users)
        return self.add_plan_rows(run_id, rows, batch_size=batch_size)

    def add_plan_rows(
        self, run_id: int, rows: Iterable[PlanRow], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> AddResult:
        """``add_users`` for users as plain tuples, whose states the caller guarantees are planned,
        rejected or skipped (the planner's verdicts): a million ``PlannedUser`` objects cost seconds."""
        outcomes: Counter[PlanOutcome] = Counter()
        # A first plan enters every user new, so it need not look each batch's users up first: a user
        # the journal has after all (an id twice in the source) fails the batch's INSERT on the unique
        # source_id, the batch is rolled back, and from then on every batch is looked up.
        assume_new = self._fetch_one("SELECT 1 FROM users LIMIT 1") is None
        # The chunk is built before the lock is taken, so a slow source never holds up other writers.
        for chunk in _chunks(rows, batch_size):
            if assume_new:
                try:
                    with self._writing() as conn:
                        batch = plan_users(conn, run_id, chunk, utc_now(), assume_new=True)
                    outcomes += batch
                    continue
                except JournalError as exc:
                    if not isinstance(exc.__cause__, sqlite3.IntegrityError):
                        raise
                    assume_new = False
            with self._writing() as conn:
                batch = plan_users(conn, run_id, chunk, utc_now())
            outcomes += batch  # counted only once the batch is committed
        return AddResult(
            added=outcomes["added"],
            updated=outcomes["updated"],
            unchanged=outcomes["unchanged"],
            kept=outcomes["kept"],
        )

    def transition(
        self, run_id: int, changes: Iterable[Transition], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> int:
        """Apply state changes, ``batch_size`` per transaction; returns how many were applied.

        Every change is checked against the state machine; an illegal one raises
        :class:`~cognito_migrate.errors.IllegalTransition` and rolls back its whole batch (earlier
        batches stay committed). Entering ``submitted`` counts an attempt. ``reason`` replaces the
        stored reason (the old one stays in the history); ``cognito_sub`` and the import job are kept
        unless given, and a new import job replaces the old job *and* line together.
        """
        applied = 0
        for chunk in _chunks(changes, batch_size):
            with self._writing() as conn:
                now = utc_now()
                for change in chunk:
                    apply_transition(conn, run_id, change, now)
            applied += len(chunk)
        return applied

    def mark_submitted(
        self,
        run_id: int,
        source_ids: Iterable[str],
        import_job_id: str | None = None,
        lines: Mapping[str, int] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> int:
        """The pending mark: call *before* sending users to Cognito, settle with :meth:`transition`.

        ``lines`` maps a source id to its line in the import job's CSV, so the job's CloudWatch
        report ("line 17 failed") can be traced back to the user.
        """
        return self.transition(
            run_id,
            (
                Transition(
                    source_id,
                    UserState.SUBMITTED,
                    import_job_id=import_job_id,
                    import_line=None if lines is None else lines.get(source_id),
                )
                for source_id in source_ids
            ),
            batch_size=batch_size,
        )

    # ------------------------------------------------------------------ reading users

    def get_user(self, source_id: str) -> UserRecord | None:
        row = self._fetch_one("SELECT * FROM users WHERE source_id = ?", (source_id,))
        return None if row is None else UserRecord.from_row(row)

    def users(self, state: UserState | None = None, *, page_size: int = 1000) -> Iterator[UserRecord]:
        """Users in ``source_id`` order, optionally only those in ``state``; streamed page by page.

        The lock is released between pages, so the caller may write to the journal while iterating
        (each user is still visited at most once).
        """
        after = ""
        while True:
            if state is None:
                sql = "SELECT * FROM users WHERE source_id > ? ORDER BY source_id LIMIT ?"
                params: tuple[Any, ...] = (after, page_size)
            else:
                sql = "SELECT * FROM users WHERE state = ? AND source_id > ? ORDER BY source_id LIMIT ?"
                params = (state, after, page_size)
            page = self._fetch_all(sql, params)
            for row in page:
                yield UserRecord.from_row(row)
            if len(page) < page_size:
                return
            after = page[-1]["source_id"]

    def migrated_by_run(
        self, run_id: int, *, page_size: int = 1000
    ) -> Iterator[tuple[UserRecord, UserEvent]]:
        """Every user run ``run_id`` moved to ``migrated``, as it is now, with that event; in the order
        the run migrated them, streamed page by page (the caller may write between pages).

        A user's current state says what happened since: still migrated by this run, rolled back, or
        planned and migrated again by a later run (then its ``last_run_id`` is that run's).
        """
        after = 0
        while True:
            page = self._fetch_all(
                """
                SELECT u.*, e.id AS event_id, e.from_state AS event_from, e.reason AS event_reason,
                       e.at AS event_at
                FROM user_events e JOIN users u ON u.source_id = e.source_id
                WHERE e.run_id = ? AND e.to_state = ? AND e.id > ?
                ORDER BY e.id LIMIT ?
                """,
                (run_id, UserState.MIGRATED, after, page_size),
            )
            for row in page:
                event = UserEvent(
                    id=row["event_id"],
                    source_id=row["source_id"],
                    run_id=run_id,
                    from_state=None if row["event_from"] is None else UserState(row["event_from"]),
                    to_state=UserState.MIGRATED,
                    reason=row["event_reason"],
                    at=datetime.fromisoformat(row["event_at"]),
                )
                yield UserRecord.from_row(row), event
            if len(page) < page_size:
                return
            after = page[-1]["event_id"]

    def in_doubt(self) -> Iterator[UserRecord]:
        """Users marked submitted whose outcome was never recorded: look them up before resending."""
        return self.users(UserState.SUBMITTED)

    def history(self, source_id: str) -> list[UserEvent]:
        """Every state change of one user, oldest first."""
        rows = self._fetch_all("SELECT * FROM user_events WHERE source_id = ? ORDER BY id", (source_id,))
        return [UserEvent.from_row(row) for row in rows]

    def counts(self) -> dict[UserState, int]:
        """How many users are in each state; every state is present, with zero if none."""
        totals = dict.fromkeys(UserState, 0)
        for row in self._fetch_all("SELECT state, COUNT(*) AS n FROM users GROUP BY state"):
            totals[UserState(row["state"])] = row["n"]
        return totals

    def get_users(self, source_ids: Iterable[str]) -> dict[str, UserRecord]:
        """The journaled users among ``source_ids`` (absent ids are left out), a few queries per
        thousand ids rather than one each."""
        ids = list(dict.fromkeys(source_ids))
        found: dict[str, UserRecord] = {}
        for first in range(0, len(ids), _IDS_PER_QUERY):
            part = ids[first : first + _IDS_PER_QUERY]
            rows = self._fetch_all(
                f"SELECT * FROM users WHERE source_id IN ({','.join('?' * len(part))})",  # noqa: S608
                tuple(part),
            )
            found.update((row["source_id"], UserRecord.from_row(row)) for row in rows)
        return found

    def import_job_users(self, job_id: str) -> dict[int, UserRecord]:
        """The users last submitted in import job ``job_id``, by their line in its file."""
        rows = self._fetch_all("SELECT * FROM users WHERE import_job_id = ?", (job_id,))
        return {row["import_line"]: UserRecord.from_row(row) for row in rows}

    def user_for_import_line(self, job_id: str, line: int) -> UserRecord | None:
        """The user last submitted on ``line`` of import job ``job_id``."""
        row = self._fetch_one(
            "SELECT * FROM users WHERE import_job_id = ? AND import_line = ?", (job_id, line)
        )
        return None if row is None else UserRecord.from_row(row)

    # ------------------------------------------------------------------ import jobs

    def record_import_job(
        self,
        run_id: int,
        job_id: str,
        pool_id: str,
        job_name: str,
        password_algorithm: str | None,
        file_name: str | None,
        user_count: int | None,
        *,
        status: str = "Created",
    ) -> None:
        """Remember an import job Cognito created; recording the same job again refreshes it."""
        now = utc_now()
        with self._writing() as conn:
            conn.execute(
                """
                INSERT INTO import_jobs (job_id, run_id, pool_id, job_name, password_algorithm,
                                         file_name, user_count, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id) DO UPDATE SET
                    run_id = excluded.run_id, pool_id = excluded.pool_id,
                    job_name = excluded.job_name, password_algorithm = excluded.password_algorithm,
                    file_name = excluded.file_name, user_count = excluded.user_count,
                    status = excluded.status, updated_at = excluded.updated_at
                """,
                (job_id, run_id, pool_id, job_name, password_algorithm, file_name, user_count, status,
                 now, now),
            )  # fmt: skip

    def update_import_job(
        self,
        job_id: str,
        *,
        status: str,
        imported: int | None = None,
        skipped: int | None = None,
        failed: int | None = None,
        completion_message: str | None = None,
    ) -> None:
        """Record what Cognito last said about the job; ``None`` counts keep their stored value."""
        with self._writing() as conn:
            cursor = conn.execute(
                """
                UPDATE import_jobs SET
                    status = ?, imported = COALESCE(?, imported), skipped = COALESCE(?, skipped),
                    failed = COALESCE(?, failed),
                    completion_message = COALESCE(?, completion_message), updated_at = ?
                WHERE job_id = ?
                """,
                (status, imported, skipped, failed, completion_message, utc_now(), job_id),
            )
            if cursor.rowcount == 0:
                raise JournalError(f"journal {self._path} has no import job {job_id!r}")

    def import_jobs(self, run_id: int | None = None) -> list[ImportJobRecord]:
        """Import jobs in the order they were recorded, optionally only those of one run."""
        if run_id is None:
            rows = self._fetch_all("SELECT * FROM import_jobs ORDER BY created_at, job_id")
        else:
            rows = self._fetch_all(
                "SELECT * FROM import_jobs WHERE run_id = ? ORDER BY created_at, job_id", (run_id,)
            )
        return [ImportJobRecord.from_row(row) for row in rows]
