"""The CSV-import part of a saved plan, applied: one import job per file, every user's result journaled.

For each import file of the plan::

    users of the file ──► resume the jobs an earlier run left (journal: submitted, with a job id)
                     └──► users still planned ──► the plan's file, or a file of just those rows
                              ──► job created ──► journal: job recorded, users submitted with their line
                              ──► upload, start, poll ──► the log: line N → the user on line N
                              ──► SUCCEEDED: groups and disabled state (admin API) ──► migrated
                                  SKIPPED ──► skipped;  FAILED ──► failed;  each with Cognito's words

Resuming is what makes a second ``apply`` safe: a user is marked submitted (with its job and line)
right after Cognito created the job and before the file is uploaded, so after a crash or Ctrl-C the
next run finds the job, waits for it or reads its log, and sends only the users no job has taken — a
user is never in two started jobs. A job that never started (still Created, or Expired) imported
nobody; its users go into a fresh job. Users a stopped job never reached are sent again; those of a
job that failed (Cognito gave up) are failed with its message.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cognito_migrate.errors import ConfigError, JournalError
from cognito_migrate.journal import Journal, Transition, UserRecord, UserState
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.strategies.csv_import.csvfile import FIRST_DATA_LINE
from cognito_migrate.strategies.csv_import.job import (
    ImportJob,
    ImportJobListener,
    ImportJobOutcome,
    ImportJobRunner,
    JobStatus,
    safe_job_name,
)
from cognito_migrate.strategies.csv_import.job_log import LineOutcome
from cognito_migrate.strategies.followups import FollowUp, FollowUpRunner

# Every imported user's journal reason starts so ("import job ID line N: …"); rollback reads it.
IMPORT_LINE_PREFIX = "import job "
_PASSWORD_NOTE = {
    "hash": "signs in with the old password",
    "reset-required": "must reset the password (forgot password) before signing in",
}


@dataclass(frozen=True, slots=True)
class FileUser:
    """One user of one of the plan's import files, as the report has them."""

    source_id: str
    username: str
    line: int  # in the plan's file
    groups: tuple[str, ...]
    enabled: bool
    password: str | None


@dataclass
class CsvImportResult:
    migrated: int = 0
    skipped: int = 0
    failed: int = 0
    in_doubt: int = 0  # a finished job whose log never showed the line: looked at again next run
    jobs: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


class ApplyListener(ImportJobListener):
    """What a person watching ``apply`` is told: the job events, and how many users each job takes."""

    def job_users(self, job: ImportJob, users: int) -> None:
        """``job`` imports ``users`` users (a progress bar's total); after ``job_created``, or when
        an earlier run's job is resumed."""


class _JournalingListener(ImportJobListener):
    """Records each job, and its users as submitted, the moment Cognito created it."""

    def __init__(
        self,
        phase: CsvImportPhase,
        file: Path,
        algorithm: str | None,
        users: list[FileUser],
        lines: dict[str, int],
    ) -> None:
        self._phase, self._file, self._algorithm = phase, file, algorithm
        self._users, self._lines = users, lines

    def job_created(self, job: ImportJob, replaces: ImportJob | None) -> None:
        journal, run_id = self._phase.journal, self._phase.run_id
        journal.record_import_job(
            run_id, job.job_id, job.pool_id or self._phase.pool_id, job.job_name, self._algorithm,
            self._file.name, len(self._users),
        )  # fmt: skip
        journal.mark_submitted(run_id, [u.source_id for u in self._users], job.job_id, self._lines)
        if replaces is not None:  # its URL expired before the upload: Cognito never got its file
            journal.update_import_job(replaces.job_id, status="Replaced")
        self._phase.result.jobs.append(job.job_id)
        self._phase.listener.job_created(job, replaces)
        self._phase.listener.job_users(job, len(self._users))

    def job_updated(self, job: ImportJob) -> None:
        self._phase.record_status(job)
        self._phase.listener.job_updated(job)

    def notice(self, message: str) -> None:
        self._phase.listener.notice(message)


