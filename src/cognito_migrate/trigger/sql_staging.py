"""Staging just-in-time users in a SQL database instead of DynamoDB (``[trigger] staging = "sql"``).

For teams whose legacy users already live in PostgreSQL or MySQL/MariaDB and who would rather not copy
password hashes into another AWS service: ``trigger stage`` writes the same items as for DynamoDB
(``staging.staged_items``, DynamoDB's typed JSON as text) into one table, ``cognito_migrate_staging``
(``directory.SQL_TABLE``), keyed by pool id and item key, and the function reads it with
``directory.SqlDirectory``. Staging again replaces a pool's items (and its ``groups_applied`` flags, as
for DynamoDB). The database account the function uses needs SELECT and UPDATE on that table only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from cognito_migrate.errors import ConfigError
from cognito_migrate.trigger.directory import SQL_TABLE
from cognito_migrate.trigger.staging import StagedUser, StagingResult, staged_items

BATCH_SIZE = 500


def stage_users_sql(
    url: str, pool_id: str, users: Iterable[StagedUser], *, case_sensitive: bool = False
) -> tuple[StagingResult, bool]:
    """Write ``users`` for ``pool_id`` into the staging table at ``url``, created if missing; the
    result, and whether the table was created."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"[trigger] staging URL: {exc}") from None
    table = staging_table(sa.MetaData())
    result = StagingResult()
    try:
        with engine.begin() as connection:
            created = not sa.inspect(connection).has_table(SQL_TABLE)
            table.create(connection, checkfirst=True)
            connection.execute(table.delete().where(table.c.pool_id == pool_id))
            items = (_row(pool_id, item) for item in staged_items(users, case_sensitive, result))
            for batch in _batches(items):
                connection.execute(table.insert(), batch)
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"[trigger] staging database: cannot connect or write ({exc.orig})") from None
    finally:
        engine.dispose()
    return result, created


def delete_staged_sql(url: str, pool_id: str) -> int:
    """Delete ``pool_id``'s staged rows (the password hashes) and, once no pool has any, the table;
    the number of rows deleted."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    table = staging_table(sa.MetaData())
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table(SQL_TABLE):
                return 0
            deleted = connection.execute(table.delete().where(table.c.pool_id == pool_id)).rowcount
            if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0:
                table.drop(connection)
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"[trigger] staging database: cannot connect or write ({exc.orig})") from None
    finally:
        engine.dispose()
    return int(deleted)


def staging_table_exists(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(sa.inspect(connection).has_table(SQL_TABLE))
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"[trigger] staging database: cannot connect ({exc.orig})") from None
    finally:
        engine.dispose()


def staging_table(metadata: Any) -> Any:
    import sqlalchemy as sa

    return sa.Table(
        SQL_TABLE,
        metadata,
        # 64 + 512 characters keep the key within MySQL's 3,072-byte index limit in utf8mb4.
        sa.Column("pool_id", sa.String(64), primary_key=True),
        sa.Column("pk", sa.String(512), primary_key=True),
        sa.Column("item", sa.Text, nullable=False),
        sa.Column("groups_applied", sa.Boolean, nullable=False, default=False),
    )


def _row(pool_id: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"pool_id": pool_id, "pk": item["pk"]["S"], "item": json.dumps(item), "groups_applied": False}


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(rows, BATCH_SIZE)):
        yield batch
