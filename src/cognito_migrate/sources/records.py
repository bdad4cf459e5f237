"""What every source yields: ``LegacyUser`` records and ``SourceIssue`` records, as one stream.

A source never drops anyone silently. A row it cannot read, a user its selection rules leave out, or a
half-present user (a hub user without a ``users_info`` row) comes out as a ``SourceIssue`` naming the
record, the place and the rule, so that the planner can give every source user a state and a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Protocol


class IssueKind(StrEnum):
    EXCLUDED = "excluded"  # a selection rule left the user out on purpose (e.g. inactive for a year)
    INCOMPLETE = "incomplete"  # half of the user is missing (a hub user without users_info, or the reverse)
    MALFORMED = "malformed"  # the record could not be read (bad encoding, broken row, missing id)


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """A legacy password hash as stored, and its detected format. Never printed: repr hides the value."""

    value: str = field(repr=False)
    format: str  # a HashFormat value from cognito_migrate.passwords.formats

    def __str__(self) -> str:
        return f"<{self.format} hash>"


@dataclass(frozen=True, slots=True)
class LegacyUser:
    """One user as the source has it, before mapping.

    ``fields`` holds the source's own values by the source's own names (columns, CSV headers, JSON keys,
    or Cognito attribute names for Cognito-shaped sources); the mapping turns them into Cognito
    attributes. ``location`` says where the record was read ("users.csv:12", "table users"), for messages.
    """

    source_id: str
    username: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    password_hash: PasswordHash | None = None
    groups: tuple[str, ...] = ()
    enabled: bool = True
    location: str = ""
    # Set by sources that know it (another Cognito pool): CONFIRMED, RESET_REQUIRED, …
    status: str | None = None
    mfa_enabled: bool | None = None


# Sources build a record per row of million-row tables. A frozen dataclass's ``__init__`` sets every
# field through ``object.__setattr__`` (its own ``__setattr__`` refuses), 2-3 µs for LegacyUser's nine
# fields on the machine bench/ ran on; writing the slots through their descriptors builds the same
# object (equal, same repr, still frozen) in half the time or less. The builders name every field, and
# the check below fails at import if a field is added to the classes without being added here.
_new = object.__new__
_set_hash_value = PasswordHash.__dict__["value"].__set__
_set_hash_format = PasswordHash.__dict__["format"].__set__
(
    _set_source_id,
    _set_username,
    _set_fields,
    _set_password_hash,
    _set_groups,
    _set_enabled,
    _set_location,
    _set_status,
    _set_mfa_enabled,
) = (LegacyUser.__dict__[name].__set__ for name in LegacyUser.__slots__)
_BUILT_FIELDS = {
    PasswordHash: ("value", "format"),
    LegacyUser: ("source_id", "username", "fields", "password_hash", "groups", "enabled", "location",
                 "status", "mfa_enabled"),
}  # fmt: skip
for _cls, _names in _BUILT_FIELDS.items():
    if (
        tuple(f.name for f in fields(_cls)) != _names
        or tuple(getattr(_cls, "__slots__", ())) != _names
        or hasattr(_cls, "__post_init__")  # the builders skip __init__, so they would skip it too
    ):
        raise RuntimeError(f"records.py: update the fast builder of {_cls.__name__} to the class")


def build_password_hash(value: str, format: str) -> PasswordHash:
    """``PasswordHash(value, format)``, for sources' per-row loops."""
    built = _new(PasswordHash)
    _set_hash_value(built, value)
    _set_hash_format(built, format)
    return built


def build_legacy_user(
    source_id: str,
    username: str,
    fields: Mapping[str, Any],
    password_hash: PasswordHash | None,
    groups: tuple[str, ...],
    enabled: bool,
    location: str,
) -> LegacyUser:
    """``LegacyUser(...)`` with ``status`` and ``mfa_enabled`` unknown, for sources' per-row loops."""
    user = _new(LegacyUser)
    _set_source_id(user, source_id)
    _set_username(user, username)
    _set_fields(user, fields)
    _set_password_hash(user, password_hash)
    _set_groups(user, groups)
    _set_enabled(user, enabled)
    _set_location(user, location)
    _set_status(user, None)
    _set_mfa_enabled(user, None)
    return user


@dataclass(frozen=True, slots=True)
class SourceIssue:
    """A source record that is not (or not wholly) a user to migrate, with the reason why."""

    kind: IssueKind
    reason: str
    location: str
    source_id: str | None = None
    username: str | None = None


SourceRecord = LegacyUser | SourceIssue


@dataclass(frozen=True, slots=True)
class UserColumns:
    """A batch of source users as columns, for planning many at once (``planner.batch``).

    Position ``i`` of every column is one user. Where ``ordinary[i]`` is true, ``record(i)`` would be the
    ``LegacyUser`` these values describe (``mfa_enabled`` and ``status`` unknown, the password hash with
    its detected format, ``fields`` without the hash column); anywhere else only ``record(i)`` says what
    the user is (an issue, or values that needed converting).
    """

    source_ids: Sequence[str]
    usernames: Sequence[str]
    password_hashes: Sequence[str | None]
    enabled: Sequence[bool]
    groups: Sequence[tuple[str, ...]]
    fields: Mapping[str, Sequence[Any]]
    ordinary: list[bool]
    record: Callable[[int], SourceRecord]
    locations: Sequence[str]


@dataclass(frozen=True, slots=True)
class GroupDefinition:
    """A group as the source defines it; sources without definitions only name groups on users."""

    name: str
    description: str | None = None
    precedence: int | None = None
    role_arn: str | None = None


class Source(Protocol):
    """A stream of users. ``records()`` may be called once per opened source; it must stream (a
    ten-million-row table never sits in memory)."""

    def describe(self) -> str:
        """One line for people: what is being read."""
        ...

    def records(self) -> Iterator[SourceRecord]: ...

    def group_definitions(self) -> list[GroupDefinition]:
        """Groups with their settings, where the source has them (small: read eagerly)."""
        ...

    def close(self) -> None: ...


def as_text(value: Any) -> str | None:
    """Source values as Cognito needs them: text, or None when empty. Bytes are decoded as UTF-8."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8")
    text = str(value)
    return text if text != "" else None


__all__ = [
    "GroupDefinition",
    "IssueKind",
    "LegacyUser",
    "PasswordHash",
    "Source",
    "SourceIssue",
    "SourceRecord",
    "as_text",
]
