"""Plain CSV: a header row, then one user per row, RFC 4180 quoting, any one-character delimiter.

Python's ``csv.reader`` over a whole file cannot do what a migration needs: one unterminated quote
swallows every row after it into a single field, and one undecodable byte stops the file. So rows are
assembled here first, line by line, following the same quoting rules (a field that *starts* with
``"`` is quoted; ``""`` inside it is a quote; it may span lines). A row whose quote never closes
within ``MAX_ROW_LINES`` lines is reported, and the lines it borrowed are read again as rows of their
own. Only then does ``csv.reader`` split the row, in strict mode, so stray text after a closing quote
is an error too.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cognito_migrate.config.models import FileSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.sources.formats.plain import check_fields, plain_user
from cognito_migrate.sources.formats.text import (
    BOM,
    checked_header,
    empty_file,
    first_undecodable,
    location,
    open_text,
    undecodable_reason,
)
from cognito_migrate.sources.records import IssueKind, SourceIssue, SourceRecord

QUOTE = '"'
# How many lines one quoted value may span (a postal address has a few). Past this, the opening quote
# is taken to be a mistake rather than a value that swallows the rest of the file.
MAX_ROW_LINES = 100


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One row: its first and last line, and its values or why it could not be split."""

    first_line: int
    last_line: int
    values: list[str] | None
    problem: str | None = None


def ends_inside_quotes(line: str, delimiter: str, inside: bool) -> bool:
    """Whether a quoted field is still open at the end of ``line`` (``inside``: open at its start)."""
    if QUOTE not in line:  # most lines: nothing opens or closes here
        return inside
    at_field_start = not inside
    index, length = 0, len(line)
    while index < length:
        char = line[index]
        if inside:
            if char == QUOTE:
                if index + 1 < length and line[index + 1] == QUOTE:
                    index += 1  # "" is a quote inside the value
                else:
                    inside = False
        elif char == QUOTE and at_field_start:
            inside = True
        at_field_start = char == delimiter and not inside
        index += 1
    return inside


def csv_rows(lines: Iterator[tuple[int, str]], delimiter: str, encoding: str) -> Iterator[CsvRow]:
    """Rows from numbered lines (each with its line ending). Blank lines are skipped."""
    pending: deque[tuple[int, str]] = deque()

    def next_line() -> tuple[int, str] | None:
        return pending.popleft() if pending else next(lines, None)

    while (first := next_line()) is not None:
        number, text = first
        if not text.strip("\r\n"):
            continue
        group = [first]
        inside = ends_inside_quotes(text, delimiter, False)
        while inside and len(group) < MAX_ROW_LINES and (line := next_line()) is not None:
            group.append(line)
            inside = ends_inside_quotes(line[1], delimiter, True)
        if inside:
            # Give back every borrowed line: the rows after a stray quote are still read.
            pending.extendleft(reversed(group[1:]))
            yield CsvRow(number, number, None, "a quoted value is never closed (unterminated quote)")
            continue
        row = _split(number, group[-1][0], [line_text for _, line_text in group], delimiter)
        bad = next((n for n, line_text in group if first_undecodable(line_text) is not None), None)
        if bad is not None:
            # Keep the values: the row's id may still be readable and help find the user.
            row = CsvRow(bad, row.last_line, row.values, undecodable_reason(encoding))
        yield row


def _split(first: int, last: int, texts: list[str], delimiter: str) -> CsvRow:
    try:
        rows = list(csv.reader(texts, delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return CsvRow(first, last, None, f"the row is not valid CSV ({exc})")
    if len(rows) != 1:
        return CsvRow(first, last, None, "the row is not valid CSV (a line break outside quotes)")
    return CsvRow(first, last, rows[0])


def _numbered(handle: Iterator[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(handle, 1):
        yield number, line.removeprefix(BOM) if number == 1 else line


class PlainCsv:
    """A CSV file with a header row; the header is checked when the file is opened."""

    def __init__(self, path: Path, config: FileSource) -> None:
        self.path = path
        self.config = config
        self.columns = self._header()
        check_fields(self.columns, config, f"the header of {path.name}")

    def _header(self) -> tuple[str, ...]:
        with open_text(self.path, self.config.encoding) as handle:
            for row in csv_rows(_numbered(handle), self.config.delimiter, self.config.encoding):
                if row.problem is not None or row.values is None:
                    raise ConfigError(
                        f"[source] path {str(self.path)!r}: the header row "
                        f"({location(self.path, row.first_line)}) cannot be read: {row.problem}"
                    )
                columns = tuple(name.strip() for name in row.values)
                return checked_header(self.path, columns)
        raise empty_file(self.path)

    def records(self) -> Iterator[SourceRecord]:
        with open_text(self.path, self.config.encoding) as handle:
            rows = csv_rows(_numbered(handle), self.config.delimiter, self.config.encoding)
            next(rows)  # the header, checked when the file was opened
            for row in rows:
                where = location(self.path, row.first_line)
                if row.problem is not None or row.values is None:
                    yield SourceIssue(
                        IssueKind.MALFORMED, row.problem or "unreadable row", where, *self._ids(row.values)
                    )
                elif len(row.values) != len(self.columns):
                    span = row.first_line != row.last_line
                    lines = f" (lines {row.first_line}–{row.last_line})" if span else ""
                    reason = (
                        f"the row{lines} has {len(row.values)} fields but the header has "
                        f"{len(self.columns)} columns"
                    )
                    yield SourceIssue(IssueKind.MALFORMED, reason, where)
                else:
                    yield plain_user(dict(zip(self.columns, row.values, strict=True)), self.config, where)

    def _ids(self, values: list[str] | None) -> tuple[str | None, str | None]:
        """The id and username of a row that is otherwise unreadable, where they are clean text."""
        if values is None or len(values) != len(self.columns):
            return None, None
        row = dict(zip(self.columns, values, strict=True))
        ids = []
        for name in (self.config.id_field, self.config.username_field):
            value = row[name].strip()
            ids.append(value if value and first_undecodable(value) is None else None)
        return ids[0], ids[1]
