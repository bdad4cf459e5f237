"""Cognito's own import CSV, read with the rules Cognito applies to it.

The header is GetCSVHeader's: ``cognito:username``, the standard attributes, ``custom:*``,
``cognito:mfa_enabled``, and ``password_hash`` in files for hash imports. Values are never quoted; a
comma inside a value is written ``\\,`` (AWS's own tool escapes commas and nothing else); values are
trimmed; an empty value means the attribute is not set. These are the rules the local Cognito's import
jobs follow (``cognito_migrate.local.importjobs.csvfile``); the tests hold the two readers to the same
answers, and this module does not import the emulator so that reading a file never needs it.

``fields`` holds the attribute columns exactly as written. Note ``birthdate``: the CSV writes it
mm/dd/yyyy where the API uses YYYY-MM-DD; the raw text is kept and the mapping's ``date`` transform
converts it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from cognito_migrate.config.models import FileSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.passwords.formats import detect_hash_format
from cognito_migrate.sources.formats.plain import parse_flag
from cognito_migrate.sources.formats.text import (
    checked_header,
    empty_file,
    has_undecodable,
    location,
    numbered_lines,
    open_text,
    undecodable_reason,
)
from cognito_migrate.sources.records import IssueKind, LegacyUser, PasswordHash, SourceIssue, SourceRecord

USERNAME_COLUMN = "cognito:username"
MFA_COLUMN = "cognito:mfa_enabled"
PASSWORD_HASH_COLUMN = "password_hash"  # noqa: S105 - a column name, not a password
NOT_ATTRIBUTES = frozenset({USERNAME_COLUMN, MFA_COLUMN, PASSWORD_HASH_COLUMN})
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")
_TRIMMED = " \t"


def split_cognito_row(line: str) -> list[str]:
    """Split on unescaped commas; ``\\,`` becomes ``,``; values are trimmed."""
    return [part.replace("\\,", ",").strip(_TRIMMED) for part in _UNESCAPED_COMMA.split(line)]


def is_cognito_header(line: str) -> bool:
    return USERNAME_COLUMN in split_cognito_row(line)


class CognitoCsv:
    """An import CSV. ``source_id`` is the ``[source] id_field`` column when the header has it (e.g.
    ``custom:legacy_id``), else ``cognito:username``."""

    def __init__(self, path: Path, config: FileSource) -> None:
        self.path = path
        self.config = config
        self.columns = self._header()
        self.id_column = config.id_field if config.id_field in self.columns else USERNAME_COLUMN

    def _header(self) -> tuple[str, ...]:
        with open_text(self.path, self.config.encoding) as handle:
            for number, line in numbered_lines(handle):
                if not line.strip():
                    continue
                where = location(self.path, number)
                if has_undecodable(line):
                    raise ConfigError(f"[source] path {str(self.path)!r}: the header ({where}) is not text")
                columns = tuple(split_cognito_row(line))
                if USERNAME_COLUMN not in columns:
                    raise ConfigError(
                        f"[source] path {str(self.path)!r}: the header ({where}) has no {USERNAME_COLUMN} "
                        "column, so this is not a Cognito import CSV; set [source] format"
                    )
                return checked_header(self.path, columns)
        raise empty_file(self.path)

    def records(self) -> Iterator[SourceRecord]:
        with open_text(self.path, self.config.encoding) as handle:
            header_seen = False
            for number, line in numbered_lines(handle):
                if not line.strip():
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                yield self._record(line, location(self.path, number))

    def _record(self, line: str, where: str) -> SourceRecord:
        values = split_cognito_row(line)
        if has_undecodable(line):
            # The username may still be readable, and helps find the row.
            aligned = len(values) == len(self.columns)
            named = dict(zip(self.columns, values, strict=True)).get(USERNAME_COLUMN) if aligned else None
            username = named if named and not has_undecodable(named) else None
            reason = undecodable_reason(self.config.encoding)
            return SourceIssue(IssueKind.MALFORMED, reason, where, username=username)
        if len(values) != len(self.columns):
            reason = f"the row has {len(values)} values but the header has {len(self.columns)} columns"
            if len(values) > len(self.columns):
                reason += " (a comma inside a value must be written \\,)"
            return SourceIssue(IssueKind.MALFORMED, reason, where)
        row = dict(zip(self.columns, values, strict=True))
        username = row[USERNAME_COLUMN]
        if not username:
            return SourceIssue(IssueKind.MALFORMED, f"the row has no {USERNAME_COLUMN}", where)
        source_id = row[self.id_column]
        if not source_id:
            reason = f"the row has no {self.id_column} (the [source] id_field)"
            return SourceIssue(IssueKind.MALFORMED, reason, where, username=username)
        try:
            mfa_enabled = parse_flag(row.get(MFA_COLUMN))
        except ValueError:
            reason = f"{MFA_COLUMN} is not TRUE or FALSE"
            return SourceIssue(IssueKind.MALFORMED, reason, where, source_id=source_id, username=username)
        hashed = row.get(PASSWORD_HASH_COLUMN)
        return LegacyUser(
            source_id=source_id,
            username=username,
            # An empty value is an attribute the user does not have, as Cognito reads it.
            fields={name: value for name, value in row.items() if name not in NOT_ATTRIBUTES and value},
            password_hash=PasswordHash(hashed, detect_hash_format(hashed)) if hashed else None,
            location=where,
            mfa_enabled=mfa_enabled,
        )
