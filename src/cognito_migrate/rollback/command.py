"""``rollback RUN``: delete from the pool the users one apply or sweep run created, and nothing else.

    journal: run RUN's migrated users ──► created by RUN? (selection.py) ──► kept, with why, if not
                                      ──► preview: how many, a few names ──► confirm (or --dry-run: stop)
                                      ──► journal: a rollback run (none while apply or sweep runs)
                                      ──► PoolDeleter: ours? then AdminDeleteUser, paced, threaded
                                      ──► journal: rolled_back, "deleted by rollback of run RUN"

Resumable: each user is journaled rolled back soon after it is deleted (in small batches), so a rollback
stopped half-way (Ctrl-C: exit 3) continues where it stopped when run again, and a user already gone
counts as rolled back. A re-plan plans rolled-back users again, so a later apply can migrate them anew.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cognito_migrate.aws.quotas import parse_quota_flags
from cognito_migrate.aws.ratelimit import rate_limiter_for_target
from cognito_migrate.aws.session import AwsSettings, settings_for_target
from cognito_migrate.config import load_plan_file
from cognito_migrate.errors import ConfigError
from cognito_migrate.journal import Journal, RunStatus, Transition, UserState
from cognito_migrate.planner.pool_reader import read_pool_profile
from cognito_migrate.reports.status import locate_journal
from cognito_migrate.results import CommandResult, Outcome
from cognito_migrate.rollback.deleter import DeleteOutcome, DeleteResult, PoolDeleter
from cognito_migrate.rollback.selection import UNDONE_COMMANDS, RunUser, Verdict, run_to_undo, run_users

SAMPLE = 5  # usernames shown before the question
SHOWN = 20  # kept or refused users listed for people
LISTED = 1000  # kept or refused users in --json (the counts are always complete)
FLUSH_USERS = 200  # rolled-back users journaled per transaction, or
FLUSH_SECONDS = 1.0  # at least this often: a crash then costs one lookup per unjournaled user


@dataclass
class RollbackPreview:
    """What a rollback of ``run_id`` would do, read from the journal alone (nothing asked of Cognito)."""

    run_id: int
    command: str
    pool_id: str
    to_delete: int = 0
    sample: list[str] = field(default_factory=list)
    """The first usernames to delete (all of them for a dry run)."""
    done: int = 0
    """Rolled back already."""
    kept: int = 0
    kept_users: list[RunUser] = field(default_factory=list)
    """The first kept users, with why."""


Confirm = Callable[[RollbackPreview], bool]


def rollback_command(
    plan_file: Path,
    run_id: int,
    *,
    journal_path: Path | None = None,
    dry_run: bool = False,
    confirm: Confirm | None = None,
    workers: int | None = None,
    quota_flags: Sequence[str] = (),
    settings: AwsSettings | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CommandResult:
    """Roll back run ``run_id`` of the plan's journal; see the module docstring.

    ``confirm`` is asked once, with the preview, before anything is deleted (``None``: do not ask);
    ``dry_run`` stops after the preview, which lists every user that would be deleted. ``workers``:
    deletions in flight at once (default: ``[strategy] workers``).
    """
    config = load_plan_file(plan_file)
    workers = workers or config.strategy.workers
    pool_id = config.target.pool_id
    with Journal.open(locate_journal(plan_file, journal_path)) as journal:
        run = run_to_undo(journal, run_id)
        _check_pool(journal, run_id, pool_id)
        preview = _preview(journal, run_id, run.command, pool_id, sample=None if dry_run else SAMPLE)
        if dry_run or not preview.to_delete:
            return _listing(preview, dry_run=dry_run)
        if confirm is not None and not confirm(preview):
            return CommandResult("rollback", Outcome.ERROR, {"rolled_back_run": run_id, "deleted": 0},
                                 ["Nothing deleted."])  # fmt: skip
        settings = settings or settings_for_target(
            config.target, profile=profile, region=region, endpoint_url=endpoint_url
        )
        limiter = rate_limiter_for_target(config.target, parse_quota_flags(quota_flags))
        idp = settings.client("cognito-idp", rate_limiter=limiter, max_pool_connections=max(10, workers + 4))
        legacy = _legacy_attribute(idp, pool_id, settings, config.strategy.legacy_id_attribute or None)
        rollback_id = journal.start_run("rollback", exclusive=True, exclusive_of=UNDONE_COMMANDS)
        undo = _Undo(journal, rollback_id, run_id)
        note = f"rollback of run {run_id}"
        try:
            undo.delete(PoolDeleter(idp, pool_id, legacy_id_attribute=legacy, workers=workers))
        except KeyboardInterrupt:
            journal.finish_run(
                rollback_id, RunStatus.INTERRUPTED, note=f"{note}, interrupted", calls=limiter.call_counts()
            )
            return undo.result(preview, Outcome.INTERRUPTED)
        except BaseException as exc:
            journal.finish_run(
                rollback_id,
                RunStatus.FAILED,
                note=f"{note} did not finish: {exc}",
                calls=limiter.call_counts(),
            )
            raise
        refused = bool(undo.not_ours or undo.failed)
        journal.finish_run(
            rollback_id,
            RunStatus.PARTIAL if refused else RunStatus.COMPLETED,
            note=note,
            calls=limiter.call_counts(),
        )
        return undo.result(preview, Outcome.PARTIAL if refused else Outcome.OK)


def _check_pool(journal: Journal, run_id: int, pool_id: str) -> None:
    """ConfigError when the run's import jobs went to another pool than the plan file's [target] now
    names: its usernames there may be other people's. (Admin-created users carry their journaled sub,
    which no other pool's user has.)"""
    elsewhere = sorted({job.pool_id for job in journal.import_jobs(run_id)} - {pool_id})
    if elsewhere:
        raise ConfigError(
            f"run {run_id} imported users into {', '.join(elsewhere)}, not into {pool_id}, the pool the "
            "plan file names now: use the plan file that run applied"
        )


