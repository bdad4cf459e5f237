"""How one user's row changes, inside a transaction the caller holds.

:class:`~cognito_migrate.journal.Journal` owns batching, locking and commits; this module owns the rule
that every change to ``users`` is validated against the state machine and appended to ``user_events``
in the same transaction, so a user's state always equals the last event of its history.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from cognito_migrate.errors import JournalError
from cognito_migrate.journal.records import Transition
from cognito_migrate.journal.states import ALLOWED, UserState, check_transition

PlanOutcome = Literal["added", "updated", "unchanged", "kept"]


PlanRow = tuple[str, str, str | None, UserState, str | None]
"""A ``PlannedUser`` as a plain tuple (source_id, username, strategy, state, reason)."""


def plan_users(
    conn: sqlite3.Connection, run_id: int, users: Sequence[PlanRow], now: str, *, assume_new: bool = False
) -> Counter[PlanOutcome]:
    """Enter or re-plan a batch of users; a user already past planning is kept as it is.

    The outcome is what deciding the users one by one, in order, would give (a source id listed twice
    is decided the second time against the first decision), but the work is done per batch: one query
    finds the users already in the journal, and the rows to write go to SQLite in a few multi-row
    statements. A million users are a million times this loop's body, so it stays small.
    """
    # assume_new: the caller knows none of these users is journaled yet (if one is, the INSERT fails).
    known = {} if assume_new else _planned_rows(conn, users)
    allowed = ALLOWED
    outcomes: Counter[PlanOutcome] = Counter()
    new_rows: list[Any] = []  # users' columns, flattened: see _INSERT_USERS
    events: list[Any] = []  # user_events' columns, flattened: see _INSERT_EVENTS
    changed: list[tuple[Any, ...]] = []
    for source_id, username, strategy, state, reason in users:
        row = known.get(source_id)
        if row is None:
            if state not in allowed[None]:
                check_transition(source_id, None, state)
            new_rows += (source_id, username, strategy, state, reason, run_id, now)
            events += (source_id, run_id, None, state, reason, now)
            outcomes["added"] += 1
        else:
            old = row[2]
            # The state table decides what a plan may still change: a user whose state cannot go
            # back to a planning decision (one that apply has moved on) is past planning.
            if state not in allowed[old]:
                outcomes["kept"] += 1
                continue
            if row == (username, strategy, state, reason):
                outcomes["unchanged"] += 1
                continue
            changed.append((username, strategy, state, reason, run_id, now, source_id))
            # A new username or strategy alone is not a state change; the history records decisions.
            if (old, row[3]) != (state, reason):
                events += (source_id, run_id, old, state, reason, now)
            outcomes["updated"] += 1
        known[source_id] = (username, strategy, state, reason)
    _insert_rows(conn, _INSERT_USERS, 7, new_rows)
    if changed:
        conn.executemany(
            "UPDATE users SET username = ?, strategy = ?, state = ?, reason = ?, last_run_id = ?,"
            " updated_at = ? WHERE source_id = ?",
            changed,
        )
    # After the users they belong to: an event's source_id must name a user (a foreign key).
    _insert_rows(conn, _INSERT_EVENTS, 6, events)
    return outcomes


_INSERT_USERS = (
    "INSERT INTO users (source_id, username, strategy, state, reason, last_run_id, updated_at) VALUES "
)
_INSERT_EVENTS = "INSERT INTO user_events (source_id, run_id, from_state, to_state, reason, at) VALUES "
_STATES = {state.value: state for state in UserState}
# Bound values per statement, within SQLite's smallest SQLITE_MAX_VARIABLE_NUMBER (999 before 3.32).
_VALUES_PER_STATEMENT = 999
_MAX_VALUES_PER_STATEMENT = 32_766  # SQLite's default limit since 3.32


def _planned_rows(
    conn: sqlite3.Connection, users: Sequence[PlanRow]
) -> dict[str, tuple[str, str | None, UserState, str | None]]:
    """``source_id → (username, strategy, state, reason)`` of the batch's users already journaled."""
    ids = list(dict.fromkeys(user[0] for user in users))
    found: dict[str, tuple[str, str | None, UserState, str | None]] = {}
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: sqlite3.Row costs more than the lookup itself
    states = _STATES
    try:
        for first in range(0, len(ids), _VALUES_PER_STATEMENT):
            part = ids[first : first + _VALUES_PER_STATEMENT]
            cursor.execute(
                "SELECT source_id, username, strategy, state, reason FROM users"  # noqa: S608 - only ?s
                f" WHERE source_id IN ({','.join('?' * len(part))})",
                part,
            )
            for source_id, username, strategy, state, reason in cursor:
                found[source_id] = (username, strategy, states.get(state) or UserState(state), reason)
    finally:
        cursor.close()
    return found


def _insert_rows(conn: sqlite3.Connection, insert: str, width: int, values: list[Any]) -> None:
    """Insert ``values`` (rows of ``width`` columns, flattened) with as few statements as SQLite allows.

    A multi-row ``INSERT`` instead of an ``executemany`` step per row: what SQLite pays per statement
    (starting and finishing it; for ``user_events``, its AUTOINCREMENT counter) is paid once per ~150
    rows, which took a third or more off the time per row in ``bench/journal_write.py``.
    """
    per_statement = (_values_per_statement(conn) // width) * width
    row = "(" + ",".join("?" * width) + ")"
    for first in range(0, len(values), per_statement):
        part = values[first : first + per_statement]
        conn.execute(insert + ",".join([row] * (len(part) // width)), part)


def _values_per_statement(conn: sqlite3.Connection) -> int:
    """Bound values one statement may hold here: fewer, larger statements matter most when the journal
    is written on its own thread (``journal.background``), which waits for the interpreter lock once
    per statement."""
    return min(conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), _MAX_VALUES_PER_STATEMENT)


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
