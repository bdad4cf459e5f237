"""The ``sql`` source against real SQLite files, the PostgreSQL server and the MariaDB server."""

# The tests write SQL with their own fresh schema names in it, as users write queries: no injection here.
# ruff: noqa: S608

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import bcrypt
import psycopg
import pymysql
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from cognito_migrate.config.models import SqlSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.passwords.formats import HashFormat
from cognito_migrate.sources.records import (
    IssueKind,
    LegacyUser,
    PasswordHash,
    SourceIssue,
    SourceRecord,
    build_legacy_user,
    build_password_hash,
)
from cognito_migrate.sources.sql import SqlTable
from cognito_migrate.sources.sql_values import group_names

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/{database}"
JOINED = datetime(2024, 5, 6, 7, 8, 9)


def _django_pbkdf2(password: str) -> str:
    salt = "pepper1234"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000)
    return f"pbkdf2_sha256$1000${salt}${base64.b64encode(digest).decode()}"


# (username, hash, detected format, is_active, roles as stored, groups expected)
PEOPLE: list[tuple[str, str | None, HashFormat | None, bool, str | None, tuple[str, ...]]] = [
    ("alice", bcrypt.hashpw(b"alice-pw", bcrypt.gensalt(4)).decode(), HashFormat.BCRYPT, True,
     "staff, gpu", ("staff", "gpu")),
    ("bob", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("bob-pw"), HashFormat.ARGON2,
     True, '["physics", "gpu"]', ("physics", "gpu")),
    ("carol", generate_password_hash("carol-pw", method="pbkdf2:sha256:1000"), HashFormat.WERKZEUG_PBKDF2,
     False, "", ()),
    ("dave", generate_password_hash("dave-pw", method="scrypt:1024:8:1"), HashFormat.WERKZEUG_SCRYPT, True,
     None, ()),
    ("erin", _django_pbkdf2("erin-pw"), HashFormat.DJANGO_PBKDF2_SHA256, True, "teaching", ("teaching",)),
    ("frank", hashlib.md5(b"frank-pw").hexdigest(), HashFormat.UNKNOWN, False, "staff,staff", ("staff",)),  # noqa: S324
    ("grace", None, None, True, None, ()),
]  # fmt: skip


def app_users(
    metadata: sa.MetaData, schema: str | None, hash_type: type[sa.types.TypeEngine[Any]]
) -> sa.Table:
    return sa.Table(
        "app_users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("username", sa.String(64)),
        sa.Column("email_address", sa.String(128)),
        sa.Column("password", hash_type),
        sa.Column("is_active", sa.Boolean),
        sa.Column("roles", sa.Text),
        sa.Column("joined", sa.DateTime),
        schema=schema,
    )


@dataclass
class Backend:
    """One database server as a test sees it: how to fill it, and the setting a user would write."""

    name: str
    url: str  # what goes into [source] url
    setup: sa.Engine  # a writable engine for the test's own tables
    schema: str | None
    base_dir: Path

    @property
    def prefix(self) -> str:
        return f"{self.schema}." if self.schema else ""

    def source(self, **settings: Any) -> SqlTable:
        return SqlTable(SqlSource(type="sql", url=self.url, **settings), self.base_dir)

    def fill_users(self, hash_type: type[sa.types.TypeEngine[Any]] = sa.Text) -> None:
        """The users of PEOPLE; ``hash_type`` sa.LargeBinary stores hashes as bytes."""
        metadata = sa.MetaData()
        table = app_users(metadata, self.schema, hash_type)
        as_bytes = hash_type is sa.LargeBinary
        departments = sa.Table(
            "departments",
            metadata,
            sa.Column("user_id", sa.Integer),
            sa.Column("department", sa.String(64)),
            schema=self.schema,
        )
        metadata.create_all(self.setup)
        with self.setup.begin() as connection:
            connection.execute(
                table.insert(),
                [
                    {
                        "id": index,
                        "username": name,
                        "email_address": f"{name}@example.org",
                        "password": hashed.encode() if hashed and as_bytes else hashed,
                        "is_active": active,
                        "roles": roles,
                        "joined": JOINED,
                    }
                    for index, (name, hashed, _, active, roles, _) in enumerate(PEOPLE, start=1)
                ],
            )
            connection.execute(
                departments.insert(),
                [{"user_id": 1, "department": "physics"}, {"user_id": 2, "department": "biology"},
                 {"user_id": 3, "department": "physics"}, {"user_id": 5, "department": "maths"}],
            )  # fmt: skip

    def count(self, table: str) -> int:
        with self.setup.connect() as connection:
            return int(connection.execute(sa.text(f"SELECT count(*) FROM {self.prefix}{table}")).scalar_one())


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        # A plain path, as most users of a SQLite app write it: relative to the plan file's folder.
        setup = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
        found = Backend("sqlite", "app.db", setup, None, tmp_path)
    elif request.param == "postgresql":
        schema = request.getfixturevalue("pg_schema")
        setup = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        # No driver named (psycopg 3 is chosen) and a password that trust auth ignores but messages hide.
        found = Backend(
            "postgresql", "postgresql://postgres:s3cret@127.0.0.1:5432/test", setup, schema, tmp_path
        )
    else:
        url = request.getfixturevalue("mariadb_database")
        setup = sa.create_engine(url)
        found = Backend("mariadb", url.replace("mysql+pymysql://", "mysql://"), setup, None, tmp_path)
    try:
        yield found
    finally:
        setup.dispose()


