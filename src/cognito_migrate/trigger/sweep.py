"""``sweep``: after the sign-in window, the just-in-time users who never signed in, bulk-imported.

    jit-users.jsonl ──► journal: settled (migrated, skipped, rejected) or failed ──► left alone
                    ──► submitted in an earlier sweep's import job ──► that job resumed (its log read)
                    ──► AdminGetUser finds the user ──► submitted → migrated: signed in through the trigger
                    ──► not in the pool ──► an import file per password algorithm: ``password_hash``
                        where Cognito imports the legacy hash, else RESET_REQUIRED (no hash column)
                        ──► import job ──► journal line by line ──► groups, disabled state
                    ──► on request, once every jit user is settled: detach the trigger, drop the table

The import part is ``CsvImportPhase``'s, so a sweep stopped half-way resumes as ``apply`` does: users
are journaled submitted (with job and line) when Cognito creates the job, and the next sweep reads that
job's log instead of importing them again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cognito_migrate.apply import is_loopback
from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.quotas import parse_quota_flags
from cognito_migrate.aws.ratelimit import rate_limiter_for_target
from cognito_migrate.aws.session import AwsSettings, settings_for_target
from cognito_migrate.config import load_plan_file
from cognito_migrate.errors import JournalError, RemoteError, TerminalError
from cognito_migrate.journal import Journal, RunStatus, Transition, UserRecord, UserState
from cognito_migrate.passwords.formats import detect_hash_format
from cognito_migrate.passwords.importable import Importable, cognito_import
from cognito_migrate.planner.plan import default_plan_dir
from cognito_migrate.planner.pool_reader import read_pool_profile
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.results import CommandResult, Outcome
from cognito_migrate.sources.records import PasswordHash
from cognito_migrate.strategies.csv_import.apply import ApplyListener, CsvImportPhase, FileUser
from cognito_migrate.strategies.csv_import.csvfile import ImportCsvWriter, RowRejected
from cognito_migrate.strategies.csv_import.job import (
    ImportJobInterrupted,
    ImportJobRunner,
    JobTiming,
    safe_job_name,
)
from cognito_migrate.strategies.csv_import.logs_role import resolve_logs_role
from cognito_migrate.strategies.followups import FollowUpRunner
from cognito_migrate.trigger.commands import check_digest, staging_table_name, staging_url
from cognito_migrate.trigger.plan_users import jit_users_path, read_plan_users, staged_user

SIGNED_IN = "signed in through the migrate-user trigger"
# A rolled-back user waits for a re-plan (rollback deleted it on purpose), like a settled one.
_SETTLED = frozenset({UserState.MIGRATED, UserState.SKIPPED, UserState.REJECTED, UserState.ROLLED_BACK})
_BATCH = 1000


@dataclass
class SweepCounts:
    jit_users: int = 0
    already_settled: int = 0  # migrated, skipped or rejected before this sweep
    left_failed: int = 0  # failed in an earlier sweep: left for a look (the trigger still serves them)
    signed_in: int = 0  # found in the pool: migrated by the trigger
    with_hash: int = 0  # sent with their legacy hash
    reset_required: int = 0  # sent without one: they reset their password
    refused_rows: int = 0  # rows Cognito would refuse (failed, with the rule)
    jobs: list[str] = field(default_factory=list)


def sweep_command(
    plan_file: Path,
    *,
    plan_dir: Path | None = None,
    detach: bool = False,
    drop_table: bool = False,
    role_arn: str | None = None,
    quota_flags: Sequence[str] = (),
    settings: AwsSettings | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    listener: ApplyListener | None = None,
    timing: JobTiming | None = None,
) -> CommandResult:
    """Import the saved plan's jit users who never signed in; see the module docstring.

    ``detach``: then detach the trigger (``deploy.remove_trigger``; the function stays); ``drop_table``:
    then delete the staging table. Both wait until every jit user is settled. ``timing`` shortens the
    import-job polling in tests; ``role_arn`` is the import jobs' CloudWatch Logs role (else the tool's).
    """
    config = load_plan_file(plan_file)
    settings = settings or settings_for_target(
        config.target, profile=profile, region=region, endpoint_url=endpoint_url
    )
    limiter = rate_limiter_for_target(config.target, parse_quota_flags(quota_flags))
    idp = settings.client("cognito-idp", rate_limiter=limiter)
    saved = SavedPlan.load(plan_dir or default_plan_dir(config))
    pool_id = config.target.pool_id
    saved.check_current(config.checksum, pool_id)
    path = jit_users_path(saved.plan_dir, saved.manifest)
    if path is not None:
        check_digest(path, saved.manifest)
    with Journal.open(Path(saved.manifest["journal"])) as journal:
        run_id = journal.start_run(
            "sweep", saved.checksum, exclusive=True, exclusive_of=("apply", "rollback")
        )
        sweep = _Sweep(journal, run_id, saved, settings, idp, pool_id, listener or ApplyListener())
        if drop_table and config.trigger.staging == "sql":
            sweep.staging_url = staging_url(config)
        try:
            if path is not None:
                sweep.run(path, role_arn=role_arn, timing=timing)
            states = sweep.states(path)
            lines = sweep.tidy(states, detach=detach, drop_table=drop_table)
        except KeyboardInterrupt as exc:
            job = exc.job if isinstance(exc, ImportJobInterrupted) else None
            note = f"interrupted; import job {job.job_id} is {job.status}" if job else "interrupted"
            journal.finish_run(run_id, RunStatus.INTERRUPTED, note=note, calls=limiter.call_counts())
            return CommandResult("sweep", Outcome.INTERRUPTED, {"run_id": run_id, "note": note},
                                 [f"sweep run {run_id} {note}. Run cognito-migrate sweep again to finish: "
                                  "nobody is imported twice."])  # fmt: skip
        except BaseException as exc:
            journal.finish_run(
                run_id, RunStatus.FAILED, note=f"sweep did not finish: {exc}", calls=limiter.call_counts()
            )
            raise
        unsettled = sum(n for state, n in states.items() if state not in _SETTLED)
        journal.finish_run(
            run_id, RunStatus.PARTIAL if unsettled else RunStatus.COMPLETED, calls=limiter.call_counts()
        )
    return sweep.result(states, lines, unsettled)


class _Sweep:
    """One sweep run: the journal, the paced client, and (made when first needed) the import phase."""

    def __init__(
        self, journal: Journal, run_id: int, saved: SavedPlan, settings: AwsSettings, idp: Any,
        pool_id: str, listener: ApplyListener,
    ) -> None:  # fmt: skip
        self.journal, self.run_id, self.saved = journal, run_id, saved
        self.settings, self.idp, self.pool_id, self.listener = settings, idp, pool_id, listener
        self.counts = SweepCounts()
        self._phase: CsvImportPhase | None = None
        self._pool: PoolProfile | None = None
        self.detached = self.table_dropped = False
        self.staging_url: str | None = None  # SQL staging: where the staged rows are

    # ── which users, in which state ──────────────────────────────────────────────────────────────

    def _batches(self, path: Path) -> Iterator[list[tuple[dict[str, Any], UserRecord]]]:
        """The jit file's users with their journal records, ``_BATCH`` at a time (streamed)."""
        batch: list[dict[str, Any]] = []
        for record in read_plan_users(path):
            batch.append(record)
            if len(batch) >= _BATCH:
                yield self._with_records(path, batch)
                batch = []
        if batch:
            yield self._with_records(path, batch)

    def _with_records(
        self, path: Path, batch: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], UserRecord]]:
        records = self.journal.get_users(str(record["source_id"]) for record in batch)
        missing = [str(r["source_id"]) for r in batch if str(r["source_id"]) not in records]
        if missing:
            raise JournalError(
                f"{len(missing)} users of {path.name} are not in the journal {self.journal.path} "
                f"(e.g. {missing[0]!r}): was the plan saved with another journal?"
            )
        return [(record, records[str(record["source_id"])]) for record in batch]

    def states(self, path: Path | None) -> dict[UserState, int]:
        counts = dict.fromkeys(UserState, 0)
        if path is not None:
            for batch in self._batches(path):
                for _, user in batch:
                    counts[user.state] += 1
        return counts

    # ── the sweep ────────────────────────────────────────────────────────────────────────────────

    def run(self, path: Path, *, role_arn: str | None, timing: JobTiming | None) -> None:
        # First the jobs an earlier sweep left: their users must not go into a second job.
        earlier: dict[str, dict[str, FileUser]] = {}
        for batch in self._batches(path):
            for record, user in batch:
                if user.state == UserState.SUBMITTED and user.import_job_id:
                    file_user = _file_user(record, user.import_line or 0, _importable(record) is not None)
                    earlier.setdefault(user.import_job_id, {})[user.source_id] = file_user
        retry: set[str] = set()
        for job_id, by_id in sorted(earlier.items()):
            self._ensure_groups(by_id.values())
            untaken = self.phase(role_arn, timing).resume(job_id, by_id)
            retry.update(file_user.source_id for file_user in untaken)
        with tempfile.TemporaryDirectory(prefix="cognito-migrate-sweep-") as private:
            files = self._check_and_write(path, Path(private), retry)
            for name, (algorithm, users, lines) in files.items():
                self._ensure_groups(users)
                job_name = safe_job_name(f"cognito-migrate sweep {self.run_id} {Path(name).stem}")
                self.phase(role_arn, timing).import_file(
                    Path(private) / name, algorithm, users, lines, job_name
                )
        if self._phase is not None:
            self.counts.jobs = list(self._phase.result.jobs)

    def _check_and_write(
        self, path: Path, directory: Path, retry: set[str]
    ) -> dict[str, tuple[str | None, list[FileUser], dict[str, int]]]:
        """Users still to move: those in the pool journaled as signed in, the others written to import
        files in ``directory``; the files by name with their algorithm, users and lines."""
        writers: dict[str | None, ImportCsvWriter] = {}
        files: dict[str, tuple[str | None, list[FileUser], dict[str, int]]] = {}
        for batch in self._batches(path):
            signed_in: list[str] = []
            refused: list[tuple[str, str]] = []
            for record, user in batch:
                self.counts.jit_users += 1
                if user.state in _SETTLED:
                    self.counts.already_settled += 1
                    continue
                if user.state == UserState.FAILED:
                    self.counts.left_failed += 1
                    continue
                if user.state == UserState.SUBMITTED and user.import_job_id and user.source_id not in retry:
                    continue  # its job was resumed above and left it in doubt: the next sweep looks again
                staged = staged_user(record, where=f"{path.name}: ")
                if self._in_pool(staged.username):
                    signed_in.append(user.source_id)
                    continue
                verdict = _importable(record)
                algorithm = verdict.algorithm if verdict else None
                writer = writers.get(algorithm)
                if writer is None:
                    pool = self.pool()
                    writer = writers[algorithm] = ImportCsvWriter(
                        directory,
                        pool.csv_header,
                        algorithm=algorithm,
                        mfa_configuration=pool.mfa_configuration,
                    )
                try:
                    name, line = writer.add(
                        staged.username, {**staged.aliases, **staged.attributes},
                        password_hash=verdict.value if verdict else None,
                    )  # fmt: skip
                except RowRejected as exc:
                    refused.append((user.source_id, str(exc)))
                    continue
                _, users, lines = files.setdefault(name, (algorithm, [], {}))
                users.append(_file_user(record, line, verdict is not None))
                lines[user.source_id] = line
                if verdict:
                    self.counts.with_hash += 1
                else:
                    self.counts.reset_required += 1
            self._settle_without_job(signed_in, refused)
        for writer in writers.values():
            writer.close()
        return files

    def _settle_without_job(self, signed_in: list[str], refused: list[tuple[str, str]]) -> None:
        # The pending mark first, as everywhere: submitted, then settled.
        self.journal.mark_submitted(self.run_id, [*signed_in, *(source_id for source_id, _ in refused)])
        self.journal.transition(self.run_id, [
            *(Transition(source_id, UserState.MIGRATED, SIGNED_IN) for source_id in signed_in),
            *(Transition(source_id, UserState.FAILED, f"import row refused: {why}")
              for source_id, why in refused),
        ])  # fmt: skip
        self.counts.signed_in += len(signed_in)
        self.counts.refused_rows += len(refused)

    def _in_pool(self, username: str) -> bool:
        try:
            with map_cognito_errors("AdminGetUser"):
                self.idp.admin_get_user(UserPoolId=self.pool_id, Username=username)
        except TerminalError as exc:
            if exc.code == "UserNotFoundException":
                return False
            raise
        return True

    # ── made when first needed ───────────────────────────────────────────────────────────────────

    def pool(self) -> PoolProfile:
        if self._pool is None:
            self._pool = read_pool_profile(self.idp, self.pool_id, region=self.settings.resolved_region())
        return self._pool

    def phase(self, role_arn: str | None, timing: JobTiming | None) -> CsvImportPhase:
        if self._phase is None:
            # A new role takes seconds to reach Cognito; the local Cognito has no such delay.
            role = resolve_logs_role(
                self.settings, role_arn=role_arn,
                propagation_seconds=0.0 if is_loopback(self.settings) else 10.0,
            )  # fmt: skip
            for warning in role.warnings:
                self.listener.notice(warning)
            role.wait_until_usable()
            runner = ImportJobRunner(
                self.idp, self.settings.client("logs"), pool_id=self.pool_id, pool_name=self.pool().pool_name,
                role_arn=role.arn, role_is_new=role.created, timing=timing,
            )  # fmt: skip
            followups = FollowUpRunner(self.idp, self.pool_id)
            self._phase = CsvImportPhase(
                self.journal, self.run_id, self.saved, runner, followups, listener=self.listener
            )
        return self._phase

    def _ensure_groups(self, users: Any) -> None:
        """The groups imported users join, created with the plan's definitions where missing."""
        needed = {group for user in users for group in user.groups}
        created = FollowUpRunner(self.idp, self.pool_id).ensure_groups(self.saved.groups, needed)
        if created:
            self.listener.notice(f"created groups: {', '.join(created)}")

    # ── afterwards ───────────────────────────────────────────────────────────────────────────────

    def tidy(self, states: dict[UserState, int], *, detach: bool, drop_table: bool) -> list[str]:
        """Detach the trigger and drop the table if asked, once no jit user still needs them."""
        if not (detach or drop_table):
            return []
        waiting = sum(n for state, n in states.items() if state not in _SETTLED)
        if waiting:
            return [
                f"trigger and staging table kept: {waiting:,} just-in-time users are not in the pool yet "
                "(failed or in doubt); they can still sign in with the old password"
            ]
        lines = []
        if detach:
            from cognito_migrate.trigger.deploy import remove_trigger

            removed = remove_trigger(self.settings, self.pool_id)
            self.detached = removed.detached or removed.post_authentication_detached
            lines.append(
                f"function {removed.function_name} detached from user pool {self.pool_id}"
                if self.detached
                else f"user pool {self.pool_id} had no cognito-migrate trigger attached"
            )
        if drop_table and self.staging_url:
            from cognito_migrate.trigger.directory import SQL_TABLE
            from cognito_migrate.trigger.sql_staging import delete_staged_sql

            deleted = delete_staged_sql(self.staging_url, self.pool_id)
            self.table_dropped = deleted > 0
            lines.append(f"{deleted:,} staged rows of user pool {self.pool_id} deleted from {SQL_TABLE}")
        elif drop_table:
            table = staging_table_name(self.pool_id)
            self.table_dropped = _delete_table(self.settings.client("dynamodb"), table)
            lines.append(
                f"staging table {table} " + ("deleted" if self.table_dropped else "was already gone")
            )
            if not detach:
                lines.append("note: the trigger is still attached and has no table to read")
        return lines

    def result(self, states: dict[UserState, int], tidy_lines: list[str], unsettled: int) -> CommandResult:
        counts = self.counts
        imported = self._phase.result if self._phase is not None else None
        data = {
            "run_id": self.run_id,
            "pool_id": self.pool_id,
            "jit_users": counts.jit_users,
            "already_settled": counts.already_settled,
            "left_failed": counts.left_failed,
            "signed_in": counts.signed_in,
            "sent_with_hash": counts.with_hash,
            "sent_reset_required": counts.reset_required,
            "refused_rows": counts.refused_rows,
            "imported": {
                "migrated": imported.migrated if imported else 0,
                "skipped": imported.skipped if imported else 0,
                "failed": imported.failed if imported else 0,
                "in_doubt": imported.in_doubt if imported else 0,
                "jobs": counts.jobs,
            },
            "detached": self.detached,
            "table_dropped": self.table_dropped,
            "states": {str(state): n for state, n in states.items()},
        }
        lines = [
            f"sweep run {self.run_id}: {counts.jit_users:,} just-in-time users; {counts.signed_in:,} signed "
            f"in through the trigger; {counts.already_settled:,} settled before",
            f"  imported: {counts.with_hash:,} with their password hash, {counts.reset_required:,} to reset "
            f"their password ({len(counts.jobs)} import jobs)",
        ]
        if imported:
            lines.append(f"  import jobs: {imported.migrated:,} migrated, {imported.skipped:,} skipped, "
                         f"{imported.failed:,} failed")  # fmt: skip
            lines.extend(f"note: {notice}" for notice in imported.notices)
        lines.extend(tidy_lines)
        if unsettled:
            lines.append(f"{unsettled:,} just-in-time users are failed or in doubt: see cognito-migrate "
                         "status; run sweep again to settle those in doubt")  # fmt: skip
        return CommandResult("sweep", Outcome.PARTIAL if unsettled else Outcome.OK, data, lines)


def _importable(record: dict[str, Any]) -> Importable | None:
    """The column text and algorithm when Cognito imports this user's legacy hash, else None."""
    value = record.get("password_hash")
    if not isinstance(value, str) or not value:
        return None
    verdict = cognito_import(PasswordHash(value, detect_hash_format(value)))
    return verdict if isinstance(verdict, Importable) else None


def _file_user(record: dict[str, Any], line: int, with_hash: bool) -> FileUser:
    return FileUser(
        str(record["source_id"]), str(record["username"]), line,
        tuple(str(group) for group in record.get("groups") or ()), bool(record.get("enabled", True)),
        "hash" if with_hash else "reset-required",
    )  # fmt: skip


def _delete_table(dynamodb: Any, table: str) -> bool:
    try:
        with map_cognito_errors("DeleteTable"):
            dynamodb.delete_table(TableName=table)
    except RemoteError as exc:
        if exc.code == "ResourceNotFoundException":
            return False
        raise
    return True
