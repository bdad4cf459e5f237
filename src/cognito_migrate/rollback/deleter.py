"""``PoolDeleter``: deletes the users a run created, each only once it is sure the pool user is ours.

    deleter = PoolDeleter(idp, pool_id, legacy_id_attribute="custom:legacy_id")
    for result in deleter.run(users):       # as they finish, not in input order
        journal ... result.outcome: deleted / gone → rolled_back; not_ours, failed → left as they are

Per user, in a worker thread: AdminGetUser (by the journaled username) → is this the user the run
created? → AdminDeleteUser (by the pool's stored name). A username is no proof: someone may have
deleted the user and made a new one of the same name since. So the pool user must carry the ``sub``
the journal recorded; without one (CSV imports record none), the source id in the legacy-id attribute
the plan wrote; without that attribute in the pool, a creation date no later than the migration. Every
call goes through the client's rate limiter (AdminDeleteUser spends UserUpdate, 25/s per account;
AdminGetUser UserRead), so a few workers keep the budget busy without exceeding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.workers import map_in_threads
from cognito_migrate.errors import RemoteError, TerminalError
from cognito_migrate.rollback.selection import RunUser
from cognito_migrate.strategies.admin.calls import PoolUser

DEFAULT_WORKERS = 8

CLOCK_SKEW = timedelta(minutes=2)
"""How far Cognito's clock and this machine's may disagree when a creation date is all there is to go
by: a pool user created more than this after the run journaled the migration is someone else's."""


class DeleteOutcome(StrEnum):
    DELETED = "deleted"
    GONE = "gone"
    """Not in the pool any more (deleted by hand, or by an earlier rollback whose journal write was lost)."""
    NOT_OURS = "not_ours"
    """The pool's user of that name is not the one the run created: left alone."""
    FAILED = "failed"
    """Cognito refused or gave up; the user stays migrated and a later rollback tries again."""


@dataclass(frozen=True, slots=True)
class DeleteResult:
    user: RunUser
    outcome: DeleteOutcome
    detail: str = ""


class PoolDeleter:
    """Deletes ``RunUser``s from ``pool_id``; see the module docstring.

    ``legacy_id_attribute``: the attribute the plan wrote the source id to, or ``None`` when the pool
    has none (then the creation date decides for users without a journaled ``sub``).
    """

    def __init__(
        self, idp: Any, pool_id: str, *, legacy_id_attribute: str | None, workers: int = DEFAULT_WORKERS
    ) -> None:
        self._idp = idp
        self._pool_id = pool_id
        self._legacy = legacy_id_attribute
        self._workers = max(1, workers)

    def run(self, users: Iterable[RunUser]) -> Iterator[DeleteResult]:
        """One result per user, as each finishes; at most ``2 × workers`` users ahead of their results.

        On Ctrl-C no further user starts; those already at Cognito finish and are still yielded, then
        KeyboardInterrupt is raised. A user taken but never yielded may or may not be deleted: the next
        rollback finds it deleted (gone) or deletes it.
        """
        return map_in_threads(self._delete, users, workers=self._workers, name="rollback")

    # ── one user, in a worker thread ───────────────────────────────────────────────────────────────

    def _delete(self, user: RunUser) -> DeleteResult:
        import botocore.exceptions

        try:
            found = self._get(user.username)
            if found is None:
                return DeleteResult(user, DeleteOutcome.GONE, "not in the pool any more")
            pool_user, created = found
            why = self._not_ours(user, pool_user, created)
            if why is not None:
                return DeleteResult(user, DeleteOutcome.NOT_OURS, why)
            try:
                with map_cognito_errors("AdminDeleteUser"):
                    self._idp.admin_delete_user(UserPoolId=self._pool_id, Username=pool_user.username)
            except TerminalError as exc:
                if exc.code != "UserNotFoundException":
                    raise
                return DeleteResult(user, DeleteOutcome.GONE, "deleted by someone else meanwhile")
            return DeleteResult(user, DeleteOutcome.DELETED)
        except RemoteError as exc:
            return DeleteResult(user, DeleteOutcome.FAILED, str(exc))
        except botocore.exceptions.BotoCoreError as exc:
            return DeleteResult(user, DeleteOutcome.FAILED, f"{type(exc).__name__}: {exc}")

    def _get(self, username: str) -> tuple[PoolUser, datetime | None] | None:
        try:
            with map_cognito_errors("AdminGetUser"):
                response = self._idp.admin_get_user(UserPoolId=self._pool_id, Username=username)
        except TerminalError as exc:
            if exc.code == "UserNotFoundException":
                return None
            raise
        created = response.get("UserCreateDate")
        return PoolUser.from_response(response, "UserAttributes"), created

    def _not_ours(self, user: RunUser, pool_user: PoolUser, created: datetime | None) -> str | None:
        """Why ``pool_user`` is not the user the run created, or ``None`` when it is."""
        record = user.record
        if record.cognito_sub:
            if pool_user.sub == record.cognito_sub:
                return None
            return (
                f"the pool's {pool_user.username!r} has sub {pool_user.sub}, not the {record.cognito_sub} "
                "the run created: recreated since"
            )
        if self._legacy is not None:
            held = pool_user.attributes.get(self._legacy)
            if held == record.source_id:
                return None
            shown = "no " + self._legacy if held is None else f"{self._legacy} {held!r}"
            return f"the pool's {pool_user.username!r} has {shown}: not the user the run created"
        if created is None:
            return f"the pool's {pool_user.username!r} has no sub, legacy id or creation date to match"
        if created <= user.migrated_at + CLOCK_SKEW:
            return None
        return (
            f"the pool's {pool_user.username!r} was created {created.isoformat(timespec='seconds')}, after "
            f"the run migrated the user ({user.migrated_at.isoformat(timespec='seconds')}): recreated since"
        )