def users_by_name(records: list[SourceRecord]) -> dict[str, LegacyUser]:
    assert all(isinstance(record, LegacyUser) for record in records), records
    return {record.username: record for record in records if isinstance(record, LegacyUser)}


@pytest.mark.parametrize("hash_type", [sa.Text, sa.LargeBinary], ids=["text-hash", "bytes-hash"])
def test_every_user_comes_with_fields_hash_groups_and_enabled_flag(
    backend: Backend, hash_type: type[sa.types.TypeEngine[Any]]
) -> None:
    backend.fill_users(hash_type)
    source = backend.source(
        table=f"{backend.prefix}app_users",
        password_hash_column="password",
        enabled_column="is_active",
        groups_column="roles",
        batch_size=3,
    )
    try:
        users = users_by_name(list(source.records()))
        description = source.describe()
    finally:
        source.close()

    assert description.startswith(f"table {backend.prefix}app_users in ")
    assert "s3cret" not in description
    assert sorted(users) == sorted(person[0] for person in PEOPLE)
    columns = {"id", "username", "email_address", "is_active", "roles", "joined"}
    for index, (name, hashed, fmt, active, _, groups) in enumerate(PEOPLE, start=1):
        user = users[name]
        assert user.source_id == str(index)
        assert user.enabled is active
        assert user.groups == groups
        assert set(user.fields) == columns  # the hash travels only as a PasswordHash
        assert user.fields["email_address"] == f"{name}@example.org"
        # ISO text either way: SQLite keeps the text SQLAlchemy wrote, the servers return a datetime.
        assert datetime.fromisoformat(user.fields["joined"]) == JOINED
        if hashed is None:
            assert user.password_hash is None
        else:
            assert user.password_hash is not None
            assert (user.password_hash.value, user.password_hash.format) == (hashed, fmt)
            assert hashed not in repr(user)


def test_a_query_with_a_join_and_a_where_names_its_own_columns(backend: Backend) -> None:
    backend.fill_users()
    p = backend.prefix
    query = (
        f"SELECT u.id AS uid, u.username AS login, u.email_address AS email, d.department AS dept "
        f"FROM {p}app_users u JOIN {p}departments d ON d.user_id = u.id WHERE u.id <= 3"
        # A LIKE pattern and a colon in a string are the user's SQL, not placeholders.
        " AND u.email_address LIKE '%@example.org' AND 'at 10:00' <> '' ORDER BY u.id"
    )
    source = backend.source(query=query, id_column="uid", username_column="login", groups_column="dept")
    try:
        records = list(source.records())
        assert source.describe().startswith("query in ")
    finally:
        source.close()

    assert [(r.source_id, r.username, r.groups) for r in records if isinstance(r, LegacyUser)] == [
        ("1", "alice", ("physics",)), ("2", "bob", ("biology",)), ("3", "carol", ("physics",)),
    ]  # fmt: skip
    assert isinstance(records[0], LegacyUser)
    assert records[0].fields == {"uid": 1, "login": "alice", "email": "alice@example.org", "dept": "physics"}
    assert records[0].location == "query row 1"


