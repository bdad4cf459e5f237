"""``apply``: execute a saved plan against the pool, exactly, resumably, with a result for every user.

    saved plan ──► still fits the pool and plan file? ──► journal: one apply at a time
               ──► groups the plan's users join (created where missing)
               ──► CSV import jobs (strategies/csv_import/apply.py) ──► journal, user by user
               ──► admin and just-in-time users: issues 7 and 8 (they stay planned until then)

Stopping is safe at any point: Ctrl-C stops the running import job and ends the run as interrupted
(exit 3); a SIGKILL leaves the journal saying which job each user went into. ``apply`` again resumes.
"""

from __future__ import annotations

import csv
import ipaddress
import os
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cognito_migrate.aws.quotas import parse_quota_flags
from cognito_migrate.aws.ratelimit import rate_limiter_for_target
from cognito_migrate.aws.session import AwsSettings, settings_for_target
from cognito_migrate.config import load_plan_file
from cognito_migrate.errors import ConfigError
from cognito_migrate.journal import Journal, RunStatus, UserState
from cognito_migrate.planner.plan import default_plan_dir
from cognito_migrate.planner.pool_reader import read_pool_profile
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.saved import SavedPlan, stale_reasons
from cognito_migrate.results import CommandResult, Outcome
from cognito_migrate.strategies.admin.passwords import CredentialsFile, read_clear_passwords
from cognito_migrate.strategies.admin.phase import (
    AdminListener,
    AdminPhase,
    AdminPhaseResult,
    check_credentials,
)
from cognito_migrate.strategies.admin.runner import AdminRunner
from cognito_migrate.strategies.csv_import.apply import ApplyListener, CsvImportPhase, CsvImportResult
from cognito_migrate.strategies.csv_import.job import ImportJobInterrupted, ImportJobRunner, JobTiming
from cognito_migrate.strategies.csv_import.logs_role import resolve_logs_role
from cognito_migrate.strategies.followups import FollowUpRunner


def apply_plan(
    plan_file: Path,
    *,
    plan_dir: Path | None = None,
    role_arn: str | None = None,
    keep_files: Path | None = None,
    retry_failed: bool = False,
    credentials: Path | None = None,
    passwords: Path | None = None,
    invite: bool = False,
    workers: int = 16,
    quota_flags: Sequence[str] = (),
    settings: AwsSettings | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    listener: ApplyProgress | None = None,
    timing: JobTiming | None = None,
) -> CommandResult:
    """Apply the saved plan of ``plan_file`` (or the one in ``plan_dir``); see the module docstring.

    ``listener`` is told what happens as it happens (``reports.progress`` shows it to people);
    ``timing`` shortens the import-job polling in tests. ``credentials``: the 0600 file generated
    passwords go to (required when the plan gives admin users a temporary or permanent password);
    ``passwords``: a 0600 CSV (``source_id,password``) of clear passwords from a trusted source, set as
    permanent passwords for the plan's permanent-password users;
    ``invite``: let Cognito send its invitation message instead of SUPPRESS.
    """
    config = load_plan_file(plan_file)
    settings = settings or settings_for_target(
        config.target, profile=profile, region=region, endpoint_url=endpoint_url
    )
    limiter = rate_limiter_for_target(config.target, parse_quota_flags(quota_flags))
    # Enough connections for every admin worker, or urllib3 drops them and each call reconnects.
    idp = settings.client("cognito-idp", rate_limiter=limiter, max_pool_connections=max(10, workers + 4))
    saved = SavedPlan.load(plan_dir or default_plan_dir(config))
    pool = read_pool_profile(idp, config.target.pool_id, region=settings.resolved_region())
    stale = stale_reasons(saved.manifest, config_checksum=config.checksum, profile=pool)
    if stale:
        raise ConfigError(
            f"{saved.plan_dir}: the saved plan no longer fits: {'; '.join(stale)}. "
            "Run cognito-migrate plan again, check the report, then apply."
        )
    echo = listener or ApplyProgress()
    with Journal.open(Path(saved.manifest["journal"])) as journal:
        # Refused before anything is sent: generated passwords with nowhere to write them.
        clear = read_clear_passwords(passwords) if passwords else {}
        check_credentials(journal, saved, retry_failed=retry_failed, credentials=credentials, invite=invite,
                          passwords=clear)  # fmt: skip
        # One writer of the pool at a time: sweep and rollback change the same users and import jobs.
        run_id = journal.start_run(
            "apply", saved.checksum, exclusive=True, exclusive_of=("sweep", "rollback")
        )
        try:
            steps = _Steps(journal, run_id, saved, settings, idp, pool, echo, retry_failed)
            result = steps.csv_import(role_arn=role_arn, keep_files=keep_files, timing=timing)
            admin = steps.admin(
                config.strategy.on_existing,
                credentials=credentials,
                passwords=clear,
                invite=invite,
                workers=workers,
                legacy_id_attribute=config.strategy.legacy_id_attribute or None,
            )
        except KeyboardInterrupt as exc:
            job = exc.job if isinstance(exc, ImportJobInterrupted) else None
            note = f"interrupted; import job {job.job_id} is {job.status}" if job else "interrupted"
            journal.finish_run(run_id, RunStatus.INTERRUPTED, note=note, calls=limiter.call_counts())
            return _interrupted(run_id, note, journal.counts())
        except BaseException as exc:
            journal.finish_run(
                run_id, RunStatus.FAILED, note=f"apply did not finish: {exc}", calls=limiter.call_counts()
            )
            raise
        counts = journal.counts()
        bad = counts[UserState.FAILED] + counts[UserState.REJECTED]
        journal.finish_run(
            run_id, RunStatus.PARTIAL if bad else RunStatus.COMPLETED, calls=limiter.call_counts()
        )
        sub_map = _write_sub_map(journal, Path(saved.manifest["journal"]))
    return _result(run_id, result, admin, counts, sub_map)


