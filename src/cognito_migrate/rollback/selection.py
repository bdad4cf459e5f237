"""Which users a rollback of one run deletes: those the journal says that run *created*.

A run's migrated users are not all its own creations. ``on_existing = "update"`` migrates a user the
pool already had by updating its attributes, and ``sweep`` journals users the migrate-user trigger
created when they signed in; deleting those would destroy accounts this run never made. So a user is
deleted only when the reason its run journaled says the run created it, and only while the journal
still holds it as that run's migrated user (not rolled back already, not re-planned or migrated again
by a later run).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cognito_migrate.errors import ConfigError, JournalError
from cognito_migrate.journal import Journal, Run, RunStatus, UserRecord, UserState
from cognito_migrate.strategies.admin.runner import CREATED, CREATED_EARLIER, UPDATED_EXISTING
from cognito_migrate.strategies.csv_import.apply import IMPORT_LINE_PREFIX
from cognito_migrate.trigger.sweep import SIGNED_IN

UNDONE_COMMANDS = ("apply", "sweep")
"""The commands whose runs create users, and so can be rolled back."""

# The reasons the strategies journal for a user they created, by their start (the strategies' own
# constants). Matched positively: a reason this list does not know keeps its user, since deleting is the
# one step that cannot be undone.
_CREATED = (
    CREATED,  # AdminCreateUser ("created", "created and invited")
    CREATED_EARLIER,  # admin: an in-doubt user an earlier attempt created
    IMPORT_LINE_PREFIX,  # "import job ID line N: …" for an imported line
)
_UPDATED = UPDATED_EXISTING  # admin, on_existing = "update": "already in the pool: attributes …"
_SIGNED_IN = SIGNED_IN  # the sweep's reason for a user the trigger created


class Verdict(StrEnum):
    DELETE = "delete"
    """Created by the run and still journaled as its migrated user: to be deleted."""
    DONE = "done"
    """Rolled back already (an earlier rollback was interrupted, or ran before)."""
    KEPT = "kept"
    """Migrated by the run without being created by it, or moved on since: left alone."""


@dataclass(frozen=True, slots=True)
class RunUser:
    """One user the run migrated, with what rollback does with it."""

    record: UserRecord
    migrated_at: datetime
    """When the run journaled the user migrated: a pool user created later is not the run's."""
    verdict: Verdict
    why: str | None = None
    """Why a kept user is kept."""

    @property
    def source_id(self) -> str:
        return self.record.source_id

    @property
    def username(self) -> str:
        return self.record.username


def run_to_undo(journal: Journal, run_id: int) -> Run:
    """Run ``run_id`` of ``journal``: ConfigError unless it is an apply or sweep run, JournalError while
    an apply, sweep or rollback run is still running."""
    try:
        run = journal.get_run(run_id)
    except JournalError as exc:
        runs = [f"{r.run_id} ({r.command})" for r in journal.runs() if r.command in UNDONE_COMMANDS]
        known = ", ".join(runs[-10:]) or "none yet"
        raise ConfigError(f"{exc}; apply and sweep runs: {known} (see cognito-migrate status)") from exc
    if run.command not in UNDONE_COMMANDS:
        raise ConfigError(
            f"run {run_id} is a {run.command} run, which created no users; rollback undoes apply and "
            "sweep runs (see cognito-migrate status)"
        )
    # Checked again, atomically, when the rollback run starts; asked here first so that nothing is
    # previewed or confirmed while users are still moving.
    for other in journal.runs():
        if other.status is RunStatus.RUNNING and other.command in (*UNDONE_COMMANDS, "rollback"):
            raise JournalError(
                f"{other.command} run {other.run_id} is still running (pid {other.pid} on {other.host}); "
                "roll back once it has finished or been stopped"
            )
    return run


def created_by_its_run(reason: str | None) -> bool:
    """Whether a migrated user's journaled reason says its run created the user in the pool."""
    return reason is not None and reason.startswith(_CREATED)


def classify(record: UserRecord, migrated_at: datetime, reason: str | None, run_id: int) -> RunUser:
    """What rollback of ``run_id`` does with ``record``, which that run migrated with ``reason``."""
    if record.state is UserState.ROLLED_BACK:
        return RunUser(record, migrated_at, Verdict.DONE)
    if record.state is not UserState.MIGRATED or record.last_run_id != run_id:
        why = f"now {record.state} (run {record.last_run_id} moved it on since)"
        return RunUser(record, migrated_at, Verdict.KEPT, why)
    if created_by_its_run(reason):
        return RunUser(record, migrated_at, Verdict.DELETE)
    if reason is not None and reason.startswith(_UPDATED):
        why = "already in the pool before: the run updated it (on_existing = update), did not create it"
    elif reason == _SIGNED_IN:
        why = "created by the migrate-user trigger when the user signed in, not by the run"
    else:
        why = f"not journaled as created by the run ({reason or 'no reason recorded'})"
    return RunUser(record, migrated_at, Verdict.KEPT, why)


def run_users(journal: Journal, run_id: int) -> Iterator[RunUser]:
    """Every user run ``run_id`` migrated, in the order it migrated them, each with its verdict."""
    for record, event in journal.migrated_by_run(run_id):
        yield classify(record, event.at, event.reason, run_id)