def test_unreadable_rows_become_issues_and_their_neighbours_pass(backend: Backend) -> None:
    messy = sa.Table(
        "messy",
        sa.MetaData(),
        sa.Column("id", sa.String(16)),
        sa.Column("username", sa.String(64)),
        sa.Column("active", sa.String(16)),
        sa.Column("roles", sa.Text),
        schema=backend.schema,
    )
    messy.create(backend.setup)
    rows = [
        ("1", "ok1", "yes", "a"),
        (None, "noid", "yes", None),
        ("3", None, "no", None),
        ("4", "maybe-user", "maybe", None),
        ("5", "badjson", "t", "[oops"),
        ("6", "   ", "1", None),
        ("7", "ok7", "F", '["x", "y"]'),
    ]
    with backend.setup.begin() as connection:
        connection.execute(
            messy.insert(), [dict(zip(("id", "username", "active", "roles"), r, strict=True)) for r in rows]
        )
    source = backend.source(table=f"{backend.prefix}messy", enabled_column="active", groups_column="roles")
    try:
        records = list(source.records())
    finally:
        source.close()

    users = {r.username: r for r in records if isinstance(r, LegacyUser)}
    issues = [r for r in records if isinstance(r, SourceIssue)]
    assert {name: (u.enabled, u.groups) for name, u in users.items()} == {
        "ok1": (True, ("a",)),
        "ok7": (False, ("x", "y")),
    }
    assert all(issue.kind is IssueKind.MALFORMED for issue in issues)
    assert all(re.fullmatch(rf"table {re.escape(backend.prefix)}messy row \d", i.location) for i in issues)
    reasons = {issue.source_id: issue.reason for issue in issues}
    assert reasons[None] == "column id is empty"
    assert reasons["3"] == "column username is empty (id 3)"
    assert reasons["6"] == "column username is empty (id 6)"
    assert reasons["4"].startswith("column active: 'maybe' is not true or false")
    assert reasons["4"].endswith("(id 4)")
    assert reasons["5"].startswith("column roles: '[oops' looks like a JSON array but is not one")
    assert [i.username for i in issues if i.source_id is None] == ["noid"]


def test_a_missing_table_or_column_is_a_config_error_that_lists_what_exists(backend: Backend) -> None:
    backend.fill_users()
    p = backend.prefix
    with pytest.raises(ConfigError) as missing_column:
        backend.source(table=f"{p}app_users", id_column="uid")
    assert str(missing_column.value) == (
        f"[source] id_column = 'uid': no such column in table {p}app_users; columns are: email_address, id, "
        "is_active, joined, password, roles, username"
    )
    no_table = r"^\[source\] table = '.*app_userz': no such table in .*; tables are: app_users, departments$"
    with pytest.raises(ConfigError, match=no_table):
        backend.source(table=f"{p}app_userz")

    # A query's columns are known once it runs: the error comes before its first record.
    source = backend.source(query=f"SELECT id, username AS login FROM {p}app_users", groups_column="teams")
    try:
        with pytest.raises(ConfigError, match=r"^\[source\] username_column = 'username': no such column in "
                           r"query; columns are: id, login$"):  # fmt: skip
            next(source.records())
    finally:
        source.close()

    source = backend.source(query=f"SELEC id FROM {p}app_users")
    try:
        with pytest.raises(ConfigError, match=r"^\[source\] query: the database refused it in .*: .*SELEC"):
            next(source.records())
    finally:
        source.close()


def test_the_source_can_never_write_to_the_legacy_database(backend: Backend) -> None:
    backend.fill_users()
    source = backend.source(query=f"DELETE FROM {backend.prefix}app_users RETURNING id, username")
    try:
        with pytest.raises(ConfigError, match=r"^\[source\] query: the database refused it"):
            list(source.records())
    finally:
        source.close()
    assert backend.count("app_users") == len(PEOPLE)


def test_postgresql_sessions_are_read_only(pg_schema: str, tmp_path: Path) -> None:
    # PostgreSQL refuses a DELETE inside a cursor anyway; a function that writes shows the session's mode.
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE SEQUENCE {pg_schema}.ids")
    query = f"SELECT nextval('{pg_schema}.ids') AS id, 'x' AS username"
    source = SqlTable(SqlSource(type="sql", url=PG_URL, query=query), tmp_path)
    try:
        with pytest.raises(ConfigError, match=r"cannot execute nextval\(\) in a read-only transaction"):
            list(source.records())
    finally:
        source.close()


