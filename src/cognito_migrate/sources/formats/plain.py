"""Plain user files: one user per CSV row or JSON object, with the field names the plan file gives.

``[source] id_field``, ``username_field`` and the optional ``password_hash_field``, ``enabled_field``
and ``groups_field`` name the fields; every field goes into ``LegacyUser.fields`` for the mapping
except the password hash, which only travels as a ``PasswordHash`` so that no mapping can copy it into
an attribute or a report by accident.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from cognito_migrate.config.models import FileSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.passwords.formats import detect_hash_format
from cognito_migrate.sources.formats.json_stream import JsonStream, JsonSyntaxError, array_items
from cognito_migrate.sources.formats.text import (
    has_undecodable,
    location,
    numbered_lines,
    open_text,
    undecodable_reason,
)
from cognito_migrate.sources.records import IssueKind, LegacyUser, PasswordHash, SourceIssue, SourceRecord

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "on", "enabled", "active"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off", "disabled", "inactive"})


def parse_flag(value: Any) -> bool | None:
    """A boolean from JSON or text; None when empty; ValueError for anything else."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(value)


def parse_groups(value: Any) -> tuple[str, ...]:
    """Group names from a JSON list, or from comma-separated text (which may itself be a JSON list)."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError(value) from None
        else:
            value = text.split(",")
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError(value)
    return tuple(dict.fromkeys(name.strip() for name in value if name.strip()))


def _identifier(value: Any) -> str | None:
    # JSON ids are often numbers; a bool, list or object is not an id.
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def plain_user(values: Mapping[str, Any], config: FileSource, where: str) -> SourceRecord:
    """The user one row or object describes, or a MALFORMED issue naming the field at fault."""
    source_id = _identifier(values.get(config.id_field))
    username = _identifier(values.get(config.username_field))
    if source_id is None:
        reason = f"no user id in field {config.id_field!r} (the [source] id_field)"
        return SourceIssue(IssueKind.MALFORMED, reason, where, username=username)
    if username is None:
        reason = f"no user name in field {config.username_field!r} (the [source] username_field)"
        return SourceIssue(IssueKind.MALFORMED, reason, where, source_id=source_id)
    password_hash = None
    if config.password_hash_field is not None:
        hashed = values.get(config.password_hash_field)
        if isinstance(hashed, str) and hashed.strip():
            password_hash = PasswordHash(hashed.strip(), detect_hash_format(hashed))
    enabled = True
    groups: tuple[str, ...] = ()
    if config.enabled_field is not None:
        try:
            flag = parse_flag(values.get(config.enabled_field))
        except ValueError:
            reason = f"field {config.enabled_field!r} is not true or false"
            return SourceIssue(IssueKind.MALFORMED, reason, where, source_id=source_id, username=username)
        # An empty enabled field says nothing: the user keeps the default, enabled.
        enabled = True if flag is None else flag
    if config.groups_field is not None:
        try:
            groups = parse_groups(values.get(config.groups_field))
        except ValueError:
            reason = f"field {config.groups_field!r} is not a list of group names"
            return SourceIssue(IssueKind.MALFORMED, reason, where, source_id=source_id, username=username)
    fields = {name: value for name, value in values.items() if name != config.password_hash_field}
    return LegacyUser(
        source_id=source_id,
        username=username,
        fields=fields,
        password_hash=password_hash,
        groups=groups,
        enabled=enabled,
        location=where,
    )


def check_fields(names: Any, config: FileSource, where: str, *, optional_too: bool = True) -> None:
    """ConfigError when ``names`` (a header, or the keys of the first records) lacks a configured
    field: a typo in the plan file would otherwise turn every user of the file into an issue."""
    settings = ["id_field", "username_field"]
    if optional_too:
        settings += ["password_hash_field", "enabled_field", "groups_field"]
    for setting in settings:
        name = getattr(config, setting)
        if name is not None and name not in names:
            known = ", ".join(sorted(map(str, names))) or "none"
            raise ConfigError(f"[source] {setting} {name!r}: {where} has no such field (fields: {known})")


# JSON objects may leave out any key, so only a field missing from every one of the first few objects
# is taken to be a mistake in the plan file rather than in the records.
SAMPLED_OBJECTS = 10


class PlainJsonl:
    """JSON Lines: one object per line, streamed. A file that starts with ``[`` is read as a JSON array
    of objects instead, item by item."""

    def __init__(self, path: Path, config: FileSource) -> None:
        self.path = path
        self.config = config
        sampled = self._first_objects()
        if sampled:
            keys = set().union(*(value for _, value in sampled))
            last = location(path, sampled[-1][0])
            check_fields(keys, config, f"the first objects (up to {last})", optional_too=False)

    def _first_objects(self) -> list[tuple[int, dict[str, Any]]]:
        with closing(self._objects()) as objects:
            return [record for record in islice(objects, SAMPLED_OBJECTS) if isinstance(record, tuple)]

    def _objects(self) -> Generator[tuple[int, dict[str, Any]] | SourceIssue, None, None]:
        with open_text(self.path, self.config.encoding) as handle:
            stream = JsonStream(handle)
            if stream.peek() == "[":
                stream.take("[")
                try:
                    yield from self._array(stream)
                except JsonSyntaxError as exc:  # compact JSON on one line: nowhere to resume
                    reason = f"not valid JSON ({exc}); the rest of the file cannot be read"
                    yield SourceIssue(IssueKind.MALFORMED, reason, location(self.path, exc.line))
                return
        with open_text(self.path, self.config.encoding) as handle:
            yield from self._lines(handle)

    def _lines(self, handle: TextIO) -> Iterator[tuple[int, dict[str, Any]] | SourceIssue]:
        for number, line in numbered_lines(handle):
            if not line.strip():
                continue
            where = location(self.path, number)
            if has_undecodable(line):
                yield SourceIssue(IssueKind.MALFORMED, undecodable_reason(self.config.encoding), where)
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"the line is not JSON ({exc.msg} at column {exc.colno})"
                yield SourceIssue(IssueKind.MALFORMED, reason, where)
                continue
            if not isinstance(value, dict):
                yield SourceIssue(IssueKind.MALFORMED, "the line is not a JSON object", where)
                continue
            yield number, value

    def _array(self, stream: JsonStream) -> Iterator[tuple[int, dict[str, Any]] | SourceIssue]:
        for item in array_items(stream):
            if isinstance(item, JsonSyntaxError):
                reason = f"not valid JSON ({item}); reading went on at the next object"
                yield SourceIssue(IssueKind.MALFORMED, reason, location(self.path, item.line))
            elif item.undecodable_line is not None:
                where = location(self.path, item.undecodable_line)
                yield SourceIssue(IssueKind.MALFORMED, undecodable_reason(self.config.encoding), where)
            elif not isinstance(item.value, dict):
                yield SourceIssue(IssueKind.MALFORMED, "not a JSON object", location(self.path, item.line))
            else:
                yield item.line, item.value

    def records(self) -> Iterator[SourceRecord]:
        for record in self._objects():
            if isinstance(record, SourceIssue):
                yield record
            else:
                number, value = record
                yield plain_user(value, self.config, location(self.path, number))