OnExisting = Literal["skip", "update", "fail"]


class ApplyProgress(ApplyListener, AdminListener):
    """Everything ``apply`` tells a person watching (all no-ops here; ``reports.progress`` shows it)."""


class _Steps:
    """The phases of one apply run, in order, sharing the journal, the clients and the listener."""

    def __init__(
        self, journal: Journal, run_id: int, saved: SavedPlan, settings: AwsSettings, idp: Any,
        pool: PoolProfile, echo: ApplyProgress, retry_failed: bool,
    ) -> None:  # fmt: skip
        self.journal, self.run_id, self.saved = journal, run_id, saved
        self.settings, self.idp, self.pool, self.echo = settings, idp, pool, echo
        self.retry_failed = retry_failed
        self.pool_id: str = saved.manifest["pool"]["id"]
        self.followups = FollowUpRunner(idp, self.pool_id)
        self._groups()

    def _groups(self) -> None:
        """The groups the plan's users join, created with the source's definitions where missing."""
        groups = self.saved.groups
        created = self.followups.ensure_groups(groups, [g.name for g in groups])
        if created:
            self.echo.notice(f"created groups: {', '.join(created)}")

    def csv_import(
        self, *, role_arn: str | None, keep_files: Path | None, timing: JobTiming | None
    ) -> CsvImportResult:
        if not self.saved.files:
            return CsvImportResult()
        # A new role takes seconds to reach Cognito; the local Cognito has no such delay to wait out.
        role = resolve_logs_role(
            self.settings, role_arn=role_arn, propagation_seconds=0.0 if is_loopback(self.settings) else 10.0
        )
        for warning in role.warnings:
            self.echo.notice(warning)
        role.wait_until_usable()
        runner = ImportJobRunner(
            self.idp, self.settings.client("logs"), pool_id=self.pool_id, pool_name=self.pool.pool_name,
            role_arn=role.arn, role_is_new=role.created, timing=timing,
        )  # fmt: skip
        phase = CsvImportPhase(self.journal, self.run_id, self.saved, runner, self.followups,
                               listener=self.echo, keep_files=keep_files,
                               retry_failed=self.retry_failed)  # fmt: skip
        return phase.run()

    def admin(
        self, on_existing: OnExisting, *, credentials: Path | None, passwords: dict[str, str],
        invite: bool, workers: int,
        legacy_id_attribute: str | None,
    ) -> AdminPhaseResult:  # fmt: skip
        if not self.saved.manifest.get("admin"):
            return AdminPhaseResult()
        if invite:
            self.echo.notice(
                "--invite: Cognito sends each new user its invitation; its default email sender "
                "allows 50 emails a day per account (then LimitExceededException)"
            )
        immutable = frozenset(name for name, a in self.pool.attributes.items() if not a.mutable)
        with CredentialsFile(credentials) if credentials else nullcontext() as secrets_file:
            runner = AdminRunner(
                self.idp, self.pool_id, policy=self.pool.password_policy, on_existing=on_existing,
                credentials=secrets_file, invite=invite, legacy_id_attribute=legacy_id_attribute,
                immutable=immutable, workers=workers,
            )  # fmt: skip
            phase = AdminPhase(self.journal, self.run_id, self.saved, runner, listener=self.echo,
                               retry_failed=self.retry_failed, credentials=credentials,
                               invite=invite, passwords=passwords)  # fmt: skip
            return phase.run()