@pytest.mark.parametrize(
    "url",
    ["postgresql://app:s3cret@127.0.0.1:1/legacy", "mysql://app:s3cret@127.0.0.1:1/legacy"],
)
def test_an_unreachable_server_is_a_config_error_without_the_password(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as unreachable:
        SqlTable(SqlSource(type="sql", url=url, table="users"), tmp_path)
    message = str(unreachable.value)
    assert message.startswith("[source] url = '")
    assert "app:***@127.0.0.1:1/legacy" in message
    assert "cannot connect" in message
    assert "s3cret" not in message


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    for url in ("legacy.db", "sqlite:///legacy.db"):
        with pytest.raises(
            ConfigError, match=r"^\[source\] url = '.*legacy.db': no such file \(.*legacy.db\)$"
        ):
            SqlTable(SqlSource(type="sql", url=url, table="users"), tmp_path)
    assert not (tmp_path / "legacy.db").exists()


def test_a_sqlite_url_is_taken_relative_to_the_plan_file(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir()
    Backend("sqlite", "", sa.create_engine(f"sqlite:///{plan_dir / 'app.db'}"), None, plan_dir).fill_users()
    source = SqlTable(SqlSource(type="sql", url="sqlite:///app.db", table="app_users"), plan_dir)
    try:
        assert source.describe() == f"table app_users in {plan_dir / 'app.db'}"
        assert len(list(source.records())) == len(PEOPLE)
    finally:
        source.close()


def test_postgresql_arrays_and_json_hold_group_names(pg_schema: str, tmp_path: Path) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE TABLE {pg_schema}.people (id int, username text, roles text[], tags jsonb)")
        admin.execute(
            f"INSERT INTO {pg_schema}.people VALUES (1, 'ann', ARRAY['gpu', 'staff'], '[\"a\", \"b\"]'),"
            " (2, 'ben', '{}', 'null'), (3, 'cy', NULL, '\"x\"'), (4, 'di', NULL, '{\"a\": 1}')"
        )
    url = PG_URL
    results = {}
    for column in ("roles", "tags"):
        source = SqlTable(
            SqlSource(type="sql", url=url, table=f"{pg_schema}.people", groups_column=column), tmp_path
        )
        try:
            results[column] = [(r.username, getattr(r, "groups", r)) for r in source.records()]
        finally:
            source.close()
    assert results["roles"] == [("ann", ("gpu", "staff")), ("ben", ()), ("cy", ()), ("di", ())]
    assert results["tags"][:3] == [("ann", ("a", "b")), ("ben", ()), ("cy", ("x",))]
    issue = results["tags"][3][1]
    assert isinstance(issue, SourceIssue)  # a JSON object is not a list of names
    assert issue.reason == "column tags: {'a': 1} is not a list of group names (id 4)"


def test_postgresql_rows_come_through_a_server_side_cursor_in_batches(pg_schema: str, tmp_path: Path) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(
            f"CREATE TABLE {pg_schema}.big AS SELECT g AS id, 'user' || g AS username "
            "FROM generate_series(1, 5000) AS g"
        )
    url = PG_URL
    source = SqlTable(SqlSource(type="sql", url=url, table=f"{pg_schema}.big", batch_size=40), tmp_path)
    try:
        records = source.records()
        first = next(records)
        assert isinstance(first, LegacyUser)
        # While the generator waits, the server holds an open cursor and has sent only a batch of rows.
        fetched = _pg_fetches(pg_schema)
        assert fetched, "no open cursor"
        assert all(0 < count <= 40 for count in fetched), fetched
        for _ in range(45):
            next(records)
        assert _pg_fetches(pg_schema) == [40]  # later round trips fetch exactly batch_size rows
        assert 1 + 45 + sum(1 for _ in records) == 5000
    finally:
        source.close()


def _pg_fetches(schema: str) -> list[int]:
    """Row counts of the cursor FETCHes other sessions are waiting after (the source's session)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = 'test' AND pid <> pg_backend_pid()"
            " AND state = 'idle in transaction'"
        ).fetchall()
    counts = [re.match(r'FETCH FORWARD (\d+) FROM "', str(row[0])) for row in rows]
    return [int(match.group(1)) for match in counts if match]


def test_mariadb_rows_are_streamed_not_buffered(mariadb_database: str, tmp_path: Path) -> None:
    name = mariadb_database.rsplit("/", 1)[1]
    with pymysql.connect(host="127.0.0.1", user="root", database=name, autocommit=True) as admin:
        admin.cursor().execute(
            "CREATE TABLE big AS SELECT seq AS id, CONCAT('user', seq) AS username, REPEAT('x', 400) AS pad"
            " FROM seq_1_to_100000"
        )
    source = SqlTable(SqlSource(type="sql", url=MARIADB_URL.format(database=name), table="big"), tmp_path)
    try:
        records = source.records()
        assert isinstance(next(records), LegacyUser)
        # 40 MB of rows cannot all be in flight: an unbuffered cursor leaves the server still sending.
        with (
            pymysql.connect(host="127.0.0.1", user="root", autocommit=True) as admin,
            admin.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT command, info FROM information_schema.processlist"
                " WHERE db = %s AND id <> connection_id()",
                (name,),
            )
            sessions = cursor.fetchall()
        assert [(command, "FROM big" in (info or "")) for command, info in sessions] == [("Query", True)]
        records.close()
    finally:
        source.close()


@given(
    st.lists(st.text(st.characters(exclude_characters=',"\\[]', exclude_categories=["Cs", "Cc"]), min_size=1))
)
def test_groups_read_the_same_from_comma_separated_text_and_json(names: list[str]) -> None:
    expected = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    assert group_names(",".join(names)) == expected
    assert group_names(json.dumps(names)) == expected
    assert group_names(names) == expected


def test_truthy_and_falsy_values_for_the_enabled_column(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'flags.db'}")
    values = ["1", "0", "t", "f", "TRUE", "False", "yes", "No", "on", "off", 1, 0, "2", "", None]
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE flags (id INTEGER, username TEXT, active)")
        connection.exec_driver_sql(
            "INSERT INTO flags VALUES (?, ?, ?)", [(i, f"u{i}", v) for i, v in enumerate(values)]
        )
    engine.dispose()
    source = SqlTable(SqlSource(type="sql", url="flags.db", table="flags", enabled_column="active"), tmp_path)
    try:
        read = [r.enabled if isinstance(r, LegacyUser) else r.kind for r in source.records()]
    finally:
        source.close()
    assert read == [True, False] * 6 + [IssueKind.MALFORMED] * 3


def test_a_column_whose_type_changes_from_row_to_row_reads_each_value_as_it_is(tmp_path: Path) -> None:
    # SQLite keeps each value's own type whatever the column's: text in one row, a blob or a number in
    # the next. The source reads rows in batches and skips conversions for batches that need none, so
    # batches of 2 put plain and converted rows on both sides of a batch boundary.
    hashed = PEOPLE[0][1]
    assert hashed is not None
    rows: list[tuple[Any, ...]] = [
        (1, "ann", "text", hashed),
        ("2", "bob", 3.5, hashed),
        (" 3 ", "cy", None, hashed),
        (b"4", b"di ", "café".encode(), None),  # a plain row, then one to convert, in one batch
        (5, "ed", b"\xff\xfe", hashed.encode()),  # not UTF-8: hex
        (6, "flo", 7, "   "),
    ]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mixed.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE mixed (id, username, extra, password)")
        connection.exec_driver_sql("INSERT INTO mixed VALUES (?, ?, ?, ?)", rows)
    engine.dispose()
    settings = {"table": "mixed", "password_hash_column": "password", "batch_size": 2}
    source = SqlTable(SqlSource(type="sql", url="mixed.db", **settings), tmp_path)
    try:
        users = [record for record in source.records() if isinstance(record, LegacyUser)]
    finally:
        source.close()

    assert [(u.source_id, u.username, u.location) for u in users] == [
        ("1", "ann", "table mixed row 1"), ("2", "bob", "table mixed row 2"),
        ("3", "cy", "table mixed row 3"), ("4", "di", "table mixed row 4"),
        ("5", "ed", "table mixed row 5"), ("6", "flo", "table mixed row 6"),
    ]  # fmt: skip
    assert [u.fields for u in users] == [
        {"id": 1, "username": "ann", "extra": "text"},
        {"id": "2", "username": "bob", "extra": 3.5},
        {"id": " 3 ", "username": "cy", "extra": None},
        {"id": "4", "username": "di ", "extra": "café"},
        {"id": 5, "username": "ed", "extra": "fffe"},
        {"id": 6, "username": "flo", "extra": 7},
    ]
    assert [u.password_hash and (u.password_hash.value, u.password_hash.format) for u in users] == [
        (hashed, HashFormat.BCRYPT), (hashed, HashFormat.BCRYPT), (hashed, HashFormat.BCRYPT),
        None, (hashed, HashFormat.BCRYPT), None,
    ]  # fmt: skip


def test_the_per_row_builders_make_the_records_the_constructors_make() -> None:
    built = build_legacy_user("7", "ann", {"a": 1}, build_password_hash("x", "bcrypt"), ("g",), False, "here")
    made = LegacyUser("7", "ann", {"a": 1}, PasswordHash("x", "bcrypt"), ("g",), False, "here")
    assert built == made
    assert repr(built) == repr(made)
    with pytest.raises(FrozenInstanceError):
        built.username = "bob"  # type: ignore[misc]
