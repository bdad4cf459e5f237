"""Legacy databases, opened so that a migration can only read them, and read as a stream.

A setting is either a plain path, taken as a SQLite file relative to the plan file's folder, or a
SQLAlchemy URL. Every connection is read-only: SQLite files are opened with ``mode=ro`` (a missing file is
an error instead of a new empty database), PostgreSQL sessions start with
``default_transaction_read_only``, MySQL/MariaDB sessions with ``SET SESSION TRANSACTION READ ONLY``.
So a mistyped ``query`` can never change the legacy database the migration is meant to preserve.

Rows are streamed: ``stream_results`` with ``yield_per`` gives a server-side cursor on PostgreSQL
(psycopg's named cursor, fetching ``batch_size`` rows per round trip) and an unbuffered cursor on MySQL;
SQLite's cursor steps through the file as rows are asked for, and its rows are read straight from it
(:func:`row_batches`).

Failures to reach or read the database become ``ConfigError`` naming the setting and the URL with its
password masked; the password never appears in a message.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, CursorResult, Engine
from sqlalchemy.engine.cursor import CursorFetchStrategy
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, StatementError

from cognito_migrate.errors import ConfigError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# A bare dialect name means the driver this project installs, not SQLAlchemy's default (psycopg2,
# mysqlclient), which would need a C build.
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",  # the spelling Heroku and others hand out
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
_CONNECT_TIMEOUT_SECONDS = 10
_MESSAGE_LIMIT = 400


@dataclass(frozen=True)
class LegacyDatabase:
    """An engine on a legacy database and how to name it in messages.

    ``setting`` is the plan file key (``[source] url``), ``shown`` the URL with its password masked, or
    the SQLite file's path.
    """

    engine: Engine
    setting: str
    shown: str
    _password: str | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read-only connection; failing to connect is a ``ConfigError``."""
        with self.errors("cannot connect"):
            connection = self.engine.connect()
        try:
            yield connection
        finally:
            connection.close()

    @contextmanager
    def errors(self, doing: str, *, setting: str | None = None) -> Iterator[None]:
        """Turn the driver's errors inside the block into a ``ConfigError`` that says what was being done.

        The message names ``setting`` when the fault is likely there (a query, a table), else the URL's.
        """
        try:
            yield
        except (DBAPIError, StatementError) as exc:
            where = (
                f"{setting}: {doing} in {self.shown}"
                if setting
                else f"{self.setting} = {self.shown!r}: {doing}"
            )
            raise ConfigError(f"{where}: {self.driver_message(exc)}") from exc

    def driver_message(self, exc: BaseException) -> str:
        """The driver's own words, on one line, without SQLAlchemy's SQL echo or the password."""
        original = getattr(exc, "orig", None) or exc
        text = " ".join(str(original).split())
        text = text.split(" [SQL: ", 1)[0]
        if self._password:
            text = text.replace(self._password, "***")
        return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"

    def close(self) -> None:
        self.engine.dispose()


def open_database(setting: str, value: str, base_dir: Path) -> LegacyDatabase:
    """An engine for ``value`` (a path or a URL); nothing is connected yet."""
    if not _URL.match(value):
        return _sqlite_file(setting, value, base_dir / Path(value).expanduser())
    try:
        url = sa.engine.make_url(value)
    except ArgumentError as exc:
        raise ConfigError(f"{setting}: not a database URL or a file path ({exc})") from exc
    shown = url.render_as_string(hide_password=True)
    sqlite_file = _plain_sqlite_file(url)
    if sqlite_file is not None:
        return _sqlite_file(setting, shown, base_dir / sqlite_file)
    url = url.set(drivername=_DEFAULT_DRIVERS.get(url.drivername, url.drivername))
    try:
        engine = sa.create_engine(url, connect_args=_read_only_connect_args(url), pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise ConfigError(
            f"{setting} = {shown!r}: SQLAlchemy knows no database type {url.drivername!r}"
        ) from exc
    except ModuleNotFoundError as exc:
        extra = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}.get(url.get_backend_name())
        hint = f" (pip install 'cognito-migrate[{extra}]')" if extra else ""
        raise ConfigError(f"{setting} = {shown!r}: the driver {exc.name!r} is not installed{hint}") from exc
    return LegacyDatabase(engine, setting, url.render_as_string(hide_password=True), url.password)


