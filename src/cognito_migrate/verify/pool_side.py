"""The target pool as ``verify`` reads it: every user, with status, enabled flag and groups, in a scratch
SQLite table, and the lookups that find the pool user of a source user.

Reading is ``CognitoPoolSource``'s (the pool as a source): ListUsers 60 a page, ListGroups, then
ListUsersInGroup per group, every call through the shared rate limiter (UserList, 30 RPS by default,
shared with the live application). Its one in-memory structure is the username → groups map of the
pool's group members (about 200 bytes a member, see ``sources/cognito_pool.py``); the users themselves
go straight to SQLite as ListUsers pages arrive, so a million users cost disk, not memory.

A source user's pool user is found, in this order, by: the legacy id attribute (it names the source
user exactly), the ``sub`` the journal recorded, the username (folded in case-insensitive pools), and in
pools that sign in with email or phone, that attribute's value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from cognito_migrate.aws.ratelimit import RateLimiter
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.sources.records import LegacyUser, SourceRecord

_KEY_LEGACY = "legacy"
_KEY_SUB = "sub"
_KEY_USERNAME = "username"


@dataclass(frozen=True, slots=True)
class PoolUserRow:
    """A user as the pool holds it. ``row`` is its key in the scratch table."""

    row: int
    username: str
    status: str
    enabled: bool
    attributes: dict[str, str]
    groups: tuple[str, ...]


class PoolSnapshot:
    """The pool's users in the scratch database ``conn``; build with ``load``, then ``find`` and
    ``claim`` per source user, and list what nobody claimed with ``unclaimed_with_legacy_id``."""

    def __init__(
        self, conn: sqlite3.Connection, profile: PoolProfile, legacy_id_attribute: str | None
    ) -> None:
        self._conn = conn
        self._profile = profile
        self.legacy_id_attribute = legacy_id_attribute
        conn.executescript(
            """
            CREATE TABLE pool_users (
                row INTEGER PRIMARY KEY, username TEXT NOT NULL, status TEXT NOT NULL,
                enabled INTEGER NOT NULL, attributes BLOB NOT NULL, groups BLOB NOT NULL,
                legacy_id TEXT, claimed INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE pool_keys (kind TEXT NOT NULL, key TEXT NOT NULL, row INTEGER NOT NULL);
            """
        )
        self.users = 0

    def load(self, records: Iterable[SourceRecord]) -> int:
        """Store every user of ``records`` (the pool read as a source); returns how many."""
        conn = self._conn
        with conn:
            for record in records:
                if not isinstance(record, LegacyUser):
                    continue  # a user ListUsers gave without a username: nothing to compare it with
                self._add(record)
            conn.execute("CREATE INDEX pool_keys_lookup ON pool_keys (kind, key)")
            conn.execute("CREATE INDEX pool_users_claims ON pool_users (claimed, legacy_id)")
        return self.users

    def _add(self, user: LegacyUser) -> None:
        attributes = {str(name): str(value) for name, value in user.fields.items()}
        legacy = attributes.get(self.legacy_id_attribute) if self.legacy_id_attribute else None
        cursor = self._conn.execute(
            "INSERT INTO pool_users (username, status, enabled, attributes, groups, legacy_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                user.username,
                user.status or "",
                int(user.enabled),
                orjson.dumps(attributes),
                orjson.dumps(list(user.groups)),
                legacy or None,
            ),
        )
        row = cursor.lastrowid
        keys = [(_KEY_USERNAME, self._profile.fold(user.username), row)]
        if legacy:
            keys.append((_KEY_LEGACY, legacy, row))
        if attributes.get("sub"):
            keys.append((_KEY_SUB, attributes["sub"], row))
        for name in self._profile.username_attributes:
            if attributes.get(name):
                keys.append((name, self._profile.fold_attribute(name, attributes[name]), row))
        self._conn.executemany("INSERT INTO pool_keys VALUES (?, ?, ?)", keys)
        self.users += 1

    # ── lookups ──────────────────────────────────────────────────────────────────────────────────

    def by_legacy_id(self, source_id: str) -> PoolUserRow | None:
        if self.legacy_id_attribute is None:
            return None
        return self._by(_KEY_LEGACY, source_id)

    def find(
        self, source_id: str, username: str, sub: str | None, attributes: dict[str, str]
    ) -> PoolUserRow | None:
        """The pool user of one source user (see the module docstring for the order), or None."""
        found = self.by_legacy_id(source_id)
        if found is None and sub:
            found = self._by(_KEY_SUB, sub)
        if found is None and username:
            found = self._by(_KEY_USERNAME, self._profile.fold(username))
        for name in self._profile.username_attributes:
            if found is not None:
                break
            value = attributes.get(name)
            if value:
                found = self._by(name, self._profile.fold_attribute(name, value))
        return found

    def _by(self, kind: str, key: str) -> PoolUserRow | None:
        row = self._conn.execute(
            "SELECT u.row, u.username, u.status, u.enabled, u.attributes, u.groups FROM pool_keys k "
            "JOIN pool_users u ON u.row = k.row WHERE k.kind = ? AND k.key = ? LIMIT 1",
            (kind, key),
        ).fetchone()
        return None if row is None else _pool_user(row)

    def claim(self, user: PoolUserRow) -> None:
        """Mark ``user`` as some source user's, so it is not listed as unknown."""
        self._conn.execute("UPDATE pool_users SET claimed = 1 WHERE row = ?", (user.row,))

    def unclaimed_with_legacy_id(self) -> Iterator[tuple[str, PoolUserRow]]:
        """Pool users that carry a legacy id but that no source user claimed: ``(legacy id, user)``."""
        rows = self._conn.execute(
            "SELECT row, username, status, enabled, attributes, groups, legacy_id FROM pool_users "
            "WHERE claimed = 0 AND legacy_id IS NOT NULL ORDER BY row"
        )
        for row in rows:
            yield row[6], _pool_user(row)


def _pool_user(row: Any) -> PoolUserRow:
    return PoolUserRow(
        row=row[0],
        username=row[1],
        status=row[2],
        enabled=bool(row[3]),
        attributes=orjson.loads(row[4]),
        groups=tuple(orjson.loads(row[5])),
    )


def read_pool(snapshot: PoolSnapshot, settings: AwsSettings, limiter: RateLimiter, pool_id: str) -> int:
    """Read the pool ``pool_id`` into ``snapshot`` (users, statuses, groups); returns how many users."""
    from cognito_migrate.config.models import CognitoSource
    from cognito_migrate.sources.cognito_pool import CognitoPoolSource

    reader = CognitoPoolSource(
        CognitoSource.model_validate({"type": "cognito", "pool_id": pool_id, "include_groups": True}),
        settings=settings,
        limiter=limiter,
    )
    try:
        return snapshot.load(reader.records())
    finally:
        reader.close()
