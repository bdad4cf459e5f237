"""User files as a source: CSV, JSON Lines, Cognito's import CSV, ListUsers JSON and backup JSON.

``open_file_source`` checks what can be checked before the first user is read (the file exists, the
encoding is known, the layout is recognised, the header or first record has the configured fields) and
raises ``ConfigError`` naming the ``[source]`` setting; everything wrong with one record afterwards is a
``SourceIssue`` naming ``file:line``, and reading goes on.

>>> with open_source(config) as source:                       # doctest: +SKIP
...     for record in source.records():                        # streamed, one record at a time
...         ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any

from cognito_migrate.config.models import FileSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.sources.formats import FileReader
from cognito_migrate.sources.formats.cognito_csv import CognitoCsv, is_cognito_header
from cognito_migrate.sources.formats.cognito_json import (
    CognitoUsersJson,
    is_group_line,
    sibling_groups_file,
)
from cognito_migrate.sources.formats.firebase_json import FirebaseUsersJson
from cognito_migrate.sources.formats.json_stream import Decoded, JsonStream, user_objects
from cognito_migrate.sources.formats.plain import PlainJsonl
from cognito_migrate.sources.formats.plain_csv import PlainCsv
from cognito_migrate.sources.formats.text import BOM, check_encoding, open_text
from cognito_migrate.sources.records import GroupDefinition, SourceRecord

# Enough of the file to see a CSV header or the start of a JSON document.
DETECTION_CHARS = 1 << 16
# `firebase auth:export` writes {"users": [...]} (Cognito's ListUsers says "Users").
_FIREBASE_EXPORT = re.compile(r'\s*\{\s*"users"\s*:\s*\[')
# Records looked at to recognise a JSON layout when the first ones are broken.
DETECTION_RECORDS = 10

LAYOUT_NAMES = {
    ("csv", "plain"): "CSV file",
    ("jsonl", "plain"): "JSON Lines file",
    "cognito-csv": "Cognito import CSV",
    "cognito-list-users": "Cognito ListUsers JSON",
    "cognito-backup-restore": "cognito-backup-restore JSON",
    "cognito-backup": "cognito-backup JSON",
    "firebase": "Firebase Authentication export",
}


class UserFile:
    """A ``Source`` over one user file; ``format`` is the layout in use (never ``auto``)."""

    def __init__(
        self,
        path: Path,
        file_type: str,
        format: str,
        reader: FileReader,
        groups: Callable[[], list[GroupDefinition]] | None = None,
    ) -> None:
        self.path = path
        self.type = file_type
        self.format = format
        self._reader = reader
        self._groups = groups
        self._open: Generator[SourceRecord, None, None] | None = None

    def describe(self) -> str:
        name = LAYOUT_NAMES.get((self.type, self.format)) or LAYOUT_NAMES.get(self.format, self.format)
        return f"{name} {self.path}"

    def records(self) -> Iterator[SourceRecord]:
        self.close()
        self._open = self._stream()
        return self._open

    def _stream(self) -> Generator[SourceRecord, None, None]:
        yield from self._reader.records()

    def group_definitions(self) -> list[GroupDefinition]:
        return self._groups() if self._groups is not None else []

    def close(self) -> None:
        # Closing the generator closes the file it holds open.
        if self._open is not None:
            self._open.close()
            self._open = None


def open_file_source(config: FileSource, path: Path, *, groups_path: Path | None = None) -> UserFile:
    """The source for a ``[source]`` section of type ``csv`` or ``jsonl``; ``path`` is ``config.path``
    resolved against the plan file's folder. ``groups_path`` is cognito-backup's groups file
    (default: ``<name>_groups.json`` next to ``path``, when it exists)."""
    _check_readable(path)
    check_encoding(config.encoding)
    layout = detect_format(config, path)
    _check_settings_apply(config, layout)
    reader: FileReader
    groups: Callable[[], list[GroupDefinition]] | None = None
    if layout == "plain":
        reader = PlainCsv(path, config) if config.type == "csv" else PlainJsonl(path, config)
    elif layout == "cognito-csv":
        reader = CognitoCsv(path, config)
    elif layout == "firebase":
        reader = FirebaseUsersJson(path, config)
    else:
        if layout == "cognito-backup":
            groups_path = groups_path or sibling_groups_file(path)
        users = CognitoUsersJson(path, config, groups_path=groups_path)
        reader, groups = users, users.group_definitions
    return UserFile(path, config.type, layout, reader, groups)


def _check_settings_apply(config: FileSource, layout: str) -> None:
    """Cognito's layouts name their own fields; a setting that would be ignored is an error instead."""
    if config.firebase_hash is not None and layout != "firebase":
        raise ConfigError(
            f"[source.firebase_hash]: only for Firebase exports, but {str(config.path)!r} is read as "
            f"{LAYOUT_NAMES.get((config.type, layout)) or LAYOUT_NAMES.get(layout, layout)}; remove it "
            'or set format = "firebase"'
        )
    if layout == "plain":
        return
    for setting in ("username_field", "password_hash_field", "enabled_field", "groups_field", "delimiter"):
        value = getattr(config, setting)
        if value != FileSource.model_fields[setting].default:
            raise ConfigError(
                f"[source] {setting} = {value!r}: not used with {LAYOUT_NAMES[layout]} files, whose "
                "layout is fixed; remove it (only id_field can be changed)"
            )


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise ConfigError(f"[source] path {str(path)!r}: no such file")
    if not path.is_file():
        raise ConfigError(f"[source] path {str(path)!r}: not a file")
    try:
        path.open("rb").close()
    except OSError as exc:
        raise ConfigError(f"[source] path {str(path)!r}: cannot be read ({exc.strerror})") from exc


def detect_format(config: FileSource, path: Path) -> str:
    """The layout ``format = "auto"`` stands for, from the file type and the first line or object."""
    if config.format != "auto":
        return config.format
    with open_text(path, config.encoding) as handle:
        start = handle.read(DETECTION_CHARS).removeprefix(BOM)
    if config.type == "csv":
        first_line = next((line for line in start.splitlines() if line.strip()), "")
        return "cognito-csv" if is_cognito_header(first_line) else "plain"
    opening = start.lstrip()[:1]
    if _FIREBASE_EXPORT.match(start):
        return "firebase"
    if opening not in ("[", "{"):
        return "plain"  # empty, or not JSON at all: the plain reader reports each bad line
    first = _first_object(config, path)
    if first is None:
        return "cognito-backup-restore" if opening == "[" else "cognito-list-users"
    if not _is_cognito_user(first):
        return "plain"
    if opening == "{":
        return "cognito-list-users"
    return "cognito-backup" if "Groups" in first else "cognito-backup-restore"


def _first_object(config: FileSource, path: Path) -> Any:
    """The first user-like value that decodes; None when there is none. ConfigError when the first
    records are all broken, as then nothing says which layout the file has."""
    broken = 0
    with open_text(path, config.encoding) as handle, closing(user_objects(JsonStream(handle))) as items:
        for item in islice(items, DETECTION_RECORDS):
            if isinstance(item, Decoded):
                if is_group_line(item.value):  # `export`'s group lines come before its users
                    continue
                return item.value
            broken += 1
    if broken:
        raise ConfigError(
            f"[source] format 'auto': the first records of {str(path)!r} are not valid JSON, so its layout "
            "cannot be recognised; set format to plain, cognito-list-users, cognito-backup-restore "
            "or cognito-backup"
        )
    return None


def _is_cognito_user(value: Any) -> bool:
    return isinstance(value, dict) and "Username" in value and "Attributes" in value