def _legacy_attribute(idp: Any, pool_id: str, settings: AwsSettings, configured: str | None) -> str | None:
    """The legacy-id attribute the plan wrote: the configured one, if the pool's schema has it (the
    planner writes it only into such pools)."""
    if configured is None:
        return None
    profile = read_pool_profile(idp, pool_id, region=settings.resolved_region())
    return configured if configured in profile.attributes else None


def _preview(
    journal: Journal, run_id: int, command: str, pool_id: str, *, sample: int | None
) -> RollbackPreview:
    preview = RollbackPreview(run_id, command, pool_id)
    for user in run_users(journal, run_id):
        if user.verdict is Verdict.DELETE:
            preview.to_delete += 1
            if sample is None or len(preview.sample) < sample:
                preview.sample.append(user.username)
        elif user.verdict is Verdict.DONE:
            preview.done += 1
        else:
            preview.kept += 1
            if len(preview.kept_users) < LISTED:
                preview.kept_users.append(user)
    return preview


class _Undo:
    """One rollback run: deletes run ``run_id``'s users, journaling each as its result comes in."""

    def __init__(self, journal: Journal, rollback_id: int, run_id: int) -> None:
        self.journal, self.rollback_id, self.run_id = journal, rollback_id, run_id
        self.deleted = self.gone = 0
        self.not_ours: list[DeleteResult] = []
        self.failed: list[DeleteResult] = []

    def delete(self, deleter: PoolDeleter) -> None:
        pending: list[Transition] = []
        flush_at = time.monotonic() + FLUSH_SECONDS
        # Streamed from the journal: the users still to delete, re-read now (not the preview's list).
        users = (user for user in run_users(self.journal, self.run_id) if user.verdict is Verdict.DELETE)
        try:
            for result in deleter.run(users):
                change = self._record(result)
                if change is not None:
                    pending.append(change)
                if len(pending) >= FLUSH_USERS or time.monotonic() >= flush_at:
                    self.journal.transition(self.rollback_id, pending)
                    pending, flush_at = [], time.monotonic() + FLUSH_SECONDS
        finally:
            # On Ctrl-C too: every user known deleted is journaled before the run ends.
            self.journal.transition(self.rollback_id, pending)

    def _record(self, result: DeleteResult) -> Transition | None:
        source_id = result.user.source_id
        if result.outcome is DeleteOutcome.DELETED:
            self.deleted += 1
            return Transition(source_id, UserState.ROLLED_BACK, f"deleted by rollback of run {self.run_id}")
        if result.outcome is DeleteOutcome.GONE:
            self.gone += 1
            return Transition(
                source_id,
                UserState.ROLLED_BACK,
                f"{result.detail}: rolled back by rollback of run {self.run_id}",
            )
        (self.not_ours if result.outcome is DeleteOutcome.NOT_OURS else self.failed).append(result)
        return None

    def result(self, preview: RollbackPreview, outcome: Outcome) -> CommandResult:
        run = f"{preview.command} run {self.run_id}"
        data: dict[str, Any] = {
            "run_id": self.rollback_id,
            "rolled_back_run": self.run_id,
            "pool_id": preview.pool_id,
            "deleted": self.deleted,
            "already_gone": self.gone,
            "already_rolled_back": preview.done,
            "kept": preview.kept,
            "kept_users": [_kept(user) for user in preview.kept_users],
            "not_ours": [_refused(r) for r in self.not_ours[:LISTED]],
            "failed": [_refused(r) for r in self.failed[:LISTED]],
        }
        lines = [
            f"Rollback run {self.rollback_id} of {run}: {_users(self.deleted)} deleted from {preview.pool_id}"
        ]
        if self.gone:
            lines.append(f"  {_users(self.gone)} not in the pool any more: journaled rolled back too")
        lines += _kept_lines(preview)
        if self.not_ours:
            lines.append(f"  {_users(len(self.not_ours))} left alone: the pool's user of that name is not "
                         f"the one {run} created")  # fmt: skip
            lines += _detail_lines(self.not_ours)
        if self.failed:
            lines.append(f"  {_users(len(self.failed))} not deleted (still migrated: run rollback again):")
            lines += _detail_lines(self.failed)
        if outcome is Outcome.INTERRUPTED:
            lines.append(f"Interrupted. Run cognito-migrate rollback {self.run_id} again to continue.")
        else:
            lines.append("Deleted users are journaled rolled_back; plan again to migrate them anew.")
        return CommandResult("rollback", outcome, data, lines)


