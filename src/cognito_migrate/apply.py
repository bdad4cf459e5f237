"""``apply``: execute a saved plan against the pool, exactly, resumably, with a result for every user.

    saved plan ──► still fits the pool and plan file? ──► journal: one apply at a time
               ──► groups the plan's users join (created where missing)
               ──► CSV import jobs (strategies/csv_import/apply.py) ──► journal, user by user
               ──► admin and just-in-time users: issues 7 and 8 (they stay planned until then)

Stopping is safe at any point: Ctrl-C stops the running import job and ends the run as interrupted
(exit 3); a SIGKILL leaves the journal saying which job each user went into. ``apply`` again resumes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cognito_migrate.aws.quotas import parse_quota_flags
from cognito_migrate.aws.ratelimit import rate_limiter_for_target
from cognito_migrate.aws.session import AwsSettings, settings_for_target
from cognito_migrate.config import load_plan_file
from cognito_migrate.errors import ConfigError
from cognito_migrate.journal import Journal, RunStatus, UserState
from cognito_migrate.planner.plan import default_plan_dir
from cognito_migrate.planner.pool_reader import read_pool_profile
from cognito_migrate.planner.saved import SavedPlan, stale_reasons
from cognito_migrate.results import CommandResult, Outcome
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
    quota_flags: Sequence[str] = (),
    settings: AwsSettings | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    listener: ApplyListener | None = None,
    timing: JobTiming | None = None,
) -> CommandResult:
    """Apply the saved plan of ``plan_file`` (or the one in ``plan_dir``); see the module docstring.

    ``listener`` is told what happens as it happens (``reports.progress`` shows it to people);
    ``timing`` shortens the import-job polling in tests.
    """
    config = load_plan_file(plan_file)
    settings = settings or settings_for_target(
        config.target, profile=profile, region=region, endpoint_url=endpoint_url
    )
    limiter = rate_limiter_for_target(config.target, parse_quota_flags(quota_flags))
    idp = settings.client("cognito-idp", rate_limiter=limiter)
    saved = SavedPlan.load(plan_dir or default_plan_dir(config))
    pool = read_pool_profile(idp, config.target.pool_id, region=settings.resolved_region())
    stale = stale_reasons(saved.manifest, config_checksum=config.checksum, profile=pool)
    if stale:
        raise ConfigError(
            f"{saved.plan_dir}: the saved plan no longer fits: {'; '.join(stale)}. "
            "Run cognito-migrate plan again, check the report, then apply."
        )
    echo = listener or ApplyListener()
    with Journal.open(Path(saved.manifest["journal"])) as journal:
        run_id = journal.start_run("apply", saved.checksum, exclusive=True)
        try:
            result = _run(journal, run_id, saved, settings, idp, pool.pool_name, echo,
                          role_arn=role_arn, keep_files=keep_files, retry_failed=retry_failed,
                          timing=timing)  # fmt: skip
        except KeyboardInterrupt as exc:
            job = exc.job if isinstance(exc, ImportJobInterrupted) else None
            note = f"interrupted; import job {job.job_id} is {job.status}" if job else "interrupted"
            journal.finish_run(run_id, RunStatus.INTERRUPTED, note=note)
            return _interrupted(run_id, note, journal.counts())
        except BaseException as exc:
            journal.finish_run(run_id, RunStatus.FAILED, note=f"apply did not finish: {exc}")
            raise
        counts = journal.counts()
        bad = counts[UserState.FAILED] + counts[UserState.REJECTED]
        journal.finish_run(run_id, RunStatus.PARTIAL if bad else RunStatus.COMPLETED)
    return _result(run_id, result, counts)


def _run(
    journal: Journal,
    run_id: int,
    saved: SavedPlan,
    settings: AwsSettings,
    idp: Any,
    pool_name: str,
    echo: ApplyListener,
    *,
    role_arn: str | None,
    keep_files: Path | None,
    retry_failed: bool,
    timing: JobTiming | None,
) -> CsvImportResult:
    pool_id = saved.manifest["pool"]["id"]
    followups = FollowUpRunner(idp, pool_id)
    groups = saved.groups
    if groups:
        existing = [g["GroupName"] for page in idp.get_paginator("list_groups").paginate(UserPoolId=pool_id)
                    for g in page["Groups"]]  # fmt: skip
        created = followups.ensure_groups(groups, [g.name for g in groups], existing)
        if created:
            echo.notice(f"created groups: {', '.join(created)}")
    if not saved.files:
        return CsvImportResult()
    # A new role takes seconds to reach Cognito; the local Cognito has no such delay to wait out.
    role = resolve_logs_role(
        settings, role_arn=role_arn, propagation_seconds=0.0 if _loopback(settings) else 10.0
    )
    for warning in role.warnings:
        echo.notice(warning)
    role.wait_until_usable()
    runner = ImportJobRunner(
        idp, settings.client("logs"), pool_id=pool_id, pool_name=pool_name, role_arn=role.arn,
        role_is_new=role.created, timing=timing,
    )  # fmt: skip
    phase = CsvImportPhase(journal, run_id, saved, runner, followups, listener=echo,
                           keep_files=keep_files, retry_failed=retry_failed)  # fmt: skip
    return phase.run()


def _loopback(settings: AwsSettings) -> bool:
    host = urlsplit(settings.endpoint_url or "").hostname
    if host is None:
        return False
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _counts_data(counts: dict[UserState, int]) -> dict[str, int]:
    return {str(state): n for state, n in counts.items()}


def _result(run_id: int, result: CsvImportResult, counts: dict[UserState, int]) -> CommandResult:
    data = {
        "run_id": run_id,
        "csv_import": {
            "migrated": result.migrated,
            "skipped": result.skipped,
            "failed": result.failed,
            "in_doubt": result.in_doubt,
            "jobs": result.jobs,
        },
        "states": _counts_data(counts),
    }
    lines = [
        f"apply run {run_id}: CSV import: {result.migrated:,} migrated, {result.skipped:,} skipped, "
        f"{result.failed:,} failed" + (f", {result.in_doubt:,} in doubt" if result.in_doubt else ""),
        "Journal: " + ", ".join(f"{state} {n:,}" for state, n in counts.items() if n),
    ]
    lines.extend(f"note: {notice}" for notice in result.notices)
    if counts[UserState.PLANNED]:
        lines.append(
            f"{counts[UserState.PLANNED]:,} users are still planned: admin-API and just-in-time users "
            "are applied by later versions (cognito-migrate status lists them)"
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
