"""The lifecycle of one Cognito user import job for one import CSV file (cognito-facts §1).

::

    CreateUserImportJob ──► PUT file (x-amz-server-side-encryption: aws:kms) ──► StartUserImportJob
          ▲                        │ URL expired (valid 15 min)                        │
          └──── a fresh job ◄──────┘                           poll DescribeUserImportJob
                                                                                       ▼
                                          Succeeded | Failed | Stopped ──► read the CloudWatch log

``ImportJobRunner.run`` drives all of it, and resumes a job whose id the caller recorded before a crash:
it describes the job first and goes on from its status (Created → upload and start; Expired → a fresh
job; Pending/InProgress/Stopping → poll; Succeeded/Failed/Stopped → read the log). Ctrl-C while a job
runs stops it (StopUserImportJob, then waits for Stopped) and raises ``ImportJobInterrupted``, a
``KeyboardInterrupt`` carrying the job's last state: a stopped job cannot restart, so the next run reads
its log and imports the users it never reached with a new file.

Calls go through the caller's cognito-idp client (``AwsSettings.client(..., rate_limiter=...)`` paces
the import-job operations at 5/s per pool); errors are ``map_cognito_errors``'. The pre-signed URL is a
bearer credential for 15 minutes: it is never logged or put in a message.
"""

from __future__ import annotations

import enum
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.errors import RemoteError, TerminalError, TransientError
from cognito_migrate.strategies.csv_import.job_log import (
    DEFAULT_LOG_POLL_INTERVAL,
    DEFAULT_LOG_TIMEOUT,
    JobLog,
    JobLogReader,
)

KMS_HEADER = "x-amz-server-side-encryption"
KMS_VALUE = "aws:kms"
MAX_JOB_NAME = 128
_JOB_NAME = re.compile(r"[\w\s+=,.@-]+")
_JOB_NAME_UNSAFE = re.compile(r"[^\w\s+=,.@-]+")
# What CreateUserImportJob answers while a role created seconds ago has not reached Cognito yet is
# UNVERIFIED; these are the codes an unusable role plausibly gets. Retried only when the caller says the
# role is new, and only for ``JobTiming.role_propagation_timeout``.
ROLE_NOT_READY_CODES = frozenset(
    {"InvalidParameterException", "NotAuthorizedException", "AccessDeniedException"}
)
# Which error a second active job gets is UNVERIFIED (the local Cognito answers PreconditionNotMet with
# "Another import job is already running…"). PreconditionNotMet for these reasons is something else:
_NOT_ANOTHER_JOB = re.compile(r"csv|file|upload|verif|only a created job", re.IGNORECASE)
_S3_ERROR_FIELD = re.compile(r"<(Code|Message)>([^<]*)</\1>")
# A URL this close to its end is treated as expired: S3 may drop the connection of a PUT refused midway
# instead of answering "Request has expired", and a fresh job costs one call.
URL_EXPIRY_MARGIN = timedelta(seconds=30)


class JobStatus(enum.StrEnum):
    CREATED = "Created"
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    EXPIRED = "Expired"


FINISHED = frozenset({JobStatus.STOPPED, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.EXPIRED})
RUNNING = frozenset({JobStatus.PENDING, JobStatus.IN_PROGRESS, JobStatus.STOPPING})


@dataclass(frozen=True)
class ImportJob:
    """One import job as Cognito last described it. ``status`` is a ``JobStatus`` value (kept as text:
    a status AWS adds later is not finished, so it is polled)."""

    job_id: str
    job_name: str
    pool_id: str
    status: str
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    completion_message: str | None = None
    role_arn: str | None = None
    password_algorithm: str | None = None
    created: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None
    pre_signed_url: str = field(default="", repr=False)

    @classmethod
    def from_api(cls, job: dict[str, Any]) -> ImportJob:
        """From botocore's ``UserImportJobType``."""
        return cls(
            job_id=job["JobId"],
            job_name=job.get("JobName", ""),
            pool_id=job.get("UserPoolId", ""),
            status=job.get("Status", ""),
            imported=int(job.get("ImportedUsers", 0)),
            skipped=int(job.get("SkippedUsers", 0)),
            failed=int(job.get("FailedUsers", 0)),
            completion_message=job.get("CompletionMessage"),
            role_arn=job.get("CloudWatchLogsRoleArn"),
            password_algorithm=job.get("PasswordHashingAlgorithm"),
            created=job.get("CreationDate"),
            started=job.get("StartDate"),
            completed=job.get("CompletionDate"),
            pre_signed_url=job.get("PreSignedUrl", ""),
        )

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def processed(self) -> int:
        """Users the job has tried so far: imported + skipped + failed (one log line each)."""
        return self.imported + self.skipped + self.failed


