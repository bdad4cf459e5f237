"""Where the migrate-user function reads staged users: a DynamoDB table, or a table in a SQL database.

Both hold the same items (``layout``: a user item per folded username, an alias item per alias value,
in DynamoDB's typed JSON), so the handler's lookups do not care which one it talks to:

- ``DynamoDirectory``: GetItem / UpdateItem on the staging table (the default).
- ``SqlDirectory``: the table ``cognito_migrate_staging`` (``pool_id``, ``pk``, ``item`` as JSON text,
  ``groups_applied``) in a PostgreSQL or MySQL/MariaDB database that ``trigger stage`` wrote, reached
  with the pure-Python drivers in the function's zip (pg8000, PyMySQL: no SQLAlchemy at cold start).
  The URL (it holds a password) comes from the function's secret, never from its environment.

Standard library at import; a driver is imported on the first lookup. A failure to reach the store is
``RuntimeError(UNAVAILABLE)`` with nothing of the store's own text, which may name hosts or tables.
"""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from cognito_migrate.trigger import layout

UNAVAILABLE = "User migration is unavailable, try again later"
SQL_TABLE = "cognito_migrate_staging"
# Seconds to wait for the database: Cognito gives the whole trigger 5.
CONNECT_TIMEOUT = 2


class Directory(Protocol):
    def get(self, key: str) -> dict[str, Any] | None:
        """The item under ``key`` (DynamoDB's typed JSON), or None; RuntimeError when unreachable."""

    def mark_groups_applied(self, key: str) -> None:
        """Record that the user item under ``key`` was given its groups."""


class DynamoDirectory:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            answer = self.dynamodb.get_item(TableName=self.table, Key={layout.KEY: {"S": key}})
        except Exception as exc:  # never pass DynamoDB's text (table names, ARNs) to the caller
            raise RuntimeError(UNAVAILABLE) from exc
        item = answer.get("Item")
        return item if isinstance(item, dict) else None

    def mark_groups_applied(self, key: str) -> None:
        self.dynamodb.update_item(
            TableName=self.table,
            Key={layout.KEY: {"S": key}},
            UpdateExpression="SET #applied = :true",
            ExpressionAttributeNames={"#applied": layout.GROUPS_APPLIED},
            ExpressionAttributeValues={":true": {"BOOL": True}},
        )


class SqlDirectory:
    """One connection per container, opened on first use and opened again after a failure."""

    def __init__(self, url: str, pool_id: str) -> None:
        self.url = url
        self.pool_id = pool_id
        self._connection: Any = None
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        rows = self._run(
            f"SELECT item, groups_applied FROM {SQL_TABLE} WHERE pool_id = %s AND pk = %s",  # noqa: S608
            (self.pool_id, key),
        )
        if not rows:
            return None
        item = json.loads(rows[0][0])
        if rows[0][1]:
            item[layout.GROUPS_APPLIED] = {"BOOL": True}
        return item if isinstance(item, dict) else None

    def mark_groups_applied(self, key: str) -> None:
        self._run(
            f"UPDATE {SQL_TABLE} SET groups_applied = %s WHERE pool_id = %s AND pk = %s",  # noqa: S608
            (True, self.pool_id, key),
            commit=True,
        )

    def _run(self, sql: str, params: tuple[Any, ...], *, commit: bool = False) -> list[Any]:
        with self._lock:
            # One retry on a fresh connection: a container's connection may have been closed by the
            # server while the container sat idle between invocations.
            for attempt in (1, 2):
                try:
                    if self._connection is None:
                        self._connection = connect(self.url)
                    cursor = self._connection.cursor()
                    try:
                        cursor.execute(sql, params)
                        rows = [] if commit else list(cursor.fetchall())
                    finally:
                        cursor.close()
                    if commit:
                        self._connection.commit()
                    else:
                        self._connection.rollback()  # end the read transaction: later reads see new rows
                    return rows
                except Exception as exc:
                    self._close()
                    if attempt == 2:
                        raise RuntimeError(UNAVAILABLE) from exc
        raise AssertionError("unreachable")

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close; dropped anyway
                connection.close()


def connect(url: str) -> Any:
    """A DB-API connection for a SQLAlchemy-style URL (``postgresql+psycopg://user:pw@host:5432/db``,
    ``mysql+pymysql://…``): the driver part is ignored, pg8000 or PyMySQL is used. ``sslmode=require``
    (PostgreSQL) or ``ssl=true`` (MySQL) in the query string turns on TLS with certificate checks."""
    import ssl  # only SQL staging pays for it at cold start

    parts = urlsplit(url)
    dialect = parts.scheme.split("+", 1)[0]
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    database = unquote(parts.path.lstrip("/"))
    user = unquote(parts.username or "")
    password = unquote(parts.password) if parts.password is not None else None
    if dialect in ("postgresql", "postgres"):
        import pg8000.dbapi

        tls = query.get("sslmode", "disable") not in ("disable", "allow", "prefer")
        return pg8000.dbapi.connect(
            user=user,
            password=password,
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            database=database or None,
            timeout=CONNECT_TIMEOUT,
            ssl_context=ssl.create_default_context() if tls else None,
        )
    if dialect in ("mysql", "mariadb"):
        import pymysql

        tls = query.get("ssl", "false").lower() in ("true", "1", "required")
        return pymysql.connect(
            user=user,
            password=password or "",
            host=parts.hostname or "localhost",
            port=parts.port or 3306,
            database=database or None,
            connect_timeout=CONNECT_TIMEOUT,
            ssl=ssl.create_default_context() if tls else None,
            charset="utf8mb4",
        )
    raise ValueError(f"staging database {dialect!r}: expected postgresql or mysql")
