"""The ``sql`` source: one row per user from a table or a query in any database SQLAlchemy reaches.

Every column of a row becomes a field under its own name (so ``[attributes] email = "email_address"``
works), except the password hash, which only travels as a ``PasswordHash``. Rows are streamed through a
server-side cursor, ``batch_size`` at a time; the source keeps nothing from one row to the next (not
even a set of ids: repeated ids are the planner's business).

A row without an id or a username, or with an enabled or groups value that cannot be read, becomes a
``MALFORMED`` issue naming the table, the row number and the id, and the rows around it go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from cognito_migrate.config.models import SqlSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.passwords.formats import detect_hash_format
from cognito_migrate.sources.database import open_database, open_stream, row_batches
from cognito_migrate.sources.records import (
    GroupDefinition,
    IssueKind,
    SourceIssue,
    SourceRecord,
    UserColumns,
    build_legacy_user,
    build_password_hash,
)
from cognito_migrate.sources.sql_values import field_value, group_names, password_hash, truth

T = TypeVar("T")
_LISTED_NAMES = 30  # how many table or column names an error message lists
# Values that go into LegacyUser.fields as they are (field_value would return them unchanged).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
_KNOWN_GROUPS = 10_000  # distinct group cells remembered by columns()


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
        for reader, batches in self._read():
            yield from reader.records(batches)

    def column_batches(self) -> Iterator[UserColumns]:
        """The same users as ``records()``, a fetched batch at a time as columns (see ``UserColumns``)."""
        for reader, batches in self._read():
            number = 1
            for rows in batches:
                yield reader.columns(rows, number)
                number += len(rows)

    def _read(self) -> Iterator[tuple[_RowReader, Iterator[Sequence[Sequence[Any]]]]]:
        """The query's reader and its row batches, while the connection is open (one pass)."""
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
                yield reader, row_batches(result, config.batch_size)

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
        self._known_groups: dict[Any, tuple[str, ...]] = {None: (), "": ()}

    def columns(self, rows: Sequence[Sequence[Any]], first: int) -> UserColumns:
        """``rows`` (numbered from ``first``) as columns; a row is ``ordinary`` when ``records()`` would
        build its user from exactly the values in the columns (text or integer id and username, a 0/1
        enabled flag, group names as text, plain field values); any other row is left to ``records()``."""
        names = self._columns
        count = len(rows)
        values = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        plain = _PLAIN_TYPES
        if plain.issuperset(map(type, chain.from_iterable(rows))):
            ordinary = [True] * count
        else:
            ordinary = [plain.issuperset(map(type, row)) for row in rows]
        source_ids = _plain_identifiers(values[self._id])
        usernames = _plain_identifiers(values[self._username])
        if None in source_ids or None in usernames:
            for index, (source_id, username) in enumerate(zip(source_ids, usernames, strict=True)):
                if source_id is None or username is None:
                    ordinary[index] = False
        enabled: Sequence[bool | None] = [True] * count
        if self._enabled[1] is not None:
            flags = values[self._enabled[1]]
            if set(map(type, flags)) <= {int} and set(flags) <= {0, 1}:
                enabled = list(map(bool, flags))
            else:
                enabled = [
                    value == 1 if type(value) in (int, bool) and value in (0, 1) else None for value in flags
                ]
        groups: Sequence[tuple[str, ...] | None] = [()] * count
        if self._groups[1] is not None:
            cells = values[self._groups[1]]
            # Text cells are looked up at C speed (lists from database arrays are not hashable).
            text = set(map(type, cells)) <= {str, type(None)}
            groups = list(map(self._known_groups.get, cells)) if text else [None] * count
            if None in groups:
                groups = [
                    found if found is not None else self._group_names(cell)
                    for found, cell in zip(groups, cells, strict=True)
                ]
        if None in enabled or None in groups:
            for index, (flag, names_of) in enumerate(zip(enabled, groups, strict=True)):
                if flag is None or names_of is None:
                    ordinary[index] = False
        fields = {name: values[index] for index, name in enumerate(names)}  # the last of a name wins
        hashes: Sequence[str | None] = [None] * count
        if self._hash is not None:
            stored = fields.pop(names[self._hash])
            if set(map(type, stored)) == {str}:
                hashes = list(map(str.strip, stored))
                if "" in hashes:
                    hashes = [value or None for value in hashes]
            else:
                hashes = [value.strip() or None if type(value) is str else None for value in stored]
                for index, value in enumerate(stored):
                    if value is not None and type(value) is not str:  # records() reads it as text
                        ordinary[index] = False
        return UserColumns(
            source_ids, usernames, hashes, enabled, groups, fields, ordinary,  # type: ignore[arg-type]
            lambda index: next(self.records([rows[index : index + 1]], first + index)),
            [f"{self._where} row {number}" for number in range(first, first + count)],
        )  # fmt: skip

    def _group_names(self, value: Any) -> tuple[str, ...] | None:
        """A groups cell as ``records()`` reads it, for text (remembered: few distinct ones); None for
        anything else, or text it refuses."""
        if value is None or value == "":
            return ()
        if type(value) is not str:
            return None
        known = self._known_groups.get(value)
        if known is None:
            try:
                known = group_names(value)
            except ValueError:
                return None
            if len(self._known_groups) < _KNOWN_GROUPS:
                self._known_groups[value] = known
        return known

    def records(self, batches: Iterable[Sequence[Sequence[Any]]], first: int = 1) -> Iterator[SourceRecord]:
        """One record per row, rows numbered from 1 across the batches.

        This loop runs once per user of tables with millions of them, so it is written for speed:
        column positions are resolved once, the common value types (text and integers) are handled
        inline, and anything else goes through the same readers as before (``sql_values``). Types
        are checked per value, never assumed from earlier rows: SQLite lets one column hold text in
        one row and a blob in the next.
        """
        names = self._columns
        where = self._where
        id_at, username_at, hash_at = self._id, self._username, self._hash
        hash_name = names[hash_at] if hash_at is not None else None
        enabled_column, enabled_at = self._enabled
        groups_column, groups_at = self._groups
        plain = _PLAIN_TYPES
        number = first - 1
        for rows in batches:
            # One pass over the whole batch finds whether any value needs converting (a date, bytes,
            # a Decimal); usually none does, and then no row is checked on its own.
            all_plain = plain.issuperset(map(type, chain.from_iterable(rows)))
            for row in rows:
                number += 1
                value = row[id_at]
                if type(value) is str:
                    source_id = value.strip() or None
                elif type(value) is int:
                    source_id = str(value)
                else:
                    source_id = _identifier(value)
                value = row[username_at]
                if type(value) is str:
                    username = value.strip() or None
                elif type(value) is int:
                    username = str(value)
                else:
                    username = _identifier(value)
                if source_id is None or username is None:
                    yield self._empty(source_id, username, number)
                    continue
                enabled = True
                groups: tuple[str, ...] = ()
                try:
                    if enabled_at is not None:
                        value = row[enabled_at]
                        if type(value) is int and (value == 1 or value == 0):
                            enabled = value == 1
                        else:
                            enabled = _read(enabled_column, truth, value)
                    if groups_at is not None:
                        value = row[groups_at]
                        if value is not None and value != "":  # most users are in no group
                            groups = _read(groups_column, group_names, value)
                except ValueError as exc:
                    location = f"{where} row {number}"
                    yield SourceIssue(
                        IssueKind.MALFORMED, f"{exc} (id {source_id})", location, source_id, username
                    )
                    continue
                fields = dict(zip(names, row, strict=False))  # as long as the columns: strict costs
                hashed = None
                if hash_name is not None:
                    value = fields.pop(hash_name)
                    if type(value) is str:
                        value = value.strip()
                        hashed = build_password_hash(value, detect_hash_format(value)) if value else None
                    else:
                        hashed = password_hash(value)
                if not all_plain and not plain.issuperset(map(type, row)):
                    for name, value in fields.items():
                        if type(value) not in plain:
                            fields[name] = field_value(value)
                yield build_legacy_user(
                    source_id, username, fields, hashed, groups, enabled, f"{where} row {number}"
                )

    def _empty(self, source_id: str | None, username: str | None, number: int) -> SourceIssue:
        empty = self._id_column if source_id is None else self._username_column
        known = f" (id {source_id})" if source_id is not None else ""
        location = f"{self._where} row {number}"
        return SourceIssue(
            IssueKind.MALFORMED, f"column {empty} is empty{known}", location, source_id, username
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


def _plain_identifiers(values: Sequence[Any]) -> list[str | None]:
    """``_plain_identifier`` of each value; whole columns of integers or of text at C speed."""
    types = set(map(type, values))
    if types == {int}:
        return list(map(str, values))
    if types == {str}:
        stripped: list[str | None] = list(map(str.strip, values))
        return stripped if "" not in stripped else [text or None for text in stripped]
    return [_plain_identifier(value) for value in values]


def _plain_identifier(value: Any) -> str | None:
    """An id or user name as ``records()`` reads text and integers; None for an empty or other value."""
    if type(value) is str:
        return value.strip() or None
    return str(value) if type(value) is int else None


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
