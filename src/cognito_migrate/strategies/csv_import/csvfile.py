"""Writing Cognito's user-import CSV exactly to its rules (cognito-facts §1).

Every header column from GetCSVHeader, in its order; UTF-8 without BOM; values unquoted with ``\\,`` for
a comma (what AWS's own export tool writes); booleans ``TRUE``/``FALSE``; birthdate ``mm/dd/yyyy``;
``cognito:mfa_enabled`` always written to match the pool; at most 16,000 characters a row, 500,000 users
and 100 MB a file. Files are created 0600 (they hold personal data, and password hashes).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
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


def _cells(column: str, values: Sequence[str | None]) -> list[str | None]:
    """``_cell`` over a column (None: an absent value, written empty); None where ``_cell`` refuses."""
    if column not in _BOOLEAN_COLUMNS and column != "birthdate" and None not in values:
        # The usual column: no value needs stripping, escaping or refusing, so _cell returns each as it
        # is; tested over the whole column at C speed.
        text = "\0".join(values)  # type: ignore[arg-type]  # None was ruled out
        if (
            "," not in text
            and "\n" not in text
            and "\r" not in text
            and list(map(str.strip, values)) == values  # type: ignore[arg-type]
        ):
            return list(values)
    distinct = set(values)
    if len(distinct) <= len(values) // 4:  # a literal, a flag: work each value out once
        table = {value: _cell_or_none(column, value) for value in distinct}
        return [table[value] for value in values]
    return [_cell_or_none(column, value) for value in values]


def _joined(cells: tuple[str | None, ...]) -> str | None:
    return None if None in cells else ",".join(cells)  # type: ignore[arg-type]


def _cell_or_none(column: str, value: str | None) -> str | None:
    if value is None:
        return ""
    try:
        return _cell(column, value)
    except RowRejected:
        return None


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
        return self._write((line + "\n").encode("utf-8"))

    def add_rows(self, rows: Sequence[str]) -> list[tuple[str, int]]:
        """Write rows ``rows_of()`` made, in order; return each one's (file name, line number), as
        ``add()`` one by one would have placed them."""
        placed: list[tuple[str, int]] = []
        start = 0
        while start < len(rows):
            if self._handle is None or self._users >= self._max_users:
                self._start_file()
            assert self._handle is not None
            chunk = rows[start : start + self._max_users - self._users]
            start += len(chunk)
            data = ("\n".join(chunk) + "\n").encode("utf-8")
            if self._bytes + len(data) > self._max_bytes:  # a new file starts inside the chunk
                placed.extend(self._write((row + "\n").encode("utf-8")) for row in chunk)
                continue
            self._handle.write(data)
            self._digest.update(data)
            self._bytes += len(data)
            first = FIRST_DATA_LINE + self._users
            self._users += len(chunk)
            name = self._name
            placed.extend((name, first + offset) for offset in range(len(chunk)))
        return placed

    def _write(self, data: bytes) -> tuple[str, int]:
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

    def rows_of(
        self,
        usernames: Sequence[str],
        columns: Sequence[tuple[str, Sequence[str | None]]],
        password_hashes: Sequence[str] | None = None,
    ) -> list[str | None]:
        """``row()`` for a batch of users without an MFA setting: ``columns`` holds their attributes by
        name (None: absent). Each user's row, or None where ``row()`` would raise ``RowRejected``
        (ask ``row()`` for that user to learn why). Cells come from the same ``_cell`` as ``row()``'s.
        """
        count = len(usernames)
        cells: list[Iterable[str | None]] = [repeat("")] * len(self.columns)
        for name, values in columns:
            position = self._index.get(name)
            if position is not None:
                cells[position] = _cells(name, values)
        cells[self._username_at] = _cells("cognito:username", usernames)
        if self._mfa_at is not None:
            cells[self._mfa_at] = repeat(self._mfa_default)
        if self._hash_at is not None:
            cells[self._hash_at] = _cells(PASSWORD_HASH_COLUMN, password_hashes or [""] * count)
        rows: list[str | None] = list(map(_joined, zip(*cells, strict=False)))  # blanks repeat without end
        if None in rows or max(map(len, rows), default=0) > MAX_ROW_CHARS:  # type: ignore[arg-type]
            rows = [None if row is None or len(row) > MAX_ROW_CHARS else row for row in rows]
        return rows

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