@dataclass(frozen=True)
class ImportJobOutcome:
    """A finished job and what its log says about each line."""

    job: ImportJob
    log: JobLog


@dataclass(frozen=True)
class JobTiming:
    """How often to ask and how long to wait; tests shrink these to run fast."""

    poll_interval: float = 2.0  # DescribeUserImportJob while a job runs
    active_job_wait: float = 3600.0  # for another account's job to end before ours can start
    active_job_retry_interval: float = 30.0
    role_propagation_timeout: float = 30.0  # a new IAM role reaching Cognito
    role_retry_interval: float = 2.0
    stop_timeout: float = 120.0  # for Stopped after StopUserImportJob
    upload_attempts: int = 3  # PUTs of one file to one URL (connection errors, S3 5xx)
    upload_retry_interval: float = 2.0
    upload_timeout: float = 120.0  # socket timeout of the PUT
    fresh_jobs: int = 3  # jobs created in a row because the URL had expired
    transient_polls: int = 5  # DescribeUserImportJob failures in a row (after botocore's retries)
    log_timeout: float = DEFAULT_LOG_TIMEOUT
    log_poll_interval: float = DEFAULT_LOG_POLL_INTERVAL


class ImportJobListener:
    """What the runner tells its caller; subclass and override what you need (all no-ops here).

    ``job_created`` comes right after CreateUserImportJob, before the upload: record the job id (and
    mark its users submitted) there, so a crash from then on is resumable. ``replaces`` is the job whose
    URL expired, which Cognito keeps as Created until it expires by itself.
    """

    def job_created(self, job: ImportJob, replaces: ImportJob | None) -> None:
        """A job was created (the first one, or a fresh one replacing ``replaces``)."""

    def job_updated(self, job: ImportJob) -> None:
        """Cognito described the job: after start, on every poll, after a stop. For a progress bar."""

    def notice(self, message: str) -> None:
        """Something the user should see: waiting for another job, a new role, a stop."""


class ImportJobInterrupted(KeyboardInterrupt):
    """Ctrl-C during a job: the job was stopped (or never started). ``job`` is its last known state;
    the run is resumable with ``job.job_id``."""

    def __init__(self, job: ImportJob | None, message: str) -> None:
        super().__init__(message)
        self.job = job


class UploadUrlExpired(TerminalError):
    """The job's pre-signed URL is older than its 15 minutes: a fresh job is needed."""


def check_job_name(name: str) -> str:
    """``name`` when Cognito accepts it as a job name (1–128 of ``[\\w\\s+=,.@-]``); ValueError if not."""
    if not 1 <= len(name) <= MAX_JOB_NAME or not _JOB_NAME.fullmatch(name):
        raise ValueError(f"import job name {name!r}: expected 1–{MAX_JOB_NAME} of letters, digits, _+=,.@- ")
    return name


def safe_job_name(text: str) -> str:
    """A valid job name made from ``text``: other characters become ``-``, cut to 128 characters."""
    name = _JOB_NAME_UNSAFE.sub("-", text).strip()[:MAX_JOB_NAME]
    return name or "cognito-migrate"


def url_expires_at(url: str) -> datetime | None:
    """When a SigV4 pre-signed URL stops working (``X-Amz-Date`` + ``X-Amz-Expires``), if it says."""
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    try:
        signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return signed + timedelta(seconds=int(query["X-Amz-Expires"]))
    except (KeyError, ValueError):
        return None