def open_stream(connection: Connection, statement: sa.Executable, batch_size: int) -> CursorResult[Any]:
    """The statement's result, to iterate row by row: ``batch_size`` rows are fetched per round trip
    through a server-side cursor, never the whole result at once."""
    streaming = connection.execution_options(stream_results=True, yield_per=batch_size)
    return streaming.execute(statement)


def row_batches(result: CursorResult[Any], size: int) -> Iterator[Sequence[Sequence[Any]]]:
    """The result's rows, ``size`` at a time, as sequences indexed like ``result.keys()``.

    Where SQLAlchemy reads the DBAPI cursor lazily and holds no rows of its own (SQLite, whose cursor
    steps through the file; not the server-side cursors of PostgreSQL and MySQL, whose first row
    SQLAlchemy reads ahead), the driver's own tuples are returned: wrapping each in a ``Row`` costs
    about 1 µs, a third of what the ``sql`` source may spend on a row. Sources select untyped columns,
    so SQLAlchemy would hand the driver's values through unchanged either way.
    """
    cursor = result.cursor
    if type(result.cursor_strategy) is not CursorFetchStrategy or cursor is None:
        yield from result.partitions(size)
        return
    dialect = result.context.dialect
    try:
        while rows := cursor.fetchmany(size):
            yield rows
    except dialect.loaded_dbapi.Error as exc:
        # What SQLAlchemy raises for the same failure, so callers see one kind of error either way.
        raise DBAPIError.instance(result.context.statement, None, exc, dialect.loaded_dbapi.Error) from exc


def _sqlite_file(setting: str, value: str, path: Path) -> LegacyDatabase:
    path = path.resolve()
    if not path.is_file():
        problem = "is a folder, not a SQLite file" if path.is_dir() else "no such file"
        raise ConfigError(f"{setting} = {value!r}: {problem} ({path})")
    uri = f"{path.as_uri()}?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True)

    # NullPool: a SQLite connection is cheap, and none is kept open on the file between reads.
    engine = sa.create_engine("sqlite+pysqlite://", creator=connect, poolclass=sa.pool.NullPool)
    return LegacyDatabase(engine, setting, str(path))


def _plain_sqlite_file(url: URL) -> Path | None:
    """The file of a ``sqlite:///file`` URL we may reopen read-only: not in memory, and without URI
    options of its own (those URLs are used as they are)."""
    if url.drivername not in ("sqlite", "sqlite+pysqlite") or url.query:
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def _read_only_connect_args(url: URL) -> dict[str, Any]:
    """Driver options that make every session read-only and give up on an unreachable host in time."""
    driver = url.get_driver_name()
    query = dict(url.query)
    args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and driver in ("psycopg", "psycopg2"):
        options = query.get("options", "")
        options = options if isinstance(options, str) else " ".join(options)
        args["options"] = f"{options} -c default_transaction_read_only=on".strip()
        if "connect_timeout" not in query:
            args["connect_timeout"] = _CONNECT_TIMEOUT_SECONDS
    elif url.get_backend_name() in ("mysql", "mariadb") and driver in ("pymysql", "mysqldb"):
        if "init_command" not in query:
            args["init_command"] = "SET SESSION TRANSACTION READ ONLY"
        if "connect_timeout" not in query:
            args["connect_timeout"] = _CONNECT_TIMEOUT_SECONDS
    return args


__all__ = ["LegacyDatabase", "open_database", "open_stream", "row_batches"]