class CsvImportPhase:
    """Runs the import files of ``saved`` into the pool; see the module docstring.

    ``keep_files``: a folder to keep a copy of every file sent (else files written for a partial
    resend live in a private temporary folder and are deleted after their job). ``retry_failed``:
    send users an earlier run failed again (their failure was Cognito's answer to their data, so by
    default they stay failed until the plan is changed).
    """

    def __init__(
        self,
        journal: Journal,
        run_id: int,
        saved: SavedPlan,
        runner: ImportJobRunner,
        followups: FollowUpRunner,
        *,
        listener: ApplyListener | None = None,
        keep_files: Path | None = None,
        retry_failed: bool = False,
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.saved = saved
        self.runner = runner
        self.followups = followups
        self.listener = listener or ApplyListener()
        self.pool_id = runner.pool_id
        self.keep_files = keep_files
        self.retry_failed = retry_failed
        self.result = CsvImportResult()

    def run(self) -> CsvImportResult:
        for entry in self.saved.files:
            self._apply_file(entry["name"], entry.get("algorithm"))
        return self.result

    def record_status(self, job: ImportJob) -> None:
        self.journal.update_import_job(
            job.job_id, status=job.status, imported=job.imported, skipped=job.skipped,
            failed=job.failed, completion_message=job.completion_message,
        )  # fmt: skip

    # ── one file ────────────────────────────────────────────────────────────────────────────────

    def _apply_file(self, name: str, algorithm: str | None) -> None:
        users = [
            FileUser(
                line["source_id"],
                line["username"],
                line["import_line"],
                tuple(line.get("groups") or ()),
                bool(line.get("enabled", True)),
                line.get("password"),
            )
            for line in self.saved.report()
            if line.get("import_file") == name and line.get("decision") == "migrate"
        ]
        by_id = {user.source_id: user for user in users}
        records = self.journal.get_users(by_id)
        missing = [source_id for source_id in by_id if source_id not in records]
        if missing:
            raise JournalError(
                f"{len(missing)} users of {name} are not in the journal {self.journal.path} "
                f"(e.g. {missing[0]!r}): was the plan saved with another journal?"
            )
        resend: list[FileUser] = []
        earlier_jobs = sorted(
            {r.import_job_id for r in records.values() if r.state == UserState.SUBMITTED and r.import_job_id}
        )
        for job_id in earlier_jobs:
            resend += self.resume(job_id, by_id)
        sendable = {UserState.PLANNED, UserState.FAILED} if self.retry_failed else {UserState.PLANNED}
        to_send = [user for user in users if records[user.source_id].state in sendable]
        sending = {user.source_id for user in to_send}  # once: a resumed file may hold 500,000 users
        to_send += [user for user in resend if user.source_id not in sending]
        if to_send:
            if not (self.saved.plan_dir / name).exists():
                raise ConfigError(
                    f"{self.saved.plan_dir / name}: deleted, but {len(to_send):,} of its users still need "
                    "it; run cognito-migrate plan again"
                )
            self._send(name, algorithm, sorted(to_send, key=lambda user: user.line), len(users))
        self._delete_when_done(name, list(by_id))

    def _delete_when_done(self, name: str, source_ids: list[str]) -> None:
        """The plan's copy of a file holds password hashes: once every user of it is in the pool (or
        skipped), nothing will send it again, so it goes. Failed users keep it for ``--retry-failed``."""
        path = self.saved.plan_dir / name
        if not path.exists():
            return
        states = {record.state for record in self.journal.get_users(source_ids).values()}
        if states <= {UserState.MIGRATED, UserState.SKIPPED}:
            path.unlink()
            self.result.notices.append(f"{name}: every user is in the pool or skipped; deleted the file")
        elif UserState.FAILED in states:
            self.result.notices.append(f"{name}: kept for --retry-failed (it holds password hashes; "
                                       "delete it when you are done)")  # fmt: skip

    def resume(self, job_id: str, by_id: dict[str, FileUser]) -> list[FileUser]:
        """Finish with a job an earlier run created (its users settled in the journal); returns the
        users it never took, to be sent again. ``by_id``: at least the job's users, by source id."""
        job = self.runner.describe(job_id)
        waiting = self.journal.import_job_users(job_id)
        if job.status in (JobStatus.CREATED, JobStatus.EXPIRED):
            self.result.notices.append(f"import job {job_id} never started ({job.status}): its users "
                                       "go into a fresh job")  # fmt: skip
            return [by_id[r.source_id] for r in waiting.values() if r.state == UserState.SUBMITTED]
        self.listener.notice(f"resuming import job {job_id} ({job.status}) from an earlier run")
        self.listener.job_users(job, len(waiting))
        listener = _JournalingListener(self, Path(job_id), job.password_algorithm, [], {})
        outcome = self.runner.run(Path(os.devnull), job.job_name, job_id=job_id, listener=listener)
        self.record_status(outcome.job)
        self.result.jobs.append(job_id)
        return self._settle(outcome, waiting, by_id)

    def _send(self, name: str, algorithm: str | None, users: list[FileUser], file_users: int) -> None:
        plan_file = self.saved.plan_dir / name
        whole = len(users) == file_users
        with tempfile.TemporaryDirectory(prefix="cognito-migrate-") as private:
            if whole:
                path, lines = plan_file, {user.source_id: user.line for user in users}
            else:
                # Only these users: the same rows, copied from the plan's file, numbered afresh.
                path = Path(private) / f"{Path(name).stem}-run{self.run_id}.csv"
                lines = _write_subset(plan_file, path, users)
            if self.keep_files is not None:
                self.keep_files.mkdir(mode=0o700, parents=True, exist_ok=True)
                kept = self.keep_files / path.name
                shutil.copyfile(path, kept)
                os.chmod(kept, 0o600)
            job_name = safe_job_name(f"cognito-migrate run {self.run_id} {Path(name).stem}")
            self.import_file(path, algorithm, users, lines, job_name)

    def import_file(
        self, path: Path, algorithm: str | None, users: list[FileUser], lines: dict[str, int], job_name: str
    ) -> None:
        """Import ``path`` (``users``, on ``lines``: source id → line) with one new job, every user
        journaled submitted when Cognito creates it and settled from its log. Also what ``sweep`` uses
        for the jit users it writes into files of its own."""
        listener = _JournalingListener(self, path, algorithm, users, lines)
        outcome = self.runner.run(path, job_name, algorithm=algorithm, listener=listener)
        self.record_status(outcome.job)
        by_id = {user.source_id: user for user in users}
        leftover = self._settle(outcome, self.journal.import_job_users(outcome.job.job_id), by_id)
        if leftover:
            # Stopped from outside this run (the console, another tool): not ours to restart blindly.
            self._fail(leftover, f"not processed: import job {outcome.job.job_id} was stopped")

    # ── a finished job's log, user by user ───────────────────────────────────────────────────────

    def _settle(
        self,
        outcome: ImportJobOutcome,
        waiting: dict[int, UserRecord],
        by_id: dict[str, FileUser],
    ) -> list[FileUser]:
        job, results = outcome.job, outcome.log.by_line()
        transitions: list[Transition] = []
        followups: list[FollowUp] = []
        notes: dict[str, str] = {}
        untaken: list[FileUser] = []
        for line, record in sorted(waiting.items()):
            if record.state != UserState.SUBMITTED:
                continue
            user = by_id[record.source_id]
            result = results.get(line)
            where = f"{IMPORT_LINE_PREFIX}{job.job_id} line {line}"
            if result is None:
                if job.status == JobStatus.STOPPED:
                    untaken.append(user)
                elif job.status == JobStatus.SUCCEEDED:
                    self.result.in_doubt += 1  # logged late: the next run reads the log again
                else:
                    message = job.completion_message or "no reason given"
                    reason = f"{where}: not processed: the job ended {job.status}: {message}"
                    transitions.append(Transition(user.source_id, UserState.FAILED, reason))
                    self.result.failed += 1
            elif result.outcome is LineOutcome.SUCCEEDED:
                note = _PASSWORD_NOTE.get(user.password or "", "")
                said = result.message.rstrip(".")
                notes[user.source_id] = f"{where}: {said}" + (f"; {note}" if note else "")
                followup = FollowUp(user.source_id, user.username, user.groups, not user.enabled)
                if followup.needed:
                    followups.append(followup)
                else:
                    transitions.append(Transition(user.source_id, UserState.MIGRATED, notes[user.source_id]))
                    self.result.migrated += 1
            elif result.outcome is LineOutcome.SKIPPED:
                transitions.append(
                    Transition(user.source_id, UserState.SKIPPED, f"{where}: {result.message}")
                )
                self.result.skipped += 1
            else:
                transitions.append(Transition(user.source_id, UserState.FAILED, f"{where}: {result.message}"))
                self.result.failed += 1
        self.journal.transition(self.run_id, transitions)
        if self.result.in_doubt:
            self.listener.notice(f"import job {job.job_id}: {outcome.log.problem or 'log incomplete'}; "
                                 "those users stay submitted and are looked at again next run")  # fmt: skip
        self._follow_up(followups, notes)
        return untaken

    def _follow_up(self, followups: list[FollowUp], notes: dict[str, str]) -> None:
        """Groups and disabled state of users the job imported; then they are migrated (or failed)."""
        if not followups:
            return
        transitions = []
        for done in self.followups.run(followups):
            source_id = done.followup.source_id
            if done.error is None:
                transitions.append(
                    Transition(source_id, UserState.MIGRATED, f"{notes[source_id]}; {done.summary}")
                )
                self.result.migrated += 1
            else:
                transitions.append(Transition(source_id, UserState.FAILED,
                                              f"{notes[source_id]}, but then {done.error}"))  # fmt: skip
                self.result.failed += 1
            if len(transitions) >= 1000:
                self.journal.transition(self.run_id, transitions)
                transitions = []
        self.journal.transition(self.run_id, transitions)

    def _fail(self, users: Iterable[FileUser], reason: str) -> None:
        changes = [Transition(user.source_id, UserState.FAILED, reason) for user in users]
        self.journal.transition(self.run_id, changes)
        self.result.failed += len(changes)


def _write_subset(plan_file: Path, target: Path, users: list[FileUser]) -> dict[str, int]:
    """Copy the header and the rows of ``users`` (sorted by line) into ``target`` (0600); their new lines."""
    wanted = {user.line: user.source_id for user in users}
    lines: dict[str, int] = {}
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with plan_file.open("rb") as source, os.fdopen(fd, "wb") as out:
        out.write(source.readline())  # the header
        for number, row in enumerate(source, start=FIRST_DATA_LINE):
            source_id = wanted.get(number)
            if source_id is not None:
                out.write(row)
                lines[source_id] = FIRST_DATA_LINE + len(lines)
    return lines
