"""The ``sql`` source: one row per user from a table or a query in any database SQLAlchemy reaches.

Every column of a row becomes a field under its own name (so ``[attributes] email = "email_address"``
works), except the password hash, which only travels as a ``PasswordHash``. Rows are streamed through a
server-side cursor, ``batch_size`` at a time; the source keeps nothing from one row to the next (not
even a set of ids: repeated ids are the planner's business).

A row without an id or a username, or with an enabled or groups value that cannot be read, becomes a
``MALFORMED`` issue naming the table, the row number and the id, and the rows around it go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from cognito_migrate.config.models import SqlSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.sources.database import open_database, open_stream
from cognito_migrate.sources.records import (
    GroupDefinition,
    IssueKind,
    LegacyUser,
    SourceIssue,
    SourceRecord,
)
from cognito_migrate.sources.sql_values import field_value, group_names, password_hash, truth

T = TypeVar("T")
_LISTED_NAMES = 30  # how many table or column names an error message lists


class SqlTable:
    """Users from ``config.table`` or ``config.query``; see the module docstring."""

    def __init__(self, config: SqlSource, base_dir: Path) -> None:
        self._config = config
        self._database = open_database("[source] url", config.url, base_dir)
        try:
            # A table is checked now, so a typo fails before anything else happens; a query's columns
            # are only known once it runs, and are checked before its first row is used.
            self._select = self._table_select() if config.table else None
        except BaseException:
            self._database.close()
            raise

    def describe(self) -> str:
        what = f"table {self._config.table}" if self._config.table else "query"
        return f"{what} in {self._database.shown}"

    def records(self) -> Iterator[SourceRecord]:
        config = self._config
        setting = "[source] table" if config.table else "[source] query"
        statement = self._select if self._select is not None else _user_query(config.query or "")
        where = f"table {config.table}" if config.table else "query"
        with self._database.connect() as connection:
            with self._database.errors("the database refused it", setting=setting):
                result = open_stream(connection, statement, config.batch_size)
            with result:
                if not result.returns_rows:
                    raise ConfigError(f"{setting}: returns no rows; expected a SELECT with one row per user")
                reader = _RowReader(config, list(result.keys()), where)
                for number, row in enumerate(result, start=1):
                    yield reader.record(row, number)

    def group_definitions(self) -> list[GroupDefinition]:
        return []  # a column of group names says nothing about descriptions or precedence

    def close(self) -> None:
        self._database.close()

    def _table_select(self) -> sa.Select[Any]:
        name = self._config.table or ""
        schema, _, table_name = name.rpartition(".")
        with self._database.connect() as connection, self._database.errors("cannot read the table list"):
            inspector = sa.inspect(connection)
            if not inspector.has_table(table_name, schema=schema or None):
                found = inspector.get_table_names(schema=schema or None)
                found += inspector.get_view_names(schema=schema or None)
                where = f"schema {schema}" if schema else self._database.shown
                raise ConfigError(
                    f"[source] table = {name!r}: no such table in {where}; tables are: {_listing(found)}"
                )
            columns = [column["name"] for column in inspector.get_columns(table_name, schema=schema or None)]
        _RowReader(self._config, columns, f"table {name}")  # raises ConfigError for a missing column
        # Untyped columns: values arrive as the driver returns them, so one odd value (a date SQLite
        # cannot parse) is that row's problem instead of an exception in the middle of the stream.
        table = sa.table(table_name, *(sa.column(column) for column in columns), schema=schema or None)
        return sa.select(*table.c)


class _RowReader:
    """Turns rows with known column names into records; checks at creation that the columns exist."""

    def __init__(self, config: SqlSource, columns: Sequence[str], where: str) -> None:
        self._columns = list(columns)
        self._where = where
        positions: dict[str, int] = {}
        for index, name in enumerate(self._columns):
            positions.setdefault(name, index)
        settings = {
            "id_column": config.id_column,
            "username_column": config.username_column,
            "password_hash_column": config.password_hash_column,
            "enabled_column": config.enabled_column,
            "groups_column": config.groups_column,
        }
        for setting, column in settings.items():
            if column is None:
                continue
            if column not in positions:
                raise ConfigError(
                    f"[source] {setting} = {column!r}: no such column in {where}; "
                    f"columns are: {_listing(self._columns)}"
                )
            if self._columns.count(column) > 1:
                raise ConfigError(
                    f"[source] {setting} = {column!r}: {where} has several columns of that name; "
                    "give them distinct names with AS"
                )
        self._id = positions[config.id_column]
        self._username = positions[config.username_column]
        self._hash = positions.get(config.password_hash_column or "")
        self._enabled = (config.enabled_column, positions.get(config.enabled_column or ""))
        self._groups = (config.groups_column, positions.get(config.groups_column or ""))
        self._id_column = config.id_column
        self._username_column = config.username_column

    def record(self, row: Sequence[Any], number: int) -> SourceRecord:
        location = f"{self._where} row {number}"
        source_id = _identifier(row[self._id])
        username = _identifier(row[self._username])
        if source_id is None or username is None:
            empty = self._id_column if source_id is None else self._username_column
            known = f" (id {source_id})" if source_id is not None else ""
            return SourceIssue(
                IssueKind.MALFORMED, f"column {empty} is empty{known}", location, source_id, username
            )
        enabled = True
        groups: tuple[str, ...] = ()
        try:
            column, index = self._enabled
            if index is not None:
                enabled = _read(column, truth, row[index])
            column, index = self._groups
            if index is not None:
                groups = _read(column, group_names, row[index])
        except ValueError as exc:
            return SourceIssue(IssueKind.MALFORMED, f"{exc} (id {source_id})", location, source_id, username)
        fields = {
            name: field_value(value)
            for index, (name, value) in enumerate(zip(self._columns, row, strict=True))
            if index != self._hash
        }
        return LegacyUser(
            source_id=source_id,
            username=username,
            fields=fields,
            password_hash=password_hash(row[self._hash]) if self._hash is not None else None,
            groups=groups,
            enabled=enabled,
            location=location,
        )


def _user_query(query: str) -> sa.TextClause:
    """The user's SELECT as written: the source binds no parameters, so every colon is literal (a
    PostgreSQL ``::text`` cast, a time in a string) instead of a ``:name`` placeholder."""
    return sa.text(query.replace(":", "\\:"))


def _read(column: str | None, reader: Callable[[Any], T], value: Any) -> T:
    try:
        return reader(value)
    except ValueError as exc:
        raise ValueError(f"column {column}: {exc}") from None


def _identifier(value: Any) -> str | None:
    """An id or a user name as text; CHAR columns' padding is not part of it, and blank is none."""
    if value is None:
        return None
    text = str(field_value(value)).strip()
    return text or None


def _listing(names: Sequence[str]) -> str:
    if not names:
        return "(none)"
    shown = ", ".join(sorted(names)[:_LISTED_NAMES])
    return shown + (f", … ({len(names)} in all)" if len(names) > _LISTED_NAMES else "")


__all__ = ["SqlTable"]
