"""What a CSV import cannot carry, applied through the admin API: groups, memberships, disabled state.

    runner = FollowUpRunner(idp, pool_id)
    created = runner.ensure_groups(definitions, {"staff", "gpu"})   # CreateGroup where missing
    for done in runner.run(followups):                                     # in any order, threaded
        journal ... done.error is None → migrated, else failed with done.error

Every call here is idempotent in Cognito (adding a member twice, disabling a disabled user), so a run
that died half-way simply runs the follow-ups of its unfinished users again. Calls spend the shared
rate limiter's tokens like every other call (UserUpdate is 25/s per account); a few threads keep that
budget busy when each call takes tens of milliseconds to answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.errors import RemoteError, TerminalError
from cognito_migrate.sources.records import GroupDefinition

DEFAULT_WORKERS = 4


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One migrated user's remaining work: the groups to join and whether to disable them."""

    source_id: str
    username: str
    groups: tuple[str, ...] = ()
    disable: bool = False

    @property
    def needed(self) -> bool:
        return bool(self.groups) or self.disable


@dataclass(frozen=True, slots=True)
class FollowUpDone:
    followup: FollowUp
    error: str | None  # None: every group joined and the user disabled if asked

    @property
    def summary(self) -> str:
        """For the journal's reason: what was done (never a password or a hash)."""
        parts = []
        if self.followup.groups:
            parts.append(f"groups {', '.join(self.followup.groups)}")
        if self.followup.disable:
            parts.append("disabled")
        return "; ".join(parts)


class FollowUpRunner:
    def __init__(self, idp: Any, pool_id: str, *, workers: int = DEFAULT_WORKERS) -> None:
        self._idp = idp
        self._pool_id = pool_id
        self._workers = max(1, workers)

    def ensure_groups(self, definitions: Iterable[GroupDefinition], needed: Iterable[str]) -> list[str]:
        """Create each ``needed`` group the pool lacks, with the source's description, precedence and
        role where it defines them; returns the names created. Nothing needed: no call at all."""
        wanted = set(needed)
        if not wanted:
            return []
        known = {definition.name: definition for definition in definitions}
        with map_cognito_errors("ListGroups"):
            pages = self._idp.get_paginator("list_groups").paginate(UserPoolId=self._pool_id)
            have = {group["GroupName"] for page in pages for group in page["Groups"]}
        created = []
        for name in sorted(wanted - have):
            definition = known.get(name, GroupDefinition(name))
            params: dict[str, Any] = {"UserPoolId": self._pool_id, "GroupName": name}
            if definition.description:
                params["Description"] = definition.description
            if definition.precedence is not None:
                params["Precedence"] = definition.precedence
            if definition.role_arn:
                params["RoleArn"] = definition.role_arn
            try:
                with map_cognito_errors("CreateGroup"):
                    self._idp.create_group(**params)
            except TerminalError as exc:
                if exc.code != "GroupExistsException":  # created meanwhile (another run): fine
                    raise
                continue
            created.append(name)
        return created

    def run(self, followups: Iterable[FollowUp]) -> Iterator[FollowUpDone]:
        """Apply each follow-up; yields one result per user as it finishes (not in input order).

        A user's failure is its result (the message names the call and Cognito's error code); it
        never stops the others. Only an interrupt (Ctrl-C) ends the iteration early.
        """
        work = (followup for followup in followups if followup.needed)
        with ThreadPoolExecutor(self._workers, thread_name_prefix="followup") as pool:
            # A bounded window of calls in flight, so a million users never become a million futures.
            window = self._workers * 4
            pending = []
            for followup in work:
                pending.append(pool.submit(self._one, followup))
                if len(pending) >= window:
                    yield pending.pop(0).result()
            for future in pending:
                yield future.result()

    def _one(self, followup: FollowUp) -> FollowUpDone:
        try:
            apply_followup(self._idp, self._pool_id, followup)
        except RemoteError as exc:
            return FollowUpDone(followup, str(exc))
        return FollowUpDone(followup, None)


def apply_followup(idp: Any, pool_id: str, followup: FollowUp) -> None:
    """Join ``followup``'s groups, then disable the user if asked; raises ``RemoteError`` naming the
    call that failed. Shared by the CSV-import follow-ups and the admin strategy's last steps."""
    for group in followup.groups:
        with map_cognito_errors("AdminAddUserToGroup"):
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=followup.username, GroupName=group)
    if followup.disable:
        with map_cognito_errors("AdminDisableUser"):
            idp.admin_disable_user(UserPoolId=pool_id, Username=followup.username)
