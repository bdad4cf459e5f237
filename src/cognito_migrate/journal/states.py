"""The user state machine and run statuses.

``ALLOWED`` is the single place that says which state changes exist; the journal refuses every other
change with :class:`~cognito_migrate.errors.IllegalTransition`, so a bug in a strategy cannot, say, turn a
migrated user back into a submitted one and migrate it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from cognito_migrate.errors import IllegalTransition


class UserState(StrEnum):
    """Where one source user stands in the migration."""

    PLANNED = "planned"
    """The plan decided to migrate the user; nothing has been sent to Cognito yet."""
    SUBMITTED = "submitted"
    """Written *before* the remote call. A user left here after a crash is in doubt: Cognito may or may
    not have the user, and the next ``apply`` must look before it sends again."""
    MIGRATED = "migrated"
    """Cognito has the user."""
    SKIPPED = "skipped"
    """Deliberately not migrated during apply (e.g. already present in the pool)."""
    FAILED = "failed"
    """Cognito refused the user or gave up; ``reason`` says why. It may be planned again."""
    REJECTED = "rejected"
    """The planner refused the user before anything was sent; ``reason`` says why."""
    ROLLED_BACK = "rolled_back"
    """Migrated, then deleted from the pool by ``rollback`` (or found already gone by it). A re-plan
    may plan the user again."""


TERMINAL: frozenset[UserState] = frozenset({UserState.MIGRATED, UserState.SKIPPED})
"""States apply never moves a user out of: only ``rollback`` takes a migrated user further, and only a
re-plan a skipped one."""

ALLOWED: Mapping[UserState | None, frozenset[UserState]] = MappingProxyType(
    {
        # None is a user entering the journal; the planner skips users a selection rule leaves out.
        None: frozenset({UserState.PLANNED, UserState.REJECTED, UserState.SKIPPED}),
        # planned → planned is a re-plan that changed the strategy or username.
        UserState.PLANNED: frozenset(
            {UserState.SUBMITTED, UserState.REJECTED, UserState.SKIPPED, UserState.PLANNED}
        ),
        # submitted → submitted is a re-attempt after a crash left the user in doubt.
        UserState.SUBMITTED: frozenset(
            {UserState.MIGRATED, UserState.SKIPPED, UserState.FAILED, UserState.SUBMITTED}
        ),
        UserState.FAILED: frozenset({UserState.SUBMITTED, UserState.PLANNED, UserState.REJECTED}),
        UserState.REJECTED: frozenset({UserState.PLANNED, UserState.REJECTED}),
        # Only rollback moves a migrated user on: Cognito no longer has the user it created.
        UserState.MIGRATED: frozenset({UserState.ROLLED_BACK}),
        # Nothing was written to the pool for a skipped user, so a re-plan may decide again (a user the
        # selection left out may have become active; one found in the pool is found there again).
        UserState.SKIPPED: frozenset({UserState.PLANNED, UserState.REJECTED, UserState.SKIPPED}),
        # The pool no longer has a rolled-back user, so a re-plan decides afresh, as for a skipped one.
        UserState.ROLLED_BACK: frozenset({UserState.PLANNED, UserState.REJECTED, UserState.SKIPPED}),
    }
)


def check_transition(source_id: str, old: UserState | None, new: UserState) -> None:
    """Raise :class:`IllegalTransition` unless ``old → new`` is in :data:`ALLOWED`."""
    if new not in ALLOWED.get(old, frozenset()):
        origin = "(new user)" if old is None else old.value
        raise IllegalTransition(f"user {source_id!r} cannot go from {origin} to {new.value}")


class RunStatus(StrEnum):
    """How one command run against the journal ended (or that it has not yet)."""

    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    """Finished, but some users were rejected or failed."""
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """The process died without finishing; found when the journal was next opened."""
