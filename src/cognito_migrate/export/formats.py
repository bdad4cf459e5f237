"""The three shapes ``export`` writes, each turning a group or a user into bytes as it streams past.

``jsonl`` (a backup, and a source for ``plan``): UTF-8 JSON Lines, a ``"type"`` on every line. First
one line per group, then one line per user, the keys those of Cognito's API so that the file reads
back as a ``cognito-list-users`` source with groups (``sources/formats/cognito_json.py``)::

    {"type": "group", "GroupName": "admins", "Description": "…", "Precedence": 1, "RoleArn": "arn:…"}
    {"type": "user", "Username": "ada", "Attributes": [{"Name": "sub", "Value": "…"}, …],
     "Enabled": true, "UserStatus": "CONFIRMED", "UserCreateDate": "2026-…+00:00",
     "UserLastModifiedDate": "…", "MFAEnabled": false, "Groups": ["admins"]}

``MFAEnabled`` is left out when it is not known (an OPTIONAL pool read without ``--read-mfa``),
``MFAOptions`` is kept when ListUsers gave it, and ``Groups`` is left out with ``--no-groups`` (so
that "no groups" is never claimed for users whose groups were not read).

``csv`` (for people and spreadsheets): RFC 4180, a header, one column per attribute of the pool's
schema (``sub`` included), then ``enabled``, ``status``, ``created``, ``modified``, ``mfa_enabled`` and
``groups`` (a JSON list, as a group name may hold a comma). Reads back as a plain CSV source with
``id_field = "sub"``, ``enabled_field = "enabled"``, ``groups_field = "groups"``.

``cognito-csv``: Cognito's import CSV with exactly the pool's GetCSVHeader columns, written by the
same code that writes ``plan``'s import files (``strategies/csv_import/csvfile.py``). It carries no
password, no status, no disabled flag and no groups: the import format has no place for them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from cognito_migrate.sources.cognito_pool import PoolUser
from cognito_migrate.sources.formats.cognito_json import (
    GROUP_LINE,
    LINE_TYPE_KEY,
    MFA_ENABLED_KEY,
    USER_LINE,
)
from cognito_migrate.sources.records import GroupDefinition
from cognito_migrate.strategies.csv_import.csvfile import ImportCsvWriter

ExportFormat = Literal["jsonl", "csv", "cognito-csv"]
# Columns of the flat CSV after the attributes; none can clash with an attribute (those are standard
# names or custom:…).
CSV_TAIL_COLUMNS = ("enabled", "status", "created", "modified", "mfa_enabled", "groups")


class ExportWriter(Protocol):
    """Bytes for the start of the file, each group and each user (``b""``: nothing to write)."""

    content_type: str
    writes_groups: bool  # group definitions are in the file
    writes_memberships: bool  # each user's groups are in the file

    def start(self) -> bytes: ...

    def group(self, group: GroupDefinition) -> bytes: ...

    def user(self, found: PoolUser) -> bytes:
        """Raises ``RowRejected`` for a user the format cannot hold (cognito-csv's rules)."""
        ...


def attributes_of(found: PoolUser) -> dict[str, str]:
    """``[{"Name", "Value"}]`` as a mapping; an attribute without a value is one the user lacks."""
    return {
        attribute["Name"]: attribute["Value"]
        for attribute in found.user.get("Attributes") or ()
        if attribute.get("Value") is not None
    }


def _timestamp(value: Any) -> str | None:
    # botocore parses the API's timestamps into aware datetimes; keep anything else as text.
    if isinstance(value, datetime):
        return value.isoformat()
    return None if value is None else str(value)


class JsonLinesWriter:
    content_type = "application/x-ndjson"
    writes_groups = True

    def __init__(self, *, with_groups: bool) -> None:
        self.writes_memberships = with_groups

    def start(self) -> bytes:
        return b""

    def group(self, group: GroupDefinition) -> bytes:
        line: dict[str, Any] = {LINE_TYPE_KEY: GROUP_LINE, "GroupName": group.name}
        if group.description is not None:
            line["Description"] = group.description
        if group.precedence is not None:
            line["Precedence"] = group.precedence
        if group.role_arn is not None:
            line["RoleArn"] = group.role_arn
        return _json_line(line)

    def user(self, found: PoolUser) -> bytes:
        user = found.user
        line: dict[str, Any] = {
            LINE_TYPE_KEY: USER_LINE,
            "Username": found.username,
            "Attributes": [
                {"Name": attribute["Name"], "Value": attribute["Value"]}
                for attribute in user.get("Attributes") or ()
                if attribute.get("Value") is not None
            ],
            "Enabled": bool(user.get("Enabled", True)),
            "UserStatus": user.get("UserStatus"),
            "UserCreateDate": _timestamp(user.get("UserCreateDate")),
            "UserLastModifiedDate": _timestamp(user.get("UserLastModifiedDate")),
        }
        if user.get("MFAOptions"):
            line["MFAOptions"] = user["MFAOptions"]
        if found.mfa_enabled is not None:
            line[MFA_ENABLED_KEY] = found.mfa_enabled
        if self.writes_memberships:
            line["Groups"] = list(found.groups)
        return _json_line(line)


def _json_line(value: Mapping[str, Any]) -> bytes:
    # ensure_ascii=False: names in any script stay readable; the file is UTF-8.
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class FlatCsvWriter:
    content_type = "text/csv"
    writes_groups = False

    def __init__(self, attribute_names: Sequence[str], *, with_groups: bool) -> None:
        self.writes_memberships = with_groups
        self.attribute_names = tuple(attribute_names)
        tail = CSV_TAIL_COLUMNS if with_groups else CSV_TAIL_COLUMNS[:-1]
        self.columns = ("username", *self.attribute_names, *tail)
        self.unlisted: set[str] = set()  # attributes users had that the schema did not list
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\n")

    def _row(self, values: Sequence[Any]) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow(values)
        return self._buffer.getvalue().encode("utf-8")

    def start(self) -> bytes:
        return self._row(self.columns)

    def group(self, group: GroupDefinition) -> bytes:
        return b""

    def user(self, found: PoolUser) -> bytes:
        attributes = attributes_of(found)
        self.unlisted.update(name for name in attributes if name not in self.attribute_names)
        user = found.user
        mfa = "" if found.mfa_enabled is None else str(found.mfa_enabled).lower()
        values = [
            found.username,
            *(attributes.get(name, "") for name in self.attribute_names),
            str(bool(user.get("Enabled", True))).lower(),
            user.get("UserStatus") or "",
            _timestamp(user.get("UserCreateDate")) or "",
            _timestamp(user.get("UserLastModifiedDate")) or "",
            mfa,
        ]
        if self.writes_memberships:
            values.append(json.dumps(list(found.groups), ensure_ascii=False))
        return self._row(values)


class CognitoImportCsvWriter:
    content_type = "text/csv"
    writes_groups = False
    writes_memberships = False

    def __init__(self, csv_header: Sequence[str], *, mfa_configuration: str) -> None:
        # No file is written there: rows are taken with ``row()`` and streamed by the caller.
        self._rows = ImportCsvWriter(
            Path(),
            csv_header,
            algorithm=None,
            mfa_configuration=mfa_configuration,
        )
        self.columns = self._rows.columns

    def start(self) -> bytes:
        return self._rows.header_line.encode("utf-8")

    def group(self, group: GroupDefinition) -> bytes:
        return b""

    def user(self, found: PoolUser) -> bytes:
        row = self._rows.row(found.username, attributes_of(found), mfa_enabled=found.mfa_enabled)
        return (row + "\n").encode("utf-8")
