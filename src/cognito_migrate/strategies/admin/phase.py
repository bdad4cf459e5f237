"""The admin-API part of a saved plan, applied: every user created (or updated) and journaled.

    admin-users.jsonl ──► batches of users still to do (journal: planned, or submitted and in doubt)
                     ──► journal: the batch marked submitted (the pending mark, before any call)
                     ──► AdminRunner: create, password, groups, disabled — paced, threaded
                     ──► journal: migrated (with the new sub) | skipped | failed, with the reason

A run that dies leaves its users submitted; the next run hands them to the runner as ``in_doubt``, which
looks each one up before creating it, so nobody is created twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from cognito_migrate.errors import ConfigError
from cognito_migrate.journal import Journal, Transition, UserState
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.strategies.admin.runner import AdminResult, AdminRunner
from cognito_migrate.strategies.admin.users import AdminUser
from cognito_migrate.strategies.payload import read_payload

BATCH = 500  # users marked submitted per journal transaction before the runner gets them
FLUSH_USERS = 200  # results journaled per transaction, or
FLUSH_SECONDS = 1.0  # at least this often

_STATE = {"migrated": UserState.MIGRATED, "skipped": UserState.SKIPPED, "failed": UserState.FAILED}


class AdminListener:
    """What a person watching is told (all no-ops here)."""

    def admin_started(self, users: int) -> None:
        """``users`` users will be sent (the progress bar's total)."""

    def admin_result(self, result: AdminResult) -> None:
        """One user finished."""


@dataclass
class AdminPhaseResult:
    migrated: int = 0
    skipped: int = 0
    failed: int = 0
    notices: list[str] = field(default_factory=list)


class AdminPhase:
    def __init__(
        self,
        journal: Journal,
        run_id: int,
        saved: SavedPlan,
        runner: AdminRunner,
        *,
        listener: AdminListener | None = None,
        retry_failed: bool = False,
        credentials: Path | None = None,
        invite: bool = False,
        passwords: Mapping[str, str] | None = None,
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.saved = saved
        self.runner = runner
        self.listener = listener or AdminListener()
        self.retry_failed = retry_failed
        self.credentials = credentials
        self.invite = invite
        self.passwords = passwords or {}
        self.result = AdminPhaseResult()

    def run(self) -> AdminPhaseResult:
        todo = check_credentials(self.journal, self.saved, retry_failed=self.retry_failed,
                                 credentials=self.credentials, invite=self.invite,
                                 passwords=self.passwords)  # fmt: skip
        if not todo:
            return self.result
        self.listener.admin_started(todo)
        pending: list[Transition] = []
        flush_at = time.monotonic() + FLUSH_SECONDS
        users = users_to_send(self.journal, self.saved, retry_failed=self.retry_failed,
                              passwords=self.passwords)  # fmt: skip
        for result in self.runner.run(self._submitted(users)):
            state = _STATE[result.state]
            pending.append(Transition(result.user.source_id, state, result.reason, cognito_sub=result.sub))
            setattr(self.result, result.state, getattr(self.result, result.state) + 1)
            self.listener.admin_result(result)
            # Written often enough that a crash leaves few users in doubt (each costs a lookup next run).
            if len(pending) >= FLUSH_USERS or time.monotonic() >= flush_at:
                self.journal.transition(self.run_id, pending)
                pending, flush_at = [], time.monotonic() + FLUSH_SECONDS
        self.journal.transition(self.run_id, pending)
        return self.result

    def _submitted(self, users: Iterator[AdminUser]) -> Iterator[AdminUser]:
        """The pending mark: each batch is journaled as submitted before the runner sees any of it."""
        while batch := list(islice(users, BATCH)):
            records = self.journal.get_users(user.source_id for user in batch)
            fresh = [user.source_id for user in batch if records[user.source_id].state != UserState.SUBMITTED]
            if fresh:
                self.journal.mark_submitted(self.run_id, fresh)
            yield from batch


def admin_file(saved: SavedPlan) -> Path | None:
    entry = saved.manifest.get("admin")
    return saved.plan_dir / entry["name"] if entry else None


def users_to_send(
    journal: Journal, saved: SavedPlan, *, retry_failed: bool, passwords: Mapping[str, str] | None = None
) -> Iterator[AdminUser]:
    """The admin file's users that still need sending, with their in-doubt mark, in file order."""
    path = admin_file(saved)
    if path is None:
        return
    sendable = {UserState.PLANNED, UserState.SUBMITTED}
    if retry_failed:
        sendable.add(UserState.FAILED)
    lines = read_payload(path)
    while batch := list(islice(lines, BATCH)):
        records = journal.get_users(line["source_id"] for line in batch)
        for line in batch:
            record = records.get(line["source_id"])
            if record is not None and record.state in sendable:
                # A failed user may have failed after Cognito created it: look before creating again.
                in_doubt = record.state in (UserState.SUBMITTED, UserState.FAILED)
                yield _admin_user(line, in_doubt=in_doubt, passwords=passwords or {})


def check_credentials(
    journal: Journal,
    saved: SavedPlan,
    *,
    retry_failed: bool,
    credentials: Path | None,
    invite: bool = False,
    passwords: Mapping[str, str] | None = None,
) -> int:
    """How many users the admin phase will send; ConfigError now, before anything is sent, when some
    get a generated password and there is no credentials file to put it in. (With ``invite``, Cognito
    makes temporary passwords up itself and sends them in the invitation.)"""
    todo = generated = 0
    for user in users_to_send(journal, saved, retry_failed=retry_failed, passwords=passwords):
        todo += 1
        mode = user.password  # a mode name ("temporary" / "permanent" / "none"), never a password
        generated += (mode == "permanent" and user.clear_password is None) or (
            mode == "temporary" and not invite
        )
    if generated and credentials is None:
        raise ConfigError(
            f"{generated:,} admin users get a generated password; it must go to a file only you can "
            "read: add --credentials FILE (created 0600)"
        )
    return todo


def _admin_user(line: dict[str, Any], *, in_doubt: bool, passwords: Mapping[str, str]) -> AdminUser:
    return AdminUser(
        source_id=line["source_id"],
        username=line["username"],
        attributes=dict(line["attributes"]),
        groups=tuple(line.get("groups") or ()),
        enabled=bool(line.get("enabled", True)),
        password=line.get("password") or "none",
        in_doubt=in_doubt,
        in_pool=bool(line.get("update")),  # already in the pool before this migration: on_existing decides
        # A permanent password from a trusted source (--passwords), else the runner generates one.
        clear_password=passwords.get(line["source_id"]) if line.get("password") == "permanent" else None,
    )
