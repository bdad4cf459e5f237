"""Read-only questions the reports ask the journal: totals grouped in SQL, users streamed page by page.

:class:`~cognito_migrate.journal.Journal` answers what the migration itself needs (one user, one state,
one job). The reports need totals over millions of users and events (per run, per reason, per strategy,
over time), which SQLite computes far faster than Python and without holding the users in memory.
The connection is opened read-only (``mode=ro``), so ``status`` can never change a journal, and in WAL
mode it reads alongside a running ``apply`` without waiting for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from cognito_migrate.errors import JournalError
from cognito_migrate.journal import UserRecord, UserState

# How reason_groups groups a reason (see there). A rule id is the text before the first ": " when it
# has no space in it; a reason without either pattern is its own group.
_REASON_KEY = """
    CASE
        WHEN reason IS NULL THEN '(no reason recorded)'
        WHEN reason LIKE 'import job % line %: %' THEN substr(reason, instr(reason, ': ') + 2)
        WHEN instr(reason, ': ') > 1 AND instr(substr(reason, 1, instr(reason, ': ') - 1), ' ') = 0
            THEN substr(reason, 1, instr(reason, ': ') - 1)
        ELSE reason
    END"""

# What the planner decided, by the state a plan run gave the user (the per-user report's `decision`).
_DECISION = {UserState.PLANNED: "migrate", UserState.REJECTED: "reject", UserState.SKIPPED: "skip"}


@dataclass(frozen=True, slots=True)
class ReasonGroup:
    """Users in one state sharing one reason text."""

    state: UserState
    reason: str
    users: int
    example: str  # one source id, to look up with ``status --user``
    example_reason: str  # that user's whole reason


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """Cumulative users that had reached each state by ``at``."""

    at: datetime
    totals: dict[UserState, int]


@dataclass(frozen=True, slots=True)
class ReportUser:
    """One user as the per-user report shows it: the journal row and what the last plan decided."""

    record: UserRecord
    decision: str


class JournalQueries:
    """Aggregates over one journal file. Use as a context manager; every method only reads."""

    def __init__(self, path: Path) -> None:
        try:
            # A URI so that mode=ro applies; quote() keeps '?' or '#' in a path from ending it.
            self._conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot read journal {path}: {exc}") from exc
        self._conn.row_factory = sqlite3.Row
        self._path = path

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._conn.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self._path}: {exc}") from exc

    def run_changes(self, run_id: int) -> dict[tuple[UserState | None, UserState], int]:
        """How many users each run moved ``from → to``; ``from`` is None for users it entered."""
        rows = self._rows(
            "SELECT from_state, to_state, COUNT(*) AS n FROM user_events WHERE run_id = ?"
            " GROUP BY from_state, to_state ORDER BY n DESC",
            (run_id,),
        )
        return {
            (
                None if row["from_state"] is None else UserState(row["from_state"]),
                UserState(row["to_state"]),
            ): row["n"]
            for row in rows
        }

    def strategy_states(self) -> dict[str, dict[UserState, int]]:
        """Users per strategy (``"-"`` for users the plan gave none) and state."""
        totals: dict[str, dict[UserState, int]] = {}
        for row in self._rows(
            "SELECT COALESCE(strategy, '-') AS strategy, state, COUNT(*) AS n FROM users"
            " GROUP BY 1, 2 ORDER BY 1"
        ):
            totals.setdefault(row["strategy"], {})[UserState(row["state"])] = row["n"]
        return totals

    def attempts(self) -> dict[str, int]:
        """Times users were sent to Cognito (entered ``submitted``), per strategy."""
        rows = self._rows(
            "SELECT COALESCE(strategy, '-') AS strategy, SUM(attempts) AS n FROM users"
            " WHERE attempts > 0 GROUP BY 1 ORDER BY 1"
        )
        return {row["strategy"]: row["n"] for row in rows}

    def reason_groups(self, states: tuple[UserState, ...], *, limit: int = 12) -> list[ReasonGroup]:
        """The most common reasons among users in ``states``, most users first.

        Reasons are grouped by what they have in common, not by their whole text, which often names
        the user: an import job's "import job J line 17: <Cognito's message>" by the message, a plan
        rule's "<rule.id>: <details>" by the rule. Each group keeps one whole reason as its example.
        """
        marks = ",".join("?" * len(states))
        rows = self._rows(
            f"""
            SELECT state, {_REASON_KEY} AS reason_key, COUNT(*) AS n,
                   -- SQLite takes a bare column from the row MIN() picked: the example's own reason
                   MIN(source_id) AS example, COALESCE(reason, '') AS example_reason
            FROM users WHERE state IN ({marks})
            GROUP BY state, reason_key ORDER BY n DESC, state, reason_key LIMIT ?
            """,  # noqa: S608 - only ?s and a constant expression
            (*states, limit),
        )
        return [
            ReasonGroup(UserState(r["state"]), r["reason_key"], r["n"], r["example"], r["example_reason"])
            for r in rows
        ]

    def timeline(self, states: tuple[UserState, ...], *, points: int = 60) -> list[TimelinePoint]:
        """Cumulative users reaching ``states`` over time, in at most ``points`` steps.

        The events are counted per time bucket in SQL, so a million of them cost one scan, not a
        million Python objects. The first point is the first event's time with zero users.
        """
        marks = ",".join("?" * len(states))
        span = self._rows(
            "SELECT MIN(julianday(at)) AS first, MAX(julianday(at)) AS last FROM user_events"  # noqa: S608
            f" WHERE to_state IN ({marks})",
            states,
        )[0]
        if span["first"] is None:
            return []
        first, last = float(span["first"]), float(span["last"])
        width = max((last - first) / points, 1e-9)  # in days; a single instant is one bucket
        rows = self._rows(
            "SELECT MIN(CAST((julianday(at) - ?) / ? AS INTEGER), ?) AS bucket, to_state,"  # noqa: S608
            f" COUNT(*) AS n FROM user_events WHERE to_state IN ({marks})"
            " GROUP BY bucket, to_state ORDER BY bucket",
            (first, width, points - 1, *states),
        )
        start = _from_julian(first)
        running = dict.fromkeys(states, 0)
        timeline = [TimelinePoint(start, dict(running))]
        by_bucket: dict[int, dict[UserState, int]] = {}
        for row in rows:
            by_bucket.setdefault(row["bucket"], {})[UserState(row["to_state"])] = row["n"]
        for bucket in sorted(by_bucket):
            for state, n in by_bucket[bucket].items():
                running[state] += n
            # A bucket's users are counted at its end: by then every one of them had arrived.
            at = start + timedelta(days=min((bucket + 1) * width, last - first))
            timeline.append(TimelinePoint(at, dict(running)))
        return timeline

    def report_users(self, *, page_size: int = 1000) -> Iterator[ReportUser]:
        """Every user in ``source_id`` order, with the decision of the last plan run that decided it;
        streamed a page at a time."""
        after = ""
        while True:
            page = self._rows(
                """
                SELECT u.*, (
                    SELECT e.to_state FROM user_events e JOIN runs r ON r.run_id = e.run_id
                    WHERE e.source_id = u.source_id AND r.command = 'plan' ORDER BY e.id DESC LIMIT 1
                ) AS planned_as
                FROM users u WHERE u.source_id > ? ORDER BY u.source_id LIMIT ?
                """,
                (after, page_size),
            )
            for row in page:
                record = UserRecord.from_row(row)
                planned = UserState(row["planned_as"]) if row["planned_as"] else _planned_state(record)
                yield ReportUser(record, _DECISION.get(planned, "migrate"))
            if len(page) < page_size:
                return
            after = page[-1]["source_id"]


def _planned_state(record: UserRecord) -> UserState:
    # No plan run decided this user (a journal written by the library directly): its state says most.
    return record.state if record.state in _DECISION else UserState.PLANNED


def _from_julian(day: float) -> datetime:
    # Julian day 2440587.5 is 1970-01-01T00:00:00Z.
    return datetime.fromtimestamp((day - 2440587.5) * 86400.0, tz=UTC)
