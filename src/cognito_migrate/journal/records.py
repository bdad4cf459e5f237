"""The values that go into and come out of the journal.

Everything here is a frozen dataclass: a record read from the journal is a snapshot, and changing it
must go through :class:`~cognito_migrate.journal.Journal` so that the change is validated and recorded
in the user's history. Nothing here holds a password or a hash, by design.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from cognito_migrate.journal.states import RunStatus, UserState


def utc_now() -> str:
    """Now, as the ISO-8601 UTC text the journal stores."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class PlannedUser:
    """One user as the planner decided: to migrate (``planned``) or not (``rejected`` or ``skipped``,
    with a reason)."""

    source_id: str
    username: str
    strategy: str | None = None
    state: UserState = UserState.PLANNED
    reason: str | None = None

    def __post_init__(self) -> None:
        # Planning only ever decides planned, rejected or skipped; without this check, re-planning a
        # planned user as "submitted" would pass the state machine and skip the pending-mark protocol.
        if self.state not in (UserState.PLANNED, UserState.REJECTED, UserState.SKIPPED):
            raise ValueError(
                f"user {self.source_id!r}: a plan can only mark users planned, rejected or skipped, "
                f"not {self.state}"
            )


@dataclass(frozen=True, slots=True)
class Transition:
    """A requested state change. ``None`` fields leave the stored value as it is (``reason`` is replaced)."""

    source_id: str
    to_state: UserState
    reason: str | None = None
    cognito_sub: str | None = None
    import_job_id: str | None = None
    import_line: int | None = None


@dataclass(frozen=True, slots=True)
class AddResult:
    """What :meth:`Journal.add_users` did with the users it was given."""

    added: int = 0
    """New to the journal."""
    updated: int = 0
    """Already planned, rejected, failed, skipped or rolled back, and re-planned with a different state,
    reason, username or strategy."""
    unchanged: int = 0
    """Already planned, rejected, failed, skipped or rolled back, exactly as planned now."""
    kept: int = 0
    """Already submitted or migrated: left alone, the plan no longer decides for them."""

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + self.kept


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One user's current row in the journal."""

    source_id: str
    username: str
    strategy: str | None
    state: UserState
    reason: str | None
    attempts: int
    cognito_sub: str | None
    import_job_id: str | None
    import_line: int | None
    last_run_id: int | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> UserRecord:
        return cls(
            source_id=row["source_id"],
            username=row["username"],
            strategy=row["strategy"],
            state=UserState(row["state"]),
            reason=row["reason"],
            attempts=row["attempts"],
            cognito_sub=row["cognito_sub"],
            import_job_id=row["import_job_id"],
            import_line=row["import_line"],
            last_run_id=row["last_run_id"],
            updated_at=_time(row["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class UserEvent:
    """One step in a user's history; ``from_state`` is ``None`` when the user entered the journal."""

    id: int
    source_id: str
    run_id: int | None
    from_state: UserState | None
    to_state: UserState
    reason: str | None
    at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> UserEvent:
        return cls(
            id=row["id"],
            source_id=row["source_id"],
            run_id=row["run_id"],
            from_state=None if row["from_state"] is None else UserState(row["from_state"]),
            to_state=UserState(row["to_state"]),
            reason=row["reason"],
            at=_time(row["at"]),
        )


@dataclass(frozen=True, slots=True)
class Run:
    """One command run (``plan``, ``apply``, …) that wrote to the journal."""

    run_id: int
    command: str
    plan_checksum: str | None
    status: RunStatus
    pid: int
    host: str
    started_at: datetime
    finished_at: datetime | None
    note: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Run:
        return cls(
            run_id=row["run_id"],
            command=row["command"],
            plan_checksum=row["plan_checksum"],
            status=RunStatus(row["status"]),
            pid=row["pid"],
            host=row["host"],
            started_at=_time(row["started_at"]),
            finished_at=_maybe_time(row["finished_at"]),
            note=row["note"],
        )


@dataclass(frozen=True, slots=True)
class ImportJobRecord:
    """A Cognito user import job as last seen; counts are ``None`` until Cognito reports them."""

    job_id: str
    run_id: int | None
    pool_id: str
    job_name: str
    password_algorithm: str | None
    file_name: str | None
    user_count: int | None
    status: str
    imported: int | None
    skipped: int | None
    failed: int | None
    completion_message: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ImportJobRecord:
        return cls(
            job_id=row["job_id"],
            run_id=row["run_id"],
            pool_id=row["pool_id"],
            job_name=row["job_name"],
            password_algorithm=row["password_algorithm"],
            file_name=row["file_name"],
            user_count=row["user_count"],
            status=row["status"],
            imported=row["imported"],
            skipped=row["skipped"],
            failed=row["failed"],
            completion_message=row["completion_message"],
            created_at=_time(row["created_at"]),
            updated_at=_time(row["updated_at"]),
        )
