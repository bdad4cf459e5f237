"""Shared fixtures: a real local Cognito on loopback, driven by real boto3 clients; fresh, uniquely named
PostgreSQL schemas and databases and MariaDB databases, dropped afterwards.

The database servers are this machine's (and CI's): PostgreSQL at 127.0.0.1:5432 (user postgres, trust
auth) and MariaDB at 127.0.0.1:3306 (user root, no password). Each test gets its own names, so parallel
runs and other tests never see each other's tables. Without a server the tests skip, except on CI, where
they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pymysql
import pytest

from cognito_migrate.local import LocalCognito


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test may reach real AWS: drop the developer's credentials, profile and endpoint."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.getbasetemp() / "aws-empty"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def local_cognito() -> Iterator[LocalCognito]:
    """One local Cognito for the whole session; tests create their own pools and never share them."""
    # Tests of Region-scoped things (cleanup) each take a made-up Region of their own ("zz-…-1") to stay
    # apart on the shared server; moto serves regional services there only when told to.
    os.environ["MOTO_ALLOW_NONEXISTENT_REGION"] = "true"
    with LocalCognito() as server:
        yield server


# ── SQL servers ─────────────────────────────────────────────────────────────────────────────────────

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/{database}"


def unique_name() -> str:
    return f"cm_{uuid.uuid4().hex[:8]}"


def _unavailable(server: str, exc: Exception) -> None:
    message = f"{server} at 127.0.0.1 is not reachable: {exc}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        _unavailable("PostgreSQL", exc)
        raise


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A new schema in the ``test`` database; the URL is ``PG_URL.format(database="test")``."""
    name = unique_name()
    with _pg_admin() as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with _pg_admin() as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
def pg_database() -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty PostgreSQL database."""
    name = unique_name()
    with _pg_admin() as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield PG_URL.format(database=name)
    finally:
        with _pg_admin() as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def mariadb_database() -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty MariaDB database."""
    name = unique_name()
    try:
        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True, connect_timeout=5)
    except pymysql.err.OperationalError as exc:
        _unavailable("MariaDB", exc)
        raise
    with admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    try:
        yield MARIADB_URL.format(database=name)
    finally:
        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True)
        with admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name}")
