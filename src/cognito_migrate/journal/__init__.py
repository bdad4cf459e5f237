"""The migration journal: every source user's state, in one SQLite file next to the plan.

It is what makes ``apply`` resumable and idempotent, and what ``status``, ``verify``, ``rollback`` and the
reports read. Users move through the state machine in :mod:`~cognito_migrate.journal.states`
(planned → submitted → migrated | skipped | failed, or rejected by the planner); every change is
validated, recorded in the user's history, and committed in batches that are all-or-nothing.
The file is created 0600 and never holds a password or a hash.

Example::

    from pathlib import Path

    from cognito_migrate.journal import Journal, PlannedUser, RunStatus, default_journal_path

    with Journal.open(default_journal_path(Path("migration.toml"))) as journal:
        run = journal.start_run("plan", plan_checksum="sha256:…")
        result = journal.add_users(run, [PlannedUser("42", "ada", strategy="admin")])
        journal.finish_run(run, RunStatus.COMPLETED)
        print(result.added, journal.counts())
"""

from cognito_migrate.journal.records import (
    AddResult,
    ImportJobRecord,
    PlannedUser,
    Run,
    Transition,
    UserEvent,
    UserRecord,
)
from cognito_migrate.journal.schema import MIGRATIONS, schema_version
from cognito_migrate.journal.states import ALLOWED, TERMINAL, RunStatus, UserState, check_transition
from cognito_migrate.journal.store import DEFAULT_BATCH_SIZE, Journal, default_journal_path

__all__ = [
    "ALLOWED",
    "DEFAULT_BATCH_SIZE",
    "MIGRATIONS",
    "TERMINAL",
    "AddResult",
    "ImportJobRecord",
    "Journal",
    "PlannedUser",
    "Run",
    "RunStatus",
    "Transition",
    "UserEvent",
    "UserRecord",
    "UserState",
    "check_transition",
    "default_journal_path",
    "schema_version",
]
