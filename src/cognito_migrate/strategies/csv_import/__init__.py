"""Cognito user import jobs: the CSV files (written at plan time) and, later, the job runner."""

from cognito_migrate.strategies.csv_import.csvfile import (
    FIRST_DATA_LINE,
    MAX_FILE_BYTES,
    MAX_ROW_CHARS,
    MAX_USERS_PER_FILE,
    ImportCsvWriter,
    ImportFile,
    RowRejected,
)

__all__ = [
    "FIRST_DATA_LINE",
    "MAX_FILE_BYTES",
    "MAX_ROW_CHARS",
    "MAX_USERS_PER_FILE",
    "ImportCsvWriter",
    "ImportFile",
    "RowRejected",
]
