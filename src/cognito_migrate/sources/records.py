"""What every source yields: ``LegacyUser`` records and ``SourceIssue`` records, as one stream.

A source never drops anyone silently. A row it cannot read, a user its selection rules leave out, or a
half-present user (a hub user without a ``users_info`` row) comes out as a ``SourceIssue`` naming the
record, the place and the rule, so that the planner can give every source user a state and a reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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
