"""Cognito user import jobs: the CSV files (written at plan time), the job runner and its log, and the
CloudWatch Logs role jobs write with. ``apply`` (the orchestration) lives in ``.apply``."""

from cognito_migrate.strategies.csv_import.csvfile import (
    FIRST_DATA_LINE,
    MAX_FILE_BYTES,
    MAX_ROW_CHARS,
    MAX_USERS_PER_FILE,
    ImportCsvWriter,
    ImportFile,
    RowRejected,
)
from cognito_migrate.strategies.csv_import.job import (
    ImportJob,
    ImportJobInterrupted,
    ImportJobListener,
    ImportJobOutcome,
    ImportJobRunner,
    JobStatus,
    JobTiming,
    safe_job_name,
)
from cognito_migrate.strategies.csv_import.job_log import JobLog, JobLogReader, LineOutcome, LineResult

__all__ = [
    "FIRST_DATA_LINE",
    "MAX_FILE_BYTES",
    "MAX_ROW_CHARS",
    "MAX_USERS_PER_FILE",
    "ImportCsvWriter",
    "ImportFile",
    "ImportJob",
    "ImportJobInterrupted",
    "ImportJobListener",
    "ImportJobOutcome",
    "ImportJobRunner",
    "JobLog",
    "JobLogReader",
    "JobStatus",
    "JobTiming",
    "LineOutcome",
    "LineResult",
    "RowRejected",
    "safe_job_name",
]
