"""Import jobs' state and lifecycle, as Cognito runs them.

::

    Created ──Start──► Pending ──runner──► InProgress ──► Succeeded | Failed
       │                  │                    │
       │                  └──────Stop──────────┴──► Stopping ──runner──► Stopped
       └── not started in time ──► Expired

One job may be active (Pending, InProgress, Stopping) per account at a time, whatever the pool. The
state lives in ``app.state["importjobs"]`` (plain, picklable data); ``ImportJobService`` owns every
change to it under its own lock, which is always taken *inside* moto's lock, never around it.
"""

from __future__ import annotations

import enum
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cognito_migrate.local.backends import user_pool
from cognito_migrate.local.importjobs import upload
from cognito_migrate.local.importjobs.csvfile import csv_header
from cognito_migrate.local.wire import CognitoError

if TYPE_CHECKING:
    from cognito_migrate.local.app import LocalCognitoApp

STATE_KEY = "importjobs"
MAX_JOBS_PER_POOL = 1000
# Cognito says a job that is not started within 24-48 hours expires; the exact delay is UNVERIFIED.
EXPIRE_UNSTARTED_AFTER = timedelta(hours=24)
# The job fails, after every row was tried, when more than this share of its users failed or were
# skipped. Cognito's threshold is UNVERIFIED; its message is quoted from a real job.
TOO_MANY_FAILURES_SHARE = 0.5
TOO_MANY_FAILURES_MESSAGE = "Too many users have failed or been skipped during the import."
SUCCEEDED_MESSAGE = "Import Job Completed Successfully."  # UNVERIFIED wording
STOPPED_MESSAGE = "The import job was stopped."  # UNVERIFIED wording
# A job that was running when the local Cognito stopped (and was restored from a state file).
INTERRUPTED_MESSAGE = "The import job was interrupted: the local Cognito stopped while it ran."
NO_FILE_MESSAGE = "No csv file was uploaded to the pre-signed URL of this import job."  # prefix quoted
# Which error a second active job gets is UNVERIFIED: StartUserImportJob documents no LimitExceeded,
# so the closest documented error is PreconditionNotMetException.
ANOTHER_JOB_ACTIVE_CODE = "PreconditionNotMetException"
ANOTHER_JOB_ACTIVE_MESSAGE = "Another import job is already running in this account: only one may be active."
# Whether "one active job per account" also spans Regions is UNVERIFIED (Cognito's quotas are per
# account and Region): jobs in other Regions do not count.
ONE_ACTIVE_JOB_ACROSS_REGIONS = False


class JobStatus(enum.StrEnum):
    CREATED = "Created"
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    EXPIRED = "Expired"


ACTIVE = frozenset({JobStatus.PENDING, JobStatus.IN_PROGRESS, JobStatus.STOPPING})


