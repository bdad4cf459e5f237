"""How one user's row changes, inside a transaction the caller holds.

:class:`~cognito_migrate.journal.Journal` owns batching, locking and commits; this module owns the rule
that every change to ``users`` is validated against the state machine and appended to ``user_events``
in the same transaction, so a user's state always equals the last event of its history.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from cognito_migrate.errors import JournalError
from cognito_migrate.journal.records import PlannedUser, Transition
from cognito_migrate.journal.states import ALLOWED, UserState, check_transition

PlanOutcome = Literal["added", "updated", "unchanged", "kept"]


def plan_user(conn: sqlite3.Connection, run_id: int, user: PlannedUser, now: str) -> PlanOutcome:
    """Enter ``user`` or re-plan it; a user already past planning is kept as it is."""
    row = conn.execute(
        "SELECT username, strategy, state, reason FROM users WHERE source_id = ?", (user.source_id,)
    ).fetchone()
    if row is None:
        check_transition(user.source_id, None, user.state)
        conn.execute(
            "INSERT INTO users (source_id, username, strategy, state, reason, last_run_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user.source_id, user.username, user.strategy, user.state, user.reason, run_id, now),
        )
        append_event(conn, run_id, user.source_id, None, user.state, user.reason, now)
        return "added"
    old = UserState(row["state"])
    # The state table decides what a plan may still change: a user whose state cannot go back to
    # planned/rejected (submitted, migrated, skipped) is past planning and must not be touched.
    if user.state not in ALLOWED[old]:
        return "kept"
    if (row["username"], row["strategy"], old, row["reason"]) == (
        user.username,
        user.strategy,
        user.state,
        user.reason,
    ):
        return "unchanged"
    conn.execute(
        "UPDATE users SET username = ?, strategy = ?, state = ?, reason = ?, last_run_id = ?, updated_at = ?"
        " WHERE source_id = ?",
        (user.username, user.strategy, user.state, user.reason, run_id, now, user.source_id),
    )
    # A new username or strategy alone is not a state change; the history records decisions.
    if (old, row["reason"]) != (user.state, user.reason):
        append_event(conn, run_id, user.source_id, old, user.state, user.reason, now)
    return "updated"


def apply_transition(conn: sqlite3.Connection, run_id: int, change: Transition, now: str) -> None:
    """Move one user, or raise (``IllegalTransition``, or ``JournalError`` for an unknown user)."""
    row = conn.execute("SELECT state FROM users WHERE source_id = ?", (change.source_id,)).fetchone()
    if row is None:
        raise JournalError(f"user {change.source_id!r} is not in the journal")
    old = UserState(row["state"])
    check_transition(change.source_id, old, change.to_state)
    conn.execute(
        """
        UPDATE users SET
            state = :state,
            reason = :reason,
            attempts = attempts + :attempt,
            cognito_sub = COALESCE(:sub, cognito_sub),
            import_job_id = COALESCE(:job, import_job_id),
            -- a job and its line travel together: a new job never inherits the old job's line
            import_line = CASE WHEN :job IS NULL THEN COALESCE(:line, import_line) ELSE :line END,
            last_run_id = :run,
            updated_at = :now
        WHERE source_id = :source_id
        """,
        {
            "state": change.to_state,
            "reason": change.reason,
            "attempt": int(change.to_state is UserState.SUBMITTED),
            "sub": change.cognito_sub,
            "job": change.import_job_id,
            "line": change.import_line,
            "run": run_id,
            "now": now,
            "source_id": change.source_id,
        },
    )
    append_event(conn, run_id, change.source_id, old, change.to_state, change.reason, now)


def append_event(
    conn: sqlite3.Connection,
    run_id: int,
    source_id: str,
    from_state: UserState | None,
    to_state: UserState,
    reason: str | None,
    at: str,
) -> None:
    conn.execute(
        "INSERT INTO user_events (source_id, run_id, from_state, to_state, reason, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (source_id, run_id, from_state, to_state, reason, at),
    )