def _listing(preview: RollbackPreview, *, dry_run: bool) -> CommandResult:
    """The dry run's answer (every user that would be deleted), or that there is nothing to delete."""
    run = f"{preview.command} run {preview.run_id}"
    data: dict[str, Any] = {
        "run_id": None,
        "rolled_back_run": preview.run_id,
        "pool_id": preview.pool_id,
        "dry_run": dry_run,
        "to_delete": preview.to_delete,
        "usernames": preview.sample,
        "already_rolled_back": preview.done,
        "kept": preview.kept,
        "kept_users": [_kept(user) for user in preview.kept_users],
    }
    if preview.to_delete:
        lines = [
            f"Dry run: rollback of {run} would delete {_users(preview.to_delete)} from {preview.pool_id}:"
        ]
        lines += [f"  {name}" for name in preview.sample]
    else:
        lines = [f"Nothing to delete: {run} has no created user still in the journal as migrated."]
    if preview.done:
        lines.append(f"  {_users(preview.done)} of {run} rolled back already")
    lines += _kept_lines(preview)
    return CommandResult("rollback", Outcome.OK, data, lines)


def _kept_lines(preview: RollbackPreview) -> list[str]:
    if not preview.kept:
        return []
    lines = [f"  {_users(preview.kept)} kept that {preview.command} run {preview.run_id} migrated:"]
    lines += [f"    {user.username} ({user.source_id}): {user.why}" for user in preview.kept_users[:SHOWN]]
    return lines


def _detail_lines(results: list[DeleteResult]) -> list[str]:
    return [f"    {r.user.username} ({r.user.source_id}): {r.detail}" for r in results[:SHOWN]]


def _users(n: int) -> str:
    return f"{n:,} user" if n == 1 else f"{n:,} users"


def _kept(user: RunUser) -> dict[str, str | None]:
    return {"source_id": user.source_id, "username": user.username, "why": user.why}


def _refused(result: DeleteResult) -> dict[str, str]:
    return {"source_id": result.user.source_id, "username": result.user.username, "why": result.detail}
