"""Reading an import job's CSV file the way Cognito reads it.

Cognito's format is not RFC 4180: values are never quoted, a comma inside a value is written ``\\,``
(AWS's own export tool replaces ``,`` with ``\\,`` and nothing else), values are trimmed, the file is
UTF-8 without a byte order mark, and the header must hold every column of ``GetCSVHeader`` in any order.

Problems with the file as a whole (``CsvFileError``) fail the job; problems with one row are reported
on that row and fail only that user.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# The columns GetCSVHeader returns for every pool, in the order Cognito's documentation shows them.
STANDARD_COLUMNS: tuple[str, ...] = (
    "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile",
    "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale",
    "phone_number", "phone_number_verified", "address", "updated_at", "cognito:mfa_enabled",
    "cognito:username",
)  # fmt: skip
USERNAME_COLUMN = "cognito:username"
MFA_COLUMN = "cognito:mfa_enabled"
# Cognito's documentation says to add this column yourself when the job has a PasswordHashingAlgorithm.
# Whether GetCSVHeader itself ever lists it is UNVERIFIED: it is accepted as an extra column only in
# jobs created with an algorithm.
PASSWORD_HASH_COLUMN = "password_hash"  # noqa: S105 - a column name, not a password

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_ROW_CHARS = 16_000
MAX_USERS = 500_000
# The number logged for the first data row. AWS's own tool numbers the first data row 1; whether
# Cognito counts the header as line 1 is UNVERIFIED. Blank lines still take a number.
FIRST_DATA_LINE_NUMBER = 1

_BOM = b"\xef\xbb\xbf"
# Leading and trailing blanks Cognito trims; which characters count is UNVERIFIED.
_TRIMMED = " \t"
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


class CsvFileError(Exception):
    """The file as a whole is unusable; the message becomes the job's CompletionMessage."""


def csv_header(custom_attributes: Iterable[str]) -> list[str]:
    """GetCSVHeader's answer: the standard columns plus the pool's ``custom:`` attributes (never sub)."""
    return [*STANDARD_COLUMNS, *(name for name in custom_attributes if name.startswith("custom:"))]


def escape_value(value: str) -> str:
    """Write one value the way Cognito reads it back (AWS's tool does exactly this)."""
    return value.replace(",", "\\,")


def join_row(values: Iterable[str]) -> str:
    return ",".join(escape_value(value) for value in values)


def split_row(line: str) -> list[str]:
    """Split one line on unescaped commas; ``\\,`` becomes ``,``; values are trimmed.

    A value that ends with a backslash cannot be written (``a\\,`` reads as an escaped comma), as with
    Cognito; other backslashes are kept as they are (how Cognito reads them is UNVERIFIED).
    """
    return [part.replace("\\,", ",").strip(_TRIMMED) for part in _UNESCAPED_COMMA.split(line)]


@dataclass(frozen=True)
class CsvRow:
    """One data row: its logged line number, and either its values by column or why it is unusable."""

    line_number: int
    values: dict[str, str] | None
    problem: str | None = None


@dataclass(frozen=True)
class CsvFile:
    """A file whose header and size were accepted; ``rows()`` reads the data rows one at a time."""

    data: bytes
    columns: tuple[str, ...]
    user_count: int

    def rows(self) -> Iterator[CsvRow]:
        lines = _lines(self.data)
        next(lines)  # the header
        for index, raw in enumerate(lines):
            if not raw.strip():
                continue
            yield _read_row(raw.decode("utf-8"), FIRST_DATA_LINE_NUMBER + index, self.columns)


def open_csv(data: bytes, required: Sequence[str], optional: Sequence[str] = ()) -> CsvFile:
    """Check the whole file before any user is imported, as Cognito does; raise ``CsvFileError``."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError(f"The CSV file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if data.startswith(_BOM):
        raise CsvFileError("The CSV file starts with a byte order mark; save it as UTF-8 without BOM.")
    lines = _lines(data)
    header_line = next(lines, b"")
    if not header_line.strip():
        raise CsvFileError("The CSV file is empty: the first row must be the header.")
    columns = tuple(split_row(_decode(header_line, 1)))
    _check_header(columns, required, optional)
    users = 0
    for index, raw in enumerate(lines):
        _decode(raw, index + 2)
        if raw.strip():
            users += 1
    if users > MAX_USERS:
        raise CsvFileError(f"The CSV file has more than {MAX_USERS} users.")
    return CsvFile(data, columns, users)


def _check_header(columns: Sequence[str], required: Sequence[str], optional: Sequence[str]) -> None:
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise CsvFileError(_bounded("The CSV header repeats columns: ", repeated))
    missing = [column for column in required if column not in columns]
    if missing:
        raise CsvFileError(_bounded("The CSV header is missing columns: ", missing))
    unknown = [column for column in columns if column not in required and column not in optional]
    if unknown:
        raise CsvFileError(_bounded("The CSV header has columns the user pool does not know: ", unknown))


def _bounded(prefix: str, names: Sequence[str]) -> str:
    # CompletionMessage is at most 128 characters in Cognito's API model.
    text = prefix + ", ".join(names)
    return text if len(text) <= 128 else text[:125] + "..."


def _read_row(line: str, line_number: int, columns: Sequence[str]) -> CsvRow:
    if len(line) > MAX_ROW_CHARS:
        return CsvRow(line_number, None, f"The row is longer than {MAX_ROW_CHARS} characters.")
    if "\r" in line:
        # How Cognito reads a line break inside a value is UNVERIFIED: such values are rejected.
        return CsvRow(line_number, None, "A value contains a carriage return or line feed.")
    values = split_row(line)
    if len(values) != len(columns):
        problem = f"The row has {len(values)} values but the header has {len(columns)} columns."
        return CsvRow(line_number, None, problem)
    return CsvRow(line_number, dict(zip(columns, values, strict=True)))


def _lines(data: bytes) -> Iterator[bytes]:
    """The file's lines without their ``\\n`` or ``\\r\\n`` ending, read without copying the file."""
    for raw in io.BytesIO(data):
        line = raw[:-1] if raw.endswith(b"\n") else raw
        yield line[:-1] if line.endswith(b"\r") else line


def _decode(raw: bytes, physical_line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsvFileError(f"The CSV file is not valid UTF-8 (line {physical_line} of the file).") from exc
