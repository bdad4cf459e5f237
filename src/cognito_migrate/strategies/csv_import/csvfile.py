"""Writing Cognito's user-import CSV exactly to its rules (cognito-facts §1).

Every header column from GetCSVHeader, in its order; UTF-8 without BOM; values unquoted with ``\\,`` for
a comma (what AWS's own export tool writes); booleans ``TRUE``/``FALSE``; birthdate ``mm/dd/yyyy``;
``cognito:mfa_enabled`` always written to match the pool; at most 16,000 characters a row, 500,000 users
and 100 MB a file. Files are created 0600 (they hold personal data, and password hashes).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_USERS_PER_FILE = 500_000
MAX_FILE_BYTES = 100 * 1000 * 1000  # UNVERIFIED whether AWS means 10^8 or 2^20·100: the smaller one
MAX_ROW_CHARS = 16_000
# UNVERIFIED: whether Cognito's log "Line Number N" counts the header. AWS's own tool numbers the first
# data row 1; the local Cognito does the same (its FIRST_DATA_LINE_NUMBER). Change both together.
FIRST_DATA_LINE = 1
PASSWORD_HASH_COLUMN = "password_hash"  # noqa: S105 - a column name, not a password
_BOOLEAN_COLUMNS = frozenset({"email_verified", "phone_number_verified", "cognito:mfa_enabled"})


class RowRejected(ValueError):
    """A user whose row Cognito would refuse; the message says which rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class ImportFile:
    name: str
    algorithm: str | None
    users: int
    bytes: int
    sha256: str


def _cell(column: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise RowRejected("csv.newline", f"{column} contains a line break, which an import CSV cannot hold")
    if column in _BOOLEAN_COLUMNS:
        return "TRUE" if value.lower() == "true" else "FALSE"
    if column == "birthdate" and len(value) == 10 and value[4] == "-" and value[7] == "-":
        value = f"{value[5:7]}/{value[8:10]}/{value[0:4]}"  # the API's YYYY-MM-DD, the CSV's mm/dd/yyyy
    return value.strip().replace(",", "\\,")


class ImportCsvWriter:
    """Writes the import files of one password algorithm (``None``: users without a hash)."""

    def __init__(
        self,
        directory: Path,
        header: Sequence[str],
        *,
        algorithm: str | None,
        mfa_configuration: str,
        max_users: int = MAX_USERS_PER_FILE,
        max_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.directory = directory
        self.algorithm = algorithm
        columns = [column for column in header if column != PASSWORD_HASH_COLUMN]
        self.columns = (*columns, PASSWORD_HASH_COLUMN) if algorithm else tuple(columns)
        self._mfa_default = "TRUE" if mfa_configuration == "ON" else "FALSE"
        self._mfa_optional = mfa_configuration == "OPTIONAL"
        self._max_users = max_users
        self._max_bytes = max_bytes
        self._header_line = ",".join(self.columns) + "\n"
        self._blank = [""] * len(self.columns)
        special = {"cognito:username", "cognito:mfa_enabled", PASSWORD_HASH_COLUMN}
        self._index = {name: i for i, name in enumerate(self.columns) if name not in special}
        self._username_at = self.columns.index("cognito:username")
        self._mfa_at = (
            self.columns.index("cognito:mfa_enabled") if "cognito:mfa_enabled" in self.columns else None
        )
        self._hash_at = self.columns.index(PASSWORD_HASH_COLUMN) if algorithm else None
        self._handle: IO[bytes] | None = None
        self._digest = hashlib.sha256()
        self._users = 0
        self._bytes = 0
        self._files: list[ImportFile] = []
        self._name = ""

    @property
    def stem(self) -> str:
        return f"import-{(self.algorithm or 'reset-required').lower()}"

    def add(
        self,
        username: str,
        attributes: Mapping[str, str],
        *,
        mfa_enabled: bool | None = None,
        password_hash: str | None = None,
    ) -> tuple[str, int]:
        """Write one user's row; return (file name, line number as Cognito's log will give it).

        Raises ``RowRejected`` (and writes nothing) for a row Cognito would refuse.
        """
        line = self.row(username, attributes, mfa_enabled=mfa_enabled, password_hash=password_hash)
        data = (line + "\n").encode("utf-8")
        if (
            self._handle is None
            or self._users >= self._max_users
            or self._bytes + len(data) > self._max_bytes
        ):
            self._start_file()
        assert self._handle is not None
        self._handle.write(data)
        self._digest.update(data)
        self._bytes += len(data)
        self._users += 1
        return self._name, FIRST_DATA_LINE + self._users - 1

    @property
    def header_line(self) -> str:
        return self._header_line

    def row(
        self,
        username: str,
        attributes: Mapping[str, str],
        *,
        mfa_enabled: bool | None = None,
        password_hash: str | None = None,
    ) -> str:
        """One user's row without its line ending, not written anywhere (``export`` streams rows
        itself). Raises ``RowRejected`` for a row Cognito would refuse."""
        mfa = self._mfa_default
        if self._mfa_optional and mfa_enabled is not None:
            mfa = "TRUE" if mfa_enabled else "FALSE"
        # Most of the ~21 header columns are empty for most users: start from a blank row and fill in
        # the columns this user has (the hot path of planning a million users).
        cells = self._blank.copy()
        index = self._index
        for name, value in attributes.items():
            position = index.get(name)
            if position is not None and value is not None:
                cells[position] = _cell(name, value)
        cells[self._username_at] = _cell("cognito:username", username)
        if self._mfa_at is not None:
            cells[self._mfa_at] = mfa
        if self._hash_at is not None:
            cells[self._hash_at] = _cell(PASSWORD_HASH_COLUMN, password_hash or "")
        line = ",".join(cells)
        if len(line) > MAX_ROW_CHARS:
            raise RowRejected(
                "csv.row-too-long",
                f"the import row would have {len(line):,} characters; "
                f"Cognito reads at most {MAX_ROW_CHARS:,}",
            )
        return line

    def _start_file(self) -> None:
        self._finish_file()
        self._name = f"{self.stem}-{len(self._files) + 1:03d}.csv"
        path = self.directory / self._name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._handle = os.fdopen(fd, "wb", buffering=1 << 20)
        header = self._header_line.encode("utf-8")
        self._handle.write(header)
        self._digest = hashlib.sha256(header)
        self._bytes = len(header)
        self._users = 0

    def _finish_file(self) -> None:
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None
        self._files.append(
            ImportFile(self._name, self.algorithm, self._users, self._bytes, self._digest.hexdigest())
        )

    def close(self) -> list[ImportFile]:
        self._finish_file()
        return list(self._files)
