"""The ``jupyterhub`` source: a JupyterHub database whose users sign in with NativeAuthenticator.

Reads JupyterHub's ``users``, ``groups`` and ``user_group_map`` and NativeAuthenticator's ``users_info``
(bcrypt hashes stored as bytes) with SQLAlchemy Core, naming only the columns it needs, so it reads
databases written by any current JupyterHub on SQLite, PostgreSQL or MySQL, without JupyterHub installed.

Two streamed passes, nothing held across users:

1. ``users`` LEFT JOIN ``users_info`` (on the user name) LEFT JOIN the group tables, ordered by user id:
   consecutive rows of one user give its groups. Each hub user becomes a ``LegacyUser``, or an issue:
   ``INCOMPLETE`` without a ``users_info`` row (no password, no email), ``EXCLUDED`` by a selection rule
   (``hub_selection``), ``MALFORMED`` without a name or with a date that is not one.
2. ``users_info`` rows without a hub user (signed up but never logged in, or deleted from the hub):
   ``INCOMPLETE``, with ``source_id`` ``users_info:<id>``.

A hub user's ``source_id`` is its ``users.id``; admins also join ``admin_group``; a user is enabled when
NativeAuthenticator authorized it (an unauthorized account could not sign in to the hub either).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from cognito_migrate.config.models import JupyterHubSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.sources.database import open_database, open_stream
from cognito_migrate.sources.hub_selection import HubAccount, PortalRules
from cognito_migrate.sources.records import (
    GroupDefinition,
    IssueKind,
    LegacyUser,
    SourceIssue,
    SourceRecord,
)
from cognito_migrate.sources.sql_values import password_hash, timestamp

_BATCH_SIZE = 1000
# The columns read, by table; present in JupyterHub ≥ 1.0 and every NativeAuthenticator release.
_COLUMNS = {
    "users": ("id", "name", "admin", "created", "last_activity"),
    "users_info": ("id", "username", "password", "email", "is_authorized", "has_2fa"),
    "groups": ("id", "name"),
    "user_group_map": ("user_id", "group_id"),
}


class JupyterHubDatabase:
    """Users of a JupyterHub + NativeAuthenticator database; see the module docstring.

    ``now`` fixes "today" for the selection rules (default: the current UTC time).
    """

    def __init__(self, config: JupyterHubSource, base_dir: Path, *, now: datetime | None = None) -> None:
        self._config = config
        self._rules = PortalRules.for_config(config, now or datetime.now(UTC))
        self._database = open_database("[source] database", config.database, base_dir)
        try:
            self._tables = self._hub_tables()
        except BaseException:
            self._database.close()
            raise

    def describe(self) -> str:
        return f"JupyterHub database {self._database.shown}"

    def records(self) -> Iterator[SourceRecord]:
        users, info = self._tables["users"], self._tables["users_info"]
        groups, members = self._tables["groups"], self._tables["user_group_map"]
        hub_users = (
            sa.select(
                users.c.id,
                users.c.name,
                users.c.admin,
                users.c.created,
                users.c.last_activity,
                info.c.id.label("info_id"),
                info.c.password,
                info.c.email,
                info.c.is_authorized,
                info.c.has_2fa,
                groups.c.name.label("group_name"),
            )
            .select_from(
                users.outerjoin(info, info.c.username == users.c.name)
                .outerjoin(members, members.c.user_id == users.c.id)
                .outerjoin(groups, groups.c.id == members.c.group_id)
            )
            .order_by(users.c.id, info.c.id)
        )
        orphans = (
            sa.select(info.c.id, info.c.username)
            .select_from(info.outerjoin(users, users.c.name == info.c.username))
            .where(users.c.id.is_(None))
            .order_by(info.c.id)
        )
        with self._database.connect() as connection:
            with self._database.errors("cannot read the hub's users"):
                result = open_stream(connection, hub_users, _BATCH_SIZE)
            with result:
                for _, rows in groupby(result, key=lambda row: row.id):
                    yield from self._hub_user(list(rows))
            with self._database.errors("cannot read users_info"):
                result = open_stream(connection, orphans, _BATCH_SIZE)
            with result:
                for row in result:
                    yield SourceIssue(
                        IssueKind.INCOMPLETE,
                        "NativeAuthenticator users_info row without a JupyterHub user (signed up but never "
                        "logged in, or deleted from the hub)",
                        f"table users_info id {row.id}",
                        f"users_info:{row.id}",
                        row.username,
                    )

    def group_definitions(self) -> list[GroupDefinition]:
        return []  # JupyterHub groups carry only a name (their properties mean nothing to Cognito)

    def close(self) -> None:
        self._database.close()

    def _hub_user(self, rows: Sequence[Row[Any]]) -> Iterator[SourceRecord]:
        """The records of one hub user from its joined rows (one per users_info row × group)."""
        first = rows[0]
        source_id = str(first.id)
        location = f"table users id {source_id}"
        name = first.name if isinstance(first.name, str) and first.name.strip() else None
        info_ids = list(dict.fromkeys(row.info_id for row in rows if row.info_id is not None))
        for repeated in info_ids[1:]:
            yield SourceIssue(
                IssueKind.MALFORMED,
                f"users_info row repeats the user name {name!r}; the row with id {info_ids[0]} is used",
                f"table users_info id {repeated}",
                f"users_info:{repeated}",
                name,
            )
        if name is None:
            yield SourceIssue(IssueKind.MALFORMED, "hub user without a name", location, source_id)
            return
        info = next((row for row in rows if row.info_id == info_ids[0]), first) if info_ids else first
        try:
            account = HubAccount(
                created=_read_time("created", first.created),
                last_activity=_read_time("last_activity", first.last_activity),
                has_2fa=_is_one(info.has_2fa),
                is_authorized=_is_one(info.is_authorized),
            )
        except ValueError as exc:
            yield SourceIssue(IssueKind.MALFORMED, str(exc), location, source_id, name)
            return
        if not info_ids:
            # Without the row, 2FA and authorization are unknown: only the hub's own rules are told.
            known = HubAccount(account.created, account.last_activity, has_2fa=True, is_authorized=True)
            excluded = self._rules.exclusions(known)
            also = (
                f" (the selection rules would also leave it out: {'; '.join(excluded)})" if excluded else ""
            )
            reason = "hub user without a NativeAuthenticator users_info row: no password, no email" + also
            yield SourceIssue(IssueKind.INCOMPLETE, reason, location, source_id, name)
            return
        excluded = self._rules.exclusions(account)
        if excluded:
            yield SourceIssue(IssueKind.EXCLUDED, "; ".join(excluded), location, source_id, name)
            return
        admin = _is_one(first.admin)
        groups = sorted({row.group_name for row in rows if row.group_name is not None})
        if admin and self._config.admin_group is not False and self._config.admin_group not in groups:
            groups.append(self._config.admin_group)
        yield LegacyUser(
            source_id=source_id,
            username=name,
            fields={
                "name": name,
                "email": info.email,
                "created": account.created.isoformat() if account.created else None,
                "last_activity": account.last_activity.isoformat() if account.last_activity else None,
                "admin": admin,
                "is_authorized": account.is_authorized,
                "has_2fa": account.has_2fa,
            },
            password_hash=password_hash(info.password),
            groups=tuple(groups),
            enabled=account.is_authorized,
            location=location,
        )

    def _hub_tables(self) -> dict[str, sa.Table]:
        """The four tables, checked to exist with the columns read; untyped, so each value arrives as
        the driver returns it and one odd value is that user's problem, not the whole stream's."""
        with self._database.connect() as connection, self._database.errors("cannot read the table list"):
            inspector = sa.inspect(connection)
            found = set(inspector.get_table_names())
            where = f"[source] database = {self._database.shown!r}"
            if "users" not in found:
                raise ConfigError(f"{where}: no users table: this is not a JupyterHub database")
            if "users_info" not in found:
                raise ConfigError(
                    f"{where}: no users_info table: this JupyterHub does not use NativeAuthenticator"
                )
            metadata = sa.MetaData()
            tables: dict[str, sa.Table] = {}
            for table, needed in _COLUMNS.items():
                if table not in found:
                    raise ConfigError(f"{where}: no {table} table: is this a JupyterHub database?")
                present = {column["name"] for column in inspector.get_columns(table)}
                missing = [column for column in needed if column not in present]
                if missing:
                    raise ConfigError(
                        f"{where}: table {table} has no column {', '.join(missing)}; "
                        "JupyterHub 1.0 or later and NativeAuthenticator are expected"
                    )
                tables[table] = sa.Table(table, metadata, *(sa.Column(column) for column in needed))
        return tables


def _is_one(value: Any) -> bool:
    """``column = 1`` as the portal's SQL tests it: true for 1 and True, false for NULL and the rest."""
    return isinstance(value, bool | int | Decimal) and value == 1


def _read_time(column: str, value: Any) -> datetime | None:
    try:
        return timestamp(value)
    except ValueError as exc:
        raise ValueError(f"users.{column}: {exc}") from None


__all__ = ["JupyterHubDatabase"]
