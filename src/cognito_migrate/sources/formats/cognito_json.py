"""Users as Cognito's API describes them: ListUsers JSON and the backup tools built on it.

The shape is botocore's ``UserType``: ``Username``, ``Attributes`` (``[{"Name", "Value"}]``),
``Enabled``, ``UserStatus``, ``UserCreateDate``, ``MFAOptions``. Files in that shape:

- ``cognito-list-users``: what ``aws cognito-idp list-users`` prints, ``{"Users": [...]}`` (with
  ``NextToken`` when paged by hand, so several documents may follow one another), or JSON Lines with
  one user (or one page) per line.
- ``cognito-backup-restore`` (npm; rahulpsd18/cognito-backup-restore ``src/index.ts``,
  ``backupUsers``): every ListUsers user of a pool, unchanged, written through JSONStream's
  ``stringify()`` into ``<pool-id>.json``: a JSON array, ``[\\n{…}\\n,\\n{…}\\n]\\n``, no groups.
- ``cognito-backup`` (npm; mifi/cognito-backup ``cli.js``, ``backupUsers``): the same array, each user
  with an added ``"Groups": ["name", …]`` from AdminListGroupsForUser; ``backup-groups`` writes the
  pool's ListGroups ``GroupType`` objects (``GroupName``, ``Description``, ``Precedence``, ``RoleArn``)
  as another array into ``<pool-id>_groups.json``.
- ``cognito-migrate export --format jsonl``: JSON Lines with a ``"type"`` on every line: first one
  ``"group"`` line per group (``GroupType``'s keys), then one ``"user"`` line per user (``UserType``'s
  keys, plus ``"Groups"`` and, where known, ``"MFAEnabled"``). Group lines are read as the source's
  group definitions when the file is opened, so they must come before the users.

The same conversion serves the ``cognito`` pool source, which reads ListUsers itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cognito_migrate.config.models import FileSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.sources.formats.json_stream import USERS_KEY, JsonStream, JsonSyntaxError, user_objects
from cognito_migrate.sources.formats.text import location, open_text, undecodable_reason
from cognito_migrate.sources.records import GroupDefinition, IssueKind, LegacyUser, SourceIssue, SourceRecord

# cognito-backup names its groups file after the users file: <pool-id>.json → <pool-id>_groups.json.
GROUPS_FILE_SUFFIX = "_groups.json"
# cognito-migrate export's JSON Lines mark each line with its kind: {"type": "group", ...}.
LINE_TYPE_KEY = "type"
GROUP_LINE = "group"
USER_LINE = "user"
MFA_ENABLED_KEY = "MFAEnabled"


def is_group_line(value: Any) -> bool:
    """A group definition line of ``cognito-migrate export``, not a user."""
    return isinstance(value, Mapping) and value.get(LINE_TYPE_KEY) == GROUP_LINE


def user_from_cognito(
    user: Any,
    *,
    where: str,
    id_attribute: str | None = None,
    groups: Sequence[str] | None = None,
    mfa_enabled: bool | None = None,
) -> SourceRecord:
    """A ``LegacyUser`` from one ``UserType`` object, or a MALFORMED issue saying what is missing.

    ``source_id`` is ``id_attribute``'s value when the user has that attribute (e.g. ``custom:legacy_id``),
    else ``sub`` (stable for the user's lifetime), else the username (also immutable in Cognito; only
    when the file was written without ``sub``). ``groups`` (from the pool) wins over a ``Groups`` key
    (from cognito-backup). ``mfa_enabled`` (from the pool's MFA setting) wins over ``MFAOptions``.
    """
    if not isinstance(user, Mapping):
        return SourceIssue(IssueKind.MALFORMED, "not a JSON object", where)
    username = user.get("Username")
    if not isinstance(username, str) or not username:
        return SourceIssue(IssueKind.MALFORMED, "the user has no Username", where)
    fields = _attributes(user.get("Attributes", user.get("UserAttributes", [])))
    if fields is None:
        reason = 'Attributes is not a list of {"Name": …, "Value": …} objects'
        return SourceIssue(IssueKind.MALFORMED, reason, where, username=username)
    enabled = user.get("Enabled", True)
    if not isinstance(enabled, bool):
        return SourceIssue(IssueKind.MALFORMED, "Enabled is not true or false", where, username=username)
    if groups is None:
        listed = user.get("Groups", [])
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            return SourceIssue(IssueKind.MALFORMED, "Groups is not a list of names", where, username=username)
        groups = listed
    source_id = (id_attribute and fields.get(id_attribute)) or fields.get("sub") or username
    status = user.get("UserStatus")
    return LegacyUser(
        source_id=source_id,
        username=username,
        fields=fields,
        groups=tuple(dict.fromkeys(groups)),
        enabled=enabled,
        location=where,
        status=status if isinstance(status, str) else None,
        mfa_enabled=mfa_enabled if mfa_enabled is not None else _mfa_from_user(user),
    )


def _attributes(attributes: Any) -> dict[str, str] | None:
    if not isinstance(attributes, list):
        return None
    fields: dict[str, str] = {}
    for attribute in attributes:
        if not isinstance(attribute, Mapping) or not isinstance(attribute.get("Name"), str):
            return None
        value = attribute.get("Value")
        if value is None:  # AttributeType.Value is optional: an attribute without a value is absent
            continue
        if not isinstance(value, str):
            return None
        fields[attribute["Name"]] = value
    return fields


def _mfa_from_user(user: Mapping[str, Any]) -> bool | None:
    """What the user object itself says: ``MFAEnabled`` (written by ``export`` when it knew) and
    AdminGetUser's ``UserMFASettingList`` are authoritative; ListUsers has only the legacy
    ``MFAOptions`` (SMS MFA), which proves MFA when not empty."""
    flag = user.get(MFA_ENABLED_KEY)
    if isinstance(flag, bool):
        return flag
    settings = user.get("UserMFASettingList")
    if isinstance(settings, list):
        return bool(settings) or bool(user.get("MFAOptions"))
    if user.get("MFAOptions"):
        return True
    return None


class CognitoUsersJson:
    """A file of Cognito-shaped users (ListUsers output or a backup tool's JSON), streamed."""

    def __init__(self, path: Path, config: FileSource, *, groups_path: Path | None = None) -> None:
        self.path = path
        self.config = config
        # Read when the file is opened, so that a broken groups file stops the run before any user.
        if groups_path is not None:
            self._groups = read_groups_file(groups_path, config.encoding)
        else:
            self._groups = self._leading_group_lines()

    def _leading_group_lines(self) -> list[GroupDefinition]:
        """``export``'s group lines, which come before the first user (other layouts have none)."""
        groups: list[GroupDefinition] = []
        with open_text(self.path, self.config.encoding) as handle:
            for item in user_objects(JsonStream(handle)):
                if isinstance(item, JsonSyntaxError) or not is_group_line(item.value):
                    break
                where = f"[source] path {str(self.path)!r}: the group line {location(self.path, item.line)}"
                groups.append(group_definition(item.value, where))
        return groups

    def records(self) -> Iterator[SourceRecord]:
        for item in json_users(self.path, self.config.encoding):
            if isinstance(item, SourceIssue):
                yield item
            elif not is_group_line(item[0]):  # group lines were read when the file was opened
                yield user_from_cognito(item[0], where=item[1], id_attribute=self.config.id_field)

    def group_definitions(self) -> list[GroupDefinition]:
        return list(self._groups)


def json_users(
    path: Path, encoding: str, users_key: str = USERS_KEY
) -> Iterator[SourceIssue | tuple[Any, str]]:
    """Each user object of a JSON user file (``user_objects``) with where it starts (``file:line``),
    or a MALFORMED issue for what does not decode; reading goes on after either."""
    with open_text(path, encoding) as handle:
        for item in user_objects(JsonStream(handle), users_key):
            if isinstance(item, JsonSyntaxError):
                reason = f"not valid JSON ({item}); reading went on at the next user"
                yield SourceIssue(IssueKind.MALFORMED, reason, location(path, item.line))
            elif item.undecodable_line is not None:
                yield SourceIssue(
                    IssueKind.MALFORMED, undecodable_reason(encoding), location(path, item.undecodable_line)
                )
            else:
                yield item.value, location(path, item.line)


def sibling_groups_file(users_path: Path) -> Path | None:
    """cognito-backup's ``<pool-id>_groups.json`` next to ``<pool-id>.json``, when it exists."""
    candidate = users_path.with_name(users_path.stem + GROUPS_FILE_SUFFIX)
    return candidate if candidate.is_file() else None


def read_groups_file(path: Path, encoding: str) -> list[GroupDefinition]:
    """cognito-backup's groups file: a JSON array of ``GroupType`` objects. Read whole: a pool has at
    most 10,000 groups."""
    try:
        groups = json.loads(path.read_text(encoding=encoding))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"groups file {str(path)!r}: cannot be read as JSON: {exc}") from exc
    if not isinstance(groups, list):
        raise ConfigError(f"groups file {str(path)!r}: expected a JSON array of groups")
    return [
        group_definition(group, f"groups file {str(path)!r}: group number {number}")
        for number, group in enumerate(groups, 1)
    ]


def group_definition(group: Any, where: str) -> GroupDefinition:
    """A ``GroupType`` object (``GroupName``, ``Description``, ``Precedence``, ``RoleArn``)."""
    name = group.get("GroupName") if isinstance(group, Mapping) else None
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where} has no GroupName")
    precedence = group.get("Precedence")
    return GroupDefinition(
        name=name,
        description=group.get("Description") or None,
        precedence=precedence if isinstance(precedence, int) and not isinstance(precedence, bool) else None,
        role_arn=group.get("RoleArn") or None,
    )
