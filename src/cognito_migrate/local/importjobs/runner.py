"""Running one import job in its own thread: the file's rows become users and CloudWatch log events.

Moto's lock is held for one row at a time, never for the whole job, so the server keeps answering
(DescribeUserImportJob, sign-ins) while a large file is imported.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from cognito_migrate.local.backends import cognito_backend, find_user, logs_backend, user_pool
from cognito_migrate.local.importjobs.csvfile import PASSWORD_HASH_COLUMN, CsvFileError, CsvRow, open_csv
from cognito_migrate.local.importjobs.models import RowResult
from cognito_migrate.local.importjobs.rules import NewUser, PoolRules, Rejected, check_row, pool_rules

if TYPE_CHECKING:
    from cognito_migrate.local.importjobs.models import ImportJob, ImportJobService

log = logging.getLogger(__name__)

ALREADY_EXISTS = "The user already exists."
IMPORTED = "The import succeeded."
INTERNAL_ERROR_MESSAGE = "The import job stopped on an internal error of the local Cognito."
_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}


def log_group_name(pool_id: str, pool_name: str) -> str:
    return f"/aws/cognito/userpools/{pool_id}/{pool_name}"


def log_stream_name(job_id: str, job_name: str) -> str:
    return f"{job_id}/{job_name}"


def log_message(result: RowResult, line_number: int, reason: str) -> str:
    return f"[{result}] Line Number {line_number} - {reason}"


class ImportJobRunner:
    def __init__(self, service: ImportJobService, job_id: str) -> None:
        self.service = service
        self.app = service.app
        self.job_id = job_id

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("import job %s failed", self.job_id)
            self.service.fail(self.job_id, INTERNAL_ERROR_MESSAGE)
        finally:
            self.service.runner_ended(self.job_id)

    def _run(self) -> None:
        job = self.service.begin(self.job_id)
        if job is None:
            return
        with self.app.moto_lock:
            pool = user_pool(job.account, job.region, job.pool_id)
            rules = pool_rules(pool)
            header = self.service.csv_header(job.account, job.region, job.pool_id)
            group = log_group_name(pool.id, pool.name)
        optional = [PASSWORD_HASH_COLUMN] if job.algorithm else []
        try:
            csv = open_csv(job.file or b"", header, optional)
        except CsvFileError as exc:
            self.service.fail(self.job_id, str(exc))
            return
        stream = log_stream_name(job.job_id, job.job_name)
        self._open_log(job, group, stream)
        for row in csv.rows():
            if self.service.should_stop(self.job_id):
                return
            result, reason = self._import_row(job, row, rules)
            self._write_log(job, group, stream, log_message(result, row.line_number, reason))
            self.service.count(self.job_id, result)
            if self.service.row_pause:
                time.sleep(self.service.row_pause)
        self.service.complete(self.job_id)

    def _import_row(self, job: ImportJob, row: CsvRow, rules: PoolRules) -> tuple[RowResult, str]:
        if row.values is None:
            return RowResult.FAILED, row.problem or "The row cannot be read."
        outcome = check_row(row.values, rules, job.algorithm)
        if isinstance(outcome, Rejected):
            return RowResult.FAILED, outcome.reason
        with self.app.moto_lock:
            return self._create_user(job, outcome, rules)

    def _create_user(self, job: ImportJob, new: NewUser, rules: PoolRules) -> tuple[RowResult, str]:
        from moto.cognitoidp.models import UserStatus

        pool = cognito_backend(job.account, job.region).user_pools.get(job.pool_id)
        if pool is None:
            return RowResult.FAILED, f"User pool {job.pool_id} does not exist."
        # A duplicate later in the same file finds the user its first row created.
        if find_user(pool, new.username, by_alias=False) is not None:
            return RowResult.SKIPPED, ALREADY_EXISTS
        conflict = _alias_conflict(pool, new, rules)
        if conflict:
            return RowResult.FAILED, conflict
        try:
            user = cognito_backend(job.account, job.region).admin_create_user(
                job.pool_id, new.username, "SUPPRESS", "", new.attributes
            )
        except Exception as exc:  # moto's errors carry Cognito's message
            message = getattr(exc, "message", None)
            if not message:
                raise
            return RowResult.FAILED, str(message)
        user.password = None
        user.sms_mfa_enabled = new.mfa_enabled
        if new.password_hash and job.algorithm:
            user.status = UserStatus.CONFIRMED
            self.service.keep_hash(job.pool_id, user.id, job.algorithm, new.password_hash)
        else:
            user.status = UserStatus.RESET_REQUIRED
        return RowResult.SUCCEEDED, IMPORTED

    def _open_log(self, job: ImportJob, group: str, stream: str) -> None:
        # Cognito creates the group with the job's role when it does not exist yet.
        with self.app.moto_lock:
            logs = logs_backend(job.account, job.region)
            if group not in logs.groups:
                logs.create_log_group(group, tags={})
            if stream not in logs.groups[group].streams:
                logs.create_log_stream(group, stream)

    def _write_log(self, job: ImportJob, group: str, stream: str, message: str) -> None:
        event = {"timestamp": int(time.time() * 1000), "message": message}
        with self.app.moto_lock:
            logs_backend(job.account, job.region).put_log_events(group, stream, [event])


def _alias_conflict(pool: Any, new: NewUser, rules: PoolRules) -> str | None:
    """A verified alias value another user already holds. Cognito's behaviour for this case in an import
    is UNVERIFIED; AdminCreateUser answers AliasExistsException with this text."""
    values = {attribute["Name"]: attribute["Value"] for attribute in new.attributes}
    for attribute in rules.alias_attributes:
        flag = _VERIFIED_FLAG.get(attribute)
        value = values.get(attribute)
        if flag and value and values.get(flag) == "true" and find_user(pool, value) is not None:
            return f"An account with the given {attribute} already exists."
    return None