class RowResult(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


@dataclass
class ImportJob:
    job_id: str
    job_name: str
    account: str
    region: str
    pool_id: str
    role_arn: str
    algorithm: str | None
    created: datetime
    url: str
    status: JobStatus = JobStatus.CREATED
    started: datetime | None = None
    completed: datetime | None = None
    message: str | None = None
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    file: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ImportedHash:
    """A user's imported password hash, kept until the first sign-in verifies it (never shown)."""

    algorithm: str
    value: str = field(repr=False)


@dataclass
class ImportJobsState:
    jobs: dict[str, ImportJob] = field(default_factory=dict)
    hashes: dict[tuple[str, str], ImportedHash] = field(default_factory=dict)  # (pool id, sub)
    url_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ImportJobService:
    """Every import-job operation of one local Cognito. ``clock`` and ``row_pause`` (seconds between
    rows) are settings tests may change: the upload URL's expiry and a job's pace depend on them."""

    def __init__(self, app: LocalCognitoApp) -> None:
        self.app = app
        self.lock = threading.RLock()
        self.clock: Callable[[], datetime] = _utcnow
        self.row_pause = 0.0
        self._running: set[str] = set()  # jobs with a live runner thread in this process

    @property
    def state(self) -> ImportJobsState:
        state = self.app.state.setdefault(STATE_KEY, ImportJobsState())
        assert isinstance(state, ImportJobsState)
        return state

    # ── the API's operations ────────────────────────────────────────────────────────────────────

    def csv_header(self, account: str, region: str, pool_id: str) -> list[str]:
        with self.app.moto_lock:
            return csv_header(user_pool(account, region, pool_id).schema_attributes)

    def create(self, account: str, region: str, pool_id: str, name: str, role_arn: str,
               algorithm: str | None) -> ImportJob:  # fmt: skip
        now = self.clock()
        # moto's lock too: a state file is written under it, and must not see the jobs dict change.
        with self.app.moto_lock, self.lock:
            user_pool(account, region, pool_id)
            if sum(job.pool_id == pool_id for job in self.state.jobs.values()) >= MAX_JOBS_PER_POOL:
                message = f"A user pool can have at most {MAX_JOBS_PER_POOL} import jobs."
                raise CognitoError("LimitExceededException", message)
            job_id = "import-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
            url = upload.presign(self.state.url_secret, self.app.endpoint_url, account, pool_id, job_id, now)
            job = ImportJob(job_id, name, account, region, pool_id, role_arn, algorithm, now, url)
            self.state.jobs[job_id] = job
            return self._public(job)

    def start(self, account: str, region: str, pool_id: str, job_id: str) -> ImportJob:
        with self.app.moto_lock:
            pool = user_pool(account, region, pool_id)
            auto_verified = list(pool.extended_config.get("AutoVerifiedAttributes") or [])
        with self.lock:
            job = self._job(account, region, pool_id, job_id)
            if job.status is not JobStatus.CREATED:
                # Cognito's answer to starting a job twice is UNVERIFIED.
                raise _precondition(f"The import job is {job.status}; only a Created job can start.")
            if job.file is None:
                raise _precondition(NO_FILE_MESSAGE)
            if not auto_verified:
                raise _precondition("The user pool has no auto verified attributes (email or phone_number).")
            others = [other for other in self.state.jobs.values() if self._same_account(other, job)]
            for other in others:
                self._settle_interrupted(other)
            if any(other.status in ACTIVE for other in others):
                raise CognitoError(ANOTHER_JOB_ACTIVE_CODE, ANOTHER_JOB_ACTIVE_MESSAGE)
            job.status = JobStatus.PENDING
            job.started = self.clock()
            self._running.add(job_id)
            snapshot = self._public(job)
        from cognito_migrate.local.importjobs.runner import ImportJobRunner

        runner = ImportJobRunner(self, job_id)
        threading.Thread(target=runner.run, name=f"import-job:{job_id}", daemon=True).start()
        return snapshot

    def stop(self, account: str, region: str, pool_id: str, job_id: str) -> ImportJob:
        with self.lock:
            job = self._job(account, region, pool_id, job_id)
            if job.status not in (JobStatus.PENDING, JobStatus.IN_PROGRESS):
                # Cognito's answer to stopping a job that is not running is UNVERIFIED.
                raise _precondition(f"The import job is {job.status}; only a running job can stop.")
            job.status = JobStatus.STOPPING  # the runner stops between two rows
            return self._public(job)

    def describe(self, account: str, region: str, pool_id: str, job_id: str) -> ImportJob:
        with self.app.moto_lock:
            user_pool(account, region, pool_id)
        with self.lock:
            return self._public(self._job(account, region, pool_id, job_id))

    def list(self, account: str, region: str, pool_id: str) -> list[ImportJob]:
        """The pool's jobs, oldest first."""
        with self.app.moto_lock:
            user_pool(account, region, pool_id)
        with self.lock:
            jobs = [job for job in self.state.jobs.values()
                    if (job.account, job.region, job.pool_id) == (account, region, pool_id)]  # fmt: skip
            for job in jobs:
                self._settle_expiry(job)
                self._settle_interrupted(job)
            return [self._public(job) for job in jobs]

    def has_active_job(self, account: str, region: str, pool_id: str) -> bool:
        with self.lock:
            for job in self.state.jobs.values():
                self._settle_interrupted(job)
            return any((job.account, job.region, job.pool_id) == (account, region, pool_id)
                       and job.status in ACTIVE for job in self.state.jobs.values())  # fmt: skip

    # ── the upload URL ──────────────────────────────────────────────────────────────────────────

    def receive_file(self, job_id: str, data: bytes) -> bool:
        """Keep an uploaded file with its job. S3 accepts any upload; Cognito reads only what is there
        when the job starts, so a file sent after the start is ignored."""
        with self.lock:
            job = self.state.jobs.get(job_id)
            if job is None:
                return False
            if job.status is JobStatus.CREATED:
                job.file = data
            return True

    # ── used by the runner ──────────────────────────────────────────────────────────────────────

    def begin(self, job_id: str) -> ImportJob | None:
        """Pending → InProgress; the job with its file, or None when it was stopped before it began."""
        with self.lock:
            job = self.state.jobs[job_id]
            if job.status is JobStatus.STOPPING:
                self._end(job, JobStatus.STOPPED, STOPPED_MESSAGE)
                return None
            job.status = JobStatus.IN_PROGRESS
            return replace(job)

    def should_stop(self, job_id: str) -> bool:
        """True when a Stop arrived; the job is then Stopped."""
        with self.lock:
            job = self.state.jobs[job_id]
            if job.status is JobStatus.STOPPING:
                self._end(job, JobStatus.STOPPED, STOPPED_MESSAGE)
                return True
            return False

    def count(self, job_id: str, result: RowResult) -> None:
        with self.lock:
            job = self.state.jobs[job_id]
            if result is RowResult.SUCCEEDED:
                job.imported += 1
            elif result is RowResult.SKIPPED:
                job.skipped += 1
            else:
                job.failed += 1

    def fail(self, job_id: str, message: str) -> None:
        with self.lock:
            self._end(self.state.jobs[job_id], JobStatus.FAILED, message)

    def complete(self, job_id: str) -> None:
        """Every row was tried: Succeeded, or Failed when too many users failed or were skipped."""
        with self.lock:
            job = self.state.jobs[job_id]
            if job.status is JobStatus.STOPPING:
                self._end(job, JobStatus.STOPPED, STOPPED_MESSAGE)
                return
            total = job.imported + job.skipped + job.failed
            if total and job.skipped + job.failed > TOO_MANY_FAILURES_SHARE * total:
                self._end(job, JobStatus.FAILED, TOO_MANY_FAILURES_MESSAGE)
            else:
                self._end(job, JobStatus.SUCCEEDED, SUCCEEDED_MESSAGE)

    def runner_ended(self, job_id: str) -> None:
        with self.lock:
            self._running.discard(job_id)

    def keep_hash(self, pool_id: str, sub: str, algorithm: str, value: str) -> None:
        with self.app.moto_lock, self.lock:
            self.state.hashes[(pool_id, sub)] = ImportedHash(algorithm, value)

    # ── used at sign-in ─────────────────────────────────────────────────────────────────────────

    def imported_hash(self, pool_id: str, sub: str) -> ImportedHash | None:
        with self.lock:
            return self.state.hashes.get((pool_id, sub))

    def forget_hash(self, pool_id: str, sub: str) -> None:
        with self.app.moto_lock, self.lock:
            self.state.hashes.pop((pool_id, sub), None)

    # ── internals ───────────────────────────────────────────────────────────────────────────────

    def _job(self, account: str, region: str, pool_id: str, job_id: str) -> ImportJob:
        job = self.state.jobs.get(job_id)
        if job is None or (job.account, job.region, job.pool_id) != (account, region, pool_id):
            raise CognitoError("ResourceNotFoundException", f"Import job {job_id} does not exist.")
        self._settle_expiry(job)
        self._settle_interrupted(job)
        return job

    def _settle_expiry(self, job: ImportJob) -> None:
        if job.status is JobStatus.CREATED and self.clock() - job.created > EXPIRE_UNSTARTED_AFTER:
            job.status = JobStatus.EXPIRED

    def _settle_interrupted(self, job: ImportJob) -> None:
        if job.status in ACTIVE and job.job_id not in self._running:
            self._end(job, JobStatus.FAILED, INTERRUPTED_MESSAGE)

    @staticmethod
    def _same_account(one: ImportJob, other: ImportJob) -> bool:
        if one.account != other.account:
            return False
        return ONE_ACTIVE_JOB_ACROSS_REGIONS or one.region == other.region

    def _end(self, job: ImportJob, status: JobStatus, message: str) -> None:
        job.status = status
        job.message = message
        job.completed = self.clock()
        job.file = None  # Cognito does not keep the file once the job is over; neither need we

    @staticmethod
    def _public(job: ImportJob) -> ImportJob:
        return replace(job, file=None)


_ID_ALPHABET = string.ascii_letters + string.digits


def _precondition(message: str) -> CognitoError:
    return CognitoError("PreconditionNotMetException", message)