def upload_file(url: str, path: Path, *, timeout: float = 120.0) -> None:
    """PUT ``path`` to a job's pre-signed URL with the KMS header, streaming it from disk.

    Raises ``UploadUrlExpired``; ``TransientError`` for dropped connections and S3 5xx; ``TerminalError``
    for any other refusal (S3's code and message, never the URL).
    """
    size = path.stat().st_size
    with path.open("rb") as body:
        headers = {KMS_HEADER: KMS_VALUE, "Content-Length": str(size), "Content-Type": "text/csv"}
        # The URL Cognito handed out (https on AWS); the body is streamed from the open file.
        request = urllib.request.Request(url, data=body, method="PUT", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            raise _upload_error(path, exc.code, exc.read().decode("utf-8", "replace")) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransientError(f"upload of {path.name}: {reason}", operation="PutObject") from None


def _upload_error(path: Path, status: int, body: str) -> RemoteError:
    fields = dict(_S3_ERROR_FIELD.findall(body))
    code, message = fields.get("Code", f"HTTP{status}"), fields.get("Message", "")
    if status == 403 and "expired" in message.lower():
        return UploadUrlExpired(f"upload of {path.name}: {message}", code=code, operation="PutObject")
    text = f"upload of {path.name} to the import job's pre-signed URL: HTTP {status} {code}: {message}"
    if status >= 500 or code in ("SlowDown", "RequestTimeout"):
        return TransientError(text, code=code, operation="PutObject")
    return TerminalError(text, code=code, operation="PutObject")


class ImportJobRunner:
    """Runs import jobs into one pool, one at a time (Cognito allows one active job per account).

    ``idp`` is a paced cognito-idp client, ``logs`` a CloudWatch Logs client. ``role_arn`` is the
    job's CloudWatchLogsRoleArn; ``role_is_new`` allows CreateUserImportJob to be retried while IAM
    propagates a role created moments ago.

    >>> runner = ImportJobRunner(idp, logs, pool_id=pid, pool_name="portal", role_arn=arn)  # doctest: +SKIP
    >>> outcome = runner.run(Path("import-bcrypt-001.csv"), "run-3-bcrypt-001", algorithm="BCRYPT")
    """

    def __init__(
        self,
        idp: Any,
        logs: Any,
        *,
        pool_id: str,
        pool_name: str,
        role_arn: str,
        role_is_new: bool = False,
        timing: JobTiming | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.idp = idp
        self.pool_id = pool_id
        self.role_arn = role_arn
        self.role_is_new = role_is_new
        self.timing = timing or JobTiming()
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._current: ImportJob | None = None  # the job a Ctrl-C must stop (it changes on a fresh job)
        self.log_reader = JobLogReader(
            logs, pool_id=pool_id, pool_name=pool_name, timeout=self.timing.log_timeout,
            poll_interval=self.timing.log_poll_interval, clock=clock, sleep=sleep,
        )  # fmt: skip

    # ── the whole lifecycle ─────────────────────────────────────────────────────────────────────

    def run(
        self,
        file: Path,
        job_name: str,
        *,
        algorithm: str | None = None,
        job_id: str | None = None,
        listener: ImportJobListener | None = None,
    ) -> ImportJobOutcome:
        """Import ``file`` with a new job, or resume the job ``job_id``; return it finished with its log.

        ``algorithm`` is the job's PasswordHashingAlgorithm (files with a ``password_hash`` column).
        Raises ``ImportJobInterrupted`` on Ctrl-C, ``RemoteError`` when Cognito refuses.
        """
        listener = listener or ImportJobListener()
        check_job_name(job_name)
        job = self.describe(job_id) if job_id else self.create(job_name, algorithm, listener)
        if job_id:
            listener.job_updated(job)
        try:
            job = self._drive(job, file, listener)
        except KeyboardInterrupt:
            raise self._interrupted(self._current or job, listener) from None
        finally:
            self._current = None
        return ImportJobOutcome(job, self.read_log(job))

    def _drive(self, job: ImportJob, file: Path, listener: ImportJobListener) -> ImportJob:
        self._current = job
        fresh = 0
        while job.status in (JobStatus.CREATED, JobStatus.EXPIRED):
            if job.status == JobStatus.CREATED:
                try:
                    self.upload(job, file)
                except UploadUrlExpired:
                    pass
                else:
                    job = self._current = self.start(job, listener)
                    continue
            fresh += 1
            if fresh > self.timing.fresh_jobs:
                raise TerminalError(
                    f"import job {job.job_id}: its upload URL expired {fresh - 1} times in a row; "
                    "is the upload slower than 15 minutes?", code="RequestExpired", operation="PutObject",
                )  # fmt: skip
            why = "it expired unstarted" if job.status == JobStatus.EXPIRED else "its upload URL expired"
            listener.notice(
                f"import job {job.job_id} can no longer take the file ({why}): creating a fresh job"
            )
            job = self._current = self.create(job.job_name, job.password_algorithm, listener, replaces=job)
        return self.wait(job, listener)

    # ── one step each ───────────────────────────────────────────────────────────────────────────

    def create(
        self,
        job_name: str,
        algorithm: str | None,
        listener: ImportJobListener | None = None,
        *,
        replaces: ImportJob | None = None,
    ) -> ImportJob:
        """CreateUserImportJob, retried while a new role propagates; tells ``listener.job_created``."""
        listener = listener or ImportJobListener()
        params: dict[str, Any] = {
            "UserPoolId": self.pool_id,
            "JobName": check_job_name(job_name),
            "CloudWatchLogsRoleArn": self.role_arn,
        }
        if algorithm:
            params["PasswordHashingAlgorithm"] = algorithm
        deadline = self._clock() + (self.timing.role_propagation_timeout if self.role_is_new else 0.0)
        while True:
            try:
                with map_cognito_errors("CreateUserImportJob"):
                    answer = self.idp.create_user_import_job(**params)
                break
            except TerminalError as exc:
                if exc.code not in ROLE_NOT_READY_CODES or self._clock() >= deadline:
                    raise
                listener.notice(f"the new role {self.role_arn} is not usable by Cognito yet (IAM changes "
                                f"take a few seconds to propagate): retrying ({exc})")  # fmt: skip
                self._sleep(self.timing.role_retry_interval)
        job = ImportJob.from_api(answer["UserImportJob"])
        listener.job_created(job, replaces)
        return job

    def upload(self, job: ImportJob, file: Path) -> None:
        """PUT ``file`` to the job's URL; retried on dropped connections and S3 5xx. Raises
        ``UploadUrlExpired`` when a fresh job is needed."""
        expires = url_expires_at(job.pre_signed_url)
        if expires is not None and self._wall_clock() >= expires - URL_EXPIRY_MARGIN:
            message = f"import job {job.job_id}: its upload URL expired at {expires:%H:%M:%S} UTC"
            raise UploadUrlExpired(message, code="RequestExpired", operation="PutObject")
        for attempt in range(1, self.timing.upload_attempts + 1):
            try:
                upload_file(job.pre_signed_url, file, timeout=self.timing.upload_timeout)
                return
            except TransientError:
                if attempt >= self.timing.upload_attempts:
                    raise
                self._sleep(self.timing.upload_retry_interval * attempt)

    def start(self, job: ImportJob, listener: ImportJobListener | None = None) -> ImportJob:
        """StartUserImportJob; while another job is active in the account, wait (bounded) and retry."""
        listener = listener or ImportJobListener()
        deadline = self._clock() + self.timing.active_job_wait
        waiting_since: float | None = None
        while True:
            try:
                with map_cognito_errors("StartUserImportJob"):
                    answer = self.idp.start_user_import_job(UserPoolId=self.pool_id, JobId=job.job_id)
                started = ImportJob.from_api(answer["UserImportJob"])
                listener.job_updated(started)
                return started
            except TerminalError as exc:
                if exc.code not in ("PreconditionNotMetException", "LimitExceededException"):
                    raise
                current = self.describe(job.job_id)
                if current.status != JobStatus.CREATED:
                    return current  # started after all (an answer lost on the way), or over
                if _NOT_ANOTHER_JOB.search(str(exc)):
                    raise
                now = self._clock()
                waiting_since = now if waiting_since is None else waiting_since
                if now >= deadline:
                    raise TransientError(
                        f"import job {job.job_id} could not start: another import job stayed active in this "
                        f"account for {now - waiting_since:.0f} s (Cognito runs one at a time). Run again "
                        f"when it has finished. Cognito said: {exc}",
                        code=exc.code, operation="StartUserImportJob",
                    ) from exc  # fmt: skip
                listener.notice(self._waiting_message(job, exc, now - waiting_since))
                self._sleep(min(self.timing.active_job_retry_interval, max(0.0, deadline - now)))

    def wait(self, job: ImportJob, listener: ImportJobListener | None = None) -> ImportJob:
        """Poll DescribeUserImportJob until the job is finished, reporting every answer."""
        listener = listener or ImportJobListener()
        failures = 0
        while not job.finished:
            self._sleep(self.timing.poll_interval)
            try:
                job = self.describe(job.job_id)
            except TransientError:
                failures += 1
                if failures >= self.timing.transient_polls:
                    raise
                continue
            failures = 0
            listener.job_updated(job)
        return job

    def stop(self, job_id: str, listener: ImportJobListener | None = None) -> ImportJob:
        """Stop a running job and wait (up to ``stop_timeout``) until it is Stopped or otherwise over.
        A job that is not running is returned as it is."""
        listener = listener or ImportJobListener()
        job = self.describe(job_id)
        if job.status in (JobStatus.PENDING, JobStatus.IN_PROGRESS):
            try:
                with map_cognito_errors("StopUserImportJob"):
                    answer = self.idp.stop_user_import_job(UserPoolId=self.pool_id, JobId=job_id)
                job = ImportJob.from_api(answer["UserImportJob"])
            except TerminalError as exc:
                if exc.code != "PreconditionNotMetException":  # it ended on its own meanwhile
                    raise
                job = self.describe(job_id)
            listener.job_updated(job)
        deadline = self._clock() + self.timing.stop_timeout
        while job.running and self._clock() < deadline:
            self._sleep(self.timing.poll_interval)
            job = self.describe(job_id)
            listener.job_updated(job)
        return job

    def describe(self, job_id: str) -> ImportJob:
        try:
            with map_cognito_errors("DescribeUserImportJob"):
                answer = self.idp.describe_user_import_job(UserPoolId=self.pool_id, JobId=job_id)
        except TerminalError as exc:
            if exc.code != "ResourceNotFoundException":
                raise
            raise TerminalError(
                f"import job {job_id} does not exist in user pool {self.pool_id}: was it recorded for "
                f"another pool, Region or account? ({exc})", code=exc.code, operation=exc.operation,
            ) from exc  # fmt: skip
        return ImportJob.from_api(answer["UserImportJob"])

    def read_log(self, job: ImportJob) -> JobLog:
        """The job's per-line results, waiting for as many as its counters report."""
        return self.log_reader.read(job.job_id, job.job_name, job.processed)

    # ── internals ───────────────────────────────────────────────────────────────────────────────

    def _interrupted(self, job: ImportJob, listener: ImportJobListener) -> ImportJobInterrupted:
        try:
            stopped = self.stop(job.job_id, listener)
        except RemoteError as exc:
            listener.notice(f"import job {job.job_id}: could not stop it after Ctrl-C ({exc}); the next run "
                            "will find it and go on")  # fmt: skip
            return ImportJobInterrupted(job, f"interrupted; import job {job.job_id} may still be running")
        state = f"still {stopped.status}" if stopped.running else stopped.status
        message = f"interrupted; import job {stopped.job_id} is {state}"
        listener.notice(f"{message}: run again to resume")
        return ImportJobInterrupted(stopped, message)

    def _waiting_message(self, job: ImportJob, exc: RemoteError, waited: float) -> str:
        limit = self.timing.active_job_wait
        return (
            f"import job {job.job_id} is waiting: Cognito runs one import job per account at a time and "
            f"another one is active ({exc}). Waited {waited:.0f} s of at most {limit:.0f} s; Ctrl-C to "
            "stop and resume later."
        )