def is_loopback(settings: AwsSettings) -> bool:
    host = urlsplit(settings.endpoint_url or "").hostname
    if host is None:
        return False
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _counts_data(counts: dict[UserState, int]) -> dict[str, int]:
    return {str(state): n for state, n in counts.items()}


def _write_sub_map(journal: Journal, path: Path) -> Path | None:
    """``legacy id → sub`` of every migrated user whose sub is known, as CSV next to the journal (0600)."""
    target = path.with_name(path.name.replace(".journal.sqlite", "") + ".subs.csv")
    rows = [
        (u.source_id, u.username, u.cognito_sub) for u in journal.users(UserState.MIGRATED) if u.cognito_sub
    ]
    if not rows:
        return None
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["source_id", "username", "sub"])
        writer.writerows(rows)
    return target


def _result(
    run_id: int, result: CsvImportResult, admin: AdminPhaseResult, counts: dict[UserState, int],
    sub_map: Path | None,
) -> CommandResult:  # fmt: skip
    data = {
        "run_id": run_id,
        "csv_import": {
            "migrated": result.migrated,
            "skipped": result.skipped,
            "failed": result.failed,
            "in_doubt": result.in_doubt,
            "jobs": result.jobs,
        },
        "admin": {"migrated": admin.migrated, "skipped": admin.skipped, "failed": admin.failed},
        "states": _counts_data(counts),
        "sub_map": str(sub_map) if sub_map else None,
    }
    lines = [
        f"apply run {run_id}: CSV import: {result.migrated:,} migrated, {result.skipped:,} skipped, "
        f"{result.failed:,} failed" + (f", {result.in_doubt:,} in doubt" if result.in_doubt else ""),
        f"  admin API: {admin.migrated:,} migrated, {admin.skipped:,} skipped, {admin.failed:,} failed",
        "Journal: " + ", ".join(f"{state} {n:,}" for state, n in counts.items() if n),
    ]
    lines.extend(f"note: {notice}" for notice in [*result.notices, *admin.notices])
    if sub_map:
        lines.append(f"legacy id → sub: {sub_map}")
    if counts[UserState.PLANNED]:
        lines.append(
            f"{counts[UserState.PLANNED]:,} users are still planned: just-in-time users move at their "
            "first sign-in once the trigger is deployed (cognito-migrate status lists them)"
        )
    if counts[UserState.SUBMITTED]:
        lines.append(f"{counts[UserState.SUBMITTED]:,} users are in doubt: run apply again to settle them")
    bad = counts[UserState.FAILED] + counts[UserState.REJECTED]
    if bad:
        lines.append(
            f"{counts[UserState.FAILED]:,} failed, {counts[UserState.REJECTED]:,} rejected: "
            "each has its reason in the journal (cognito-migrate status --user ID)"
        )
    unfinished = bad or counts[UserState.PLANNED] or counts[UserState.SUBMITTED]
    return CommandResult("apply", Outcome.PARTIAL if unfinished else Outcome.OK, data, lines)


def _interrupted(run_id: int, note: str, counts: dict[UserState, int]) -> CommandResult:
    return CommandResult(
        "apply",
        Outcome.INTERRUPTED,
        {"run_id": run_id, "note": note, "states": _counts_data(counts)},
        [f"apply run {run_id} {note}. Run cognito-migrate apply again to finish: nothing is sent twice."],
    )
