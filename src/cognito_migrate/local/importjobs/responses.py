"""The six import-job actions on the wire: parse and validate parameters, serialise answers.

Validation errors use the wording of Cognito's JSON protocol ("1 validation error detected: …"), since
botocore checks little on the client side (no patterns, no maximums).
"""

from __future__ import annotations

import re
from typing import Any

from cognito_migrate.local.app import Forward
from cognito_migrate.local.importjobs.hashes import ALGORITHMS
from cognito_migrate.local.importjobs.models import ImportJob, ImportJobService
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply, invalid_parameter

_JOB_NAME = re.compile(r"[\w\s+=,.@-]+")
_ROLE_ARN = re.compile(r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+"
                       r"(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?")  # fmt: skip
_JOB_ID = re.compile(r"import-[0-9a-zA-Z-]+")
MAX_LIST_RESULTS = 60


class ImportJobResponses:
    """One handler per action; each answers by itself (moto has none of these actions)."""

    def __init__(self, service: ImportJobService) -> None:
        self.service = service

    def get_csv_header(self, call: ApiCall, forward: Forward) -> Reply:
        pool_id = _required(call, "UserPoolId", "userPoolId")
        header = self.service.csv_header(call.account, call.region, pool_id)
        return Reply.json({"UserPoolId": pool_id, "CSVHeader": header})

    def create_user_import_job(self, call: ApiCall, forward: Forward) -> Reply:
        pool_id = _required(call, "UserPoolId", "userPoolId")
        name = _required(call, "JobName", "jobName")
        role_arn = _required(call, "CloudWatchLogsRoleArn", "cloudWatchLogsRoleArn")
        _check_pattern(name, _JOB_NAME, "jobName", 1, 128)
        _check_pattern(role_arn, _ROLE_ARN, "cloudWatchLogsRoleArn", 20, 2048)
        algorithm = call.params.get("PasswordHashingAlgorithm")
        if algorithm is not None and algorithm not in ALGORITHMS:
            raise invalid_parameter(
                f"1 validation error detected: Value '{algorithm}' at 'passwordHashingAlgorithm' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{', '.join(ALGORITHMS)}]"
            )
        job = self.service.create(call.account, call.region, pool_id, name, role_arn, algorithm)
        return Reply.json({"UserImportJob": serialise(job)})

    def start_user_import_job(self, call: ApiCall, forward: Forward) -> Reply:
        job = self.service.start(call.account, call.region, *_job_key(call))
        return Reply.json({"UserImportJob": serialise(job)})

    def stop_user_import_job(self, call: ApiCall, forward: Forward) -> Reply:
        job = self.service.stop(call.account, call.region, *_job_key(call))
        return Reply.json({"UserImportJob": serialise(job)})

    def describe_user_import_job(self, call: ApiCall, forward: Forward) -> Reply:
        job = self.service.describe(call.account, call.region, *_job_key(call))
        return Reply.json({"UserImportJob": serialise(job)})

    def list_user_import_jobs(self, call: ApiCall, forward: Forward) -> Reply:
        pool_id = _required(call, "UserPoolId", "userPoolId")
        max_results = call.params.get("MaxResults")
        if max_results is None:
            raise _null("maxResults")
        if not isinstance(max_results, int) or not 1 <= max_results <= MAX_LIST_RESULTS:
            raise invalid_parameter(
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value between 1 and {MAX_LIST_RESULTS}"
            )
        jobs = self.service.list(call.account, call.region, pool_id)
        start = 0
        token = call.params.get("PaginationToken")
        if token is not None:
            ids = [job.job_id for job in jobs]
            if token not in ids:
                raise invalid_parameter("Invalid pagination token.")
            start = ids.index(token)
        page = jobs[start : start + max_results]
        payload: dict[str, Any] = {"UserImportJobs": [serialise(job) for job in page]}
        if start + max_results < len(jobs):
            payload["PaginationToken"] = jobs[start + max_results].job_id
        return Reply.json(payload)


def serialise(job: ImportJob) -> dict[str, Any]:
    """``UserImportJobType`` as botocore's model spells it; optional members only when they have a value."""
    payload: dict[str, Any] = {
        "JobName": job.job_name,
        "JobId": job.job_id,
        "UserPoolId": job.pool_id,
        "PreSignedUrl": job.url,
        "CreationDate": job.created,
        "Status": str(job.status),
        "CloudWatchLogsRoleArn": job.role_arn,
        "ImportedUsers": job.imported,
        "SkippedUsers": job.skipped,
        "FailedUsers": job.failed,
    }
    optional = {
        "StartDate": job.started,
        "CompletionDate": job.completed,
        "CompletionMessage": job.message,
        "PasswordHashingAlgorithm": job.algorithm,
    }
    payload.update({key: value for key, value in optional.items() if value is not None})
    return payload


def _job_key(call: ApiCall) -> tuple[str, str]:
    pool_id = _required(call, "UserPoolId", "userPoolId")
    job_id = _required(call, "JobId", "jobId")
    _check_pattern(job_id, _JOB_ID, "jobId", 1, 55)
    return pool_id, job_id


def _required(call: ApiCall, name: str, wire_name: str) -> str:
    value = call.params.get(name)
    if value is None:
        raise _null(wire_name)
    if not isinstance(value, str):
        raise invalid_parameter(f"{name} must be a string.")
    return value


def _null(wire_name: str) -> CognitoError:
    return invalid_parameter(
        f"1 validation error detected: Value null at '{wire_name}' failed to satisfy constraint: "
        "Member must not be null"
    )


def _check_pattern(value: str, pattern: re.Pattern[str], wire_name: str, low: int, high: int) -> None:
    if not low <= len(value) <= high:
        raise invalid_parameter(
            f"1 validation error detected: Value '{value}' at '{wire_name}' failed to satisfy constraint: "
            f"Member must have length between {low} and {high}"
        )
    if not pattern.fullmatch(value):
        raise invalid_parameter(
            f"1 validation error detected: Value '{value}' at '{wire_name}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern.pattern}"
        )
