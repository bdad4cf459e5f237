"""The ``jupyterhub`` source on databases built by JupyterHub's and NativeAuthenticator's own ORM.

The oracle is the portal's own SQL, run with ``sqlite3`` on the same file with ``current_date`` replaced
by the date the source is told is today: the source must select exactly the users that SQL selects, for
the default rules and for each rule changed or turned off, on SQLite, PostgreSQL and MariaDB alike.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.config.models import JupyterHubSource
from cognito_migrate.demo.sample_hub import demo_password, write_sample_hub
from cognito_migrate.errors import ConfigError
from cognito_migrate.passwords.formats import HashFormat
from cognito_migrate.sources import open_source
from cognito_migrate.sources.hub_selection import days_back, sqlite_date_shift
from cognito_migrate.sources.jupyterhub import JupyterHubDatabase
from cognito_migrate.sources.records import IssueKind, LegacyUser, SourceIssue, SourceRecord

PORTAL_SQL = """
SELECT t1.name, t1.created, t1.last_activity, t2.email FROM users AS t1
INNER JOIN users_info AS t2 ON t1.name == t2.username
WHERE t1.last_activity > date(current_date, '-1 year')
  AND (t1.last_activity > date(t1.created, '+1 day') OR t1.created > date(current_date, '-1 month'))
  AND (t1.created > date(current_date, '-1 month') OR (has_2fa = 1 AND is_authorized = 1))
ORDER BY t1.last_activity ASC;
"""

# Each variant: the source's settings, and the portal SQL edited to say the same thing.
ACTIVE_RULE = "t1.last_activity > date(current_date, '-1 year')"
ABANDONED_RULE = (
    "(t1.last_activity > date(t1.created, '+1 day') OR t1.created > date(current_date, '-1 month'))"
)
SECURE_RULE = "(has_2fa = 1 AND is_authorized = 1)"
VARIANTS: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {
    "portal defaults": ({}, []),
    "activity rule off": ({"last_active_within_days": False}, [(ACTIVE_RULE, "1 = 1")]),
    "active within 100 days": ({"last_active_within_days": 100}, [("'-1 year'", "'-100 days'")]),
    "active within 2 years": ({"last_active_within_days": 730}, [("'-1 year'", "'-2 years'")]),
    "abandoned kept": ({"drop_abandoned": False}, [(ABANDONED_RULE, "1 = 1")]),
    "no 2FA needed": ({"require_2fa": False}, [(SECURE_RULE, "(is_authorized = 1)")]),
    "no authorization needed": ({"require_authorized": False}, [(SECURE_RULE, "(has_2fa = 1)")]),
    "new for 7 days": ({"new_account_days": 7}, [("'-1 month'", "'-7 days'")]),
    "new for 3 months": ({"new_account_days": 90}, [("'-1 month'", "'-3 months'")]),
    "nobody is new": ({"new_account_days": 0}, [("t1.created > date(current_date, '-1 month')", "0")]),
}  # fmt: skip

# "Today" for the sources and the SQL: the end of a 31-day month (one month back is 2026-03-03, not
# 2026-03-01) and a leap day (one year back is 2027-03-01).
NOW_MONTH_END = datetime(2026, 3, 31, 12, 0, 0)
NOW_LEAP_DAY = datetime(2028, 2, 29, 6, 30, 0)


@dataclass(frozen=True)
class HubUser:
    name: str
    created: datetime | None
    last_activity: datetime | None
    has_2fa: bool | None = True
    authorized: bool | None = True
    admin: bool = False
    groups: tuple[str, ...] = ()
    in_hub: bool = True
    info_rows: int = 1


def sqlite_cutoffs(now: datetime) -> tuple[datetime, datetime]:
    """Midnight one year and one month before ``now``, as SQLite itself computes them."""
    with sqlite3.connect(":memory:") as db:
        year, month = db.execute(
            "SELECT date(?, '-1 year'), date(?, '-1 month')", (now.date().isoformat(),) * 2
        ).fetchone()
    return datetime.fromisoformat(year), datetime.fromisoformat(month)


def hub_users(now: datetime) -> list[HubUser]:
    """Named cases, then a grid of creation dates × activity dates × 2FA/authorization around every
    boundary the rules have (all to the second, so MySQL's DATETIME holds them exactly)."""
    year_ago, month_ago = sqlite_cutoffs(now)
    second = timedelta(seconds=1)
    users = [
        HubUser("recent", now - timedelta(days=400), now - timedelta(days=1), groups=("physics",)),
        HubUser("active-364", now - timedelta(days=800), now - timedelta(days=364)),
        HubUser("active-366", now - timedelta(days=800), now - timedelta(days=366)),
        HubUser("never-active", now - timedelta(days=800), None),
        HubUser("abandoned", now - timedelta(days=200), now - timedelta(days=200) + timedelta(hours=2)),
        HubUser("fresh", now - timedelta(days=5), now - timedelta(days=5, hours=-1), False, False),
        HubUser("no2fa", now - timedelta(days=300), now - timedelta(days=2), has_2fa=False),
        HubUser("unauthorized", now - timedelta(days=300), now - timedelta(days=2), authorized=False),
        HubUser(
            "boss", now - timedelta(days=900), now - timedelta(hours=3), admin=True, groups=("staff", "gpu")
        ),
        HubUser("root", now - timedelta(days=900), now - timedelta(hours=3), admin=True),
        HubUser("hubonly", now - timedelta(days=100), now - timedelta(days=3), in_hub=True, info_rows=0),
        HubUser("infoonly", None, None, in_hub=False),
        HubUser("twice", now - timedelta(days=100), now - timedelta(days=3), info_rows=2),
    ]
    created_choices = [
        None,
        month_ago - second,
        month_ago,
        now - timedelta(hours=2),
        now - timedelta(days=45, hours=-23, minutes=-30),  # 23:30 of a day, old
        year_ago - timedelta(days=3),
    ]
    flags = [(True, True), (True, False), (False, True), (False, False), (None, None)]
    for c_index, created in enumerate(created_choices):
        activities: list[datetime | None] = [None, year_ago - second, year_ago, now - timedelta(minutes=5)]
        if created is not None:
            next_midnight = datetime.combine(created.date() + timedelta(days=1), datetime.min.time())
            activities += [created + timedelta(minutes=20), next_midnight - second, next_midnight]
        for a_index, active in enumerate(activities):
            for f_index, (has_2fa, authorized) in enumerate(flags):
                users.append(HubUser(f"g{c_index}{a_index}{f_index}", created, active, has_2fa, authorized))
    return users


@cache
def hashed(name: str) -> bytes:
    """One bcrypt hash per user name (cost 4: fast), the same in every database built."""
    return bcrypt.hashpw(f"{name}-pw".encode(), bcrypt.gensalt(4))


def build_hub(url: str, now: datetime) -> None:
    """The hub database at ``url``, written by JupyterHub's ORM as a running hub would write it."""
    import nativeauthenticator.orm as native  # registers users_info on JupyterHub's metadata
    from jupyterhub import orm

    session = orm.new_session_factory(url)()
    try:
        groups: dict[str, orm.Group] = {}
        for user in hub_users(now):
            if user.in_hub:
                hub_user = orm.User(name=user.name, admin=user.admin, last_activity=user.last_activity)
                hub_user.created = user.created
                hub_user.groups = [groups.setdefault(g, orm.Group(name=g)) for g in user.groups]
                session.add(hub_user)
            for _ in range(user.info_rows if user.in_hub else 1):
                session.add(
                    native.UserInfo(
                        username=user.name,
                        password=hashed(user.name),
                        email=f"{user.name}@example.org",
                        is_authorized=user.authorized,
                        has_2fa=user.has_2fa,
                    )
                )
        session.commit()
        # The ORM fills defaults for None (created: now, flags: false); old hubs hold NULLs there.
        users = hub_users(now)
        no_created = [user.name for user in users if user.in_hub and user.created is None]
        session.execute(sa.update(orm.User).where(orm.User.name.in_(no_created)).values(created=None))
        no_flags = [user.name for user in users if user.has_2fa is None]
        session.execute(
            sa.update(native.UserInfo)
            .where(native.UserInfo.username.in_(no_flags))
            .values(has_2fa=None, is_authorized=None)
        )
        session.commit()
    finally:
        session.close()
        session.get_bind().dispose()


def portal_selection(path: Path, now: datetime, edits: list[tuple[str, str]]) -> set[str]:
    sql = PORTAL_SQL
    for old, new in edits:
        assert old in sql, old
        sql = sql.replace(old, new)
    sql = sql.replace("current_date", f"'{now.date().isoformat()}'")
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute(sql)}


def read(database: str, base_dir: Path, now: datetime, **settings: Any) -> list[SourceRecord]:
    config = JupyterHubSource(type="jupyterhub", database=database, **settings)
    source = JupyterHubDatabase(config, base_dir, now=now)
    try:
        return list(source.records())
    finally:
        source.close()


def selected(records: list[SourceRecord]) -> set[str]:
    return {record.username for record in records if isinstance(record, LegacyUser)}


@pytest.fixture(scope="module", params=[NOW_MONTH_END, NOW_LEAP_DAY], ids=["month-end", "leap-day"])
def sqlite_hub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, datetime]:
    now: datetime = request.param
    path = tmp_path_factory.mktemp("hub") / "jupyterhub.sqlite"
    build_hub(f"sqlite:///{path}", now)
    return path, now


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_selection_equals_the_portal_sql(sqlite_hub: tuple[Path, datetime], variant: str) -> None:
    path, now = sqlite_hub
    settings, edits = VARIANTS[variant]
    expected = portal_selection(path, now, edits)
    records = read(path.name, path.parent, now, **settings)
    assert selected(records) == expected
    # Everyone else is accounted for: excluded with a reason, or reported as half present.
    hub_names = {user.name for user in hub_users(now)}
    issues = {
        r.username: r for r in records if isinstance(r, SourceIssue) and r.kind is not IssueKind.MALFORMED
    }
    assert set(issues) == hub_names - expected
    assert {name for name, issue in issues.items() if issue.kind is IssueKind.INCOMPLETE} == {
        "hubonly",
        "infoonly",
    }
    assert all(issue.reason for issue in issues.values())


def test_turning_rules_off_changes_the_selection_as_expected(sqlite_hub: tuple[Path, datetime]) -> None:
    path, now = sqlite_hub
    default = selected(read(path.name, path.parent, now))
    assert {"recent", "active-364", "fresh", "boss", "root", "twice"} <= default
    assert not {"active-366", "never-active", "abandoned", "no2fa", "unauthorized"} & default
    changes = {
        "last_active_within_days": (False, {"active-366"}),
        "drop_abandoned": (False, {"abandoned"}),
        "require_2fa": (False, {"no2fa"}),
        "require_authorized": (False, {"unauthorized"}),
    }
    for setting, (value, gained) in changes.items():
        now_selected = selected(read(path.name, path.parent, now, **{setting: value}))
        assert gained <= now_selected - default, setting
        assert default <= now_selected, setting  # turning a rule off never loses anyone


def test_users_carry_email_hash_groups_admin_group_and_flags(sqlite_hub: tuple[Path, datetime]) -> None:
    path, now = sqlite_hub
    records = read(path.name, path.parent, now)
    users = {r.username: r for r in records if isinstance(r, LegacyUser)}
    boss = users["boss"]
    assert boss.groups == ("gpu", "staff", "admin")
    assert users["root"].groups == ("admin",)
    assert users["recent"].groups == ("physics",)
    assert boss.fields == {
        "name": "boss",
        "email": "boss@example.org",
        "created": (now - timedelta(days=900)).isoformat(),
        "last_activity": (now - timedelta(hours=3)).isoformat(),
        "admin": True,
        "is_authorized": True,
        "has_2fa": True,
    }
    assert boss.password_hash is not None
    assert boss.password_hash.format == HashFormat.BCRYPT
    assert bcrypt.checkpw(b"boss-pw", boss.password_hash.value.encode())
    assert boss.source_id.isdigit()
    assert boss.location == f"table users id {boss.source_id}"
    # A new account may not be authorized yet: it moves, but disabled, as it could not sign in either.
    assert users["fresh"].enabled is False
    assert boss.enabled is True

    renamed = read(path.name, path.parent, now, admin_group="hub-admins")
    assert {r.username: r.groups for r in renamed if isinstance(r, LegacyUser)}["root"] == ("hub-admins",)
    no_admin_group = read(path.name, path.parent, now, admin_group=False)
    assert {r.username: r.groups for r in no_admin_group if isinstance(r, LegacyUser)}["root"] == ()


def test_left_out_and_half_present_users_say_why(sqlite_hub: tuple[Path, datetime]) -> None:
    path, now = sqlite_hub
    records = read(path.name, path.parent, now)
    issues = {r.username: r for r in records if isinstance(r, SourceIssue)}
    year_ago, month_ago = sqlite_cutoffs(now)

    assert issues["active-366"].kind is IssueKind.EXCLUDED
    assert issues["active-366"].reason == (
        f"inactive: last active {(now - timedelta(days=366)).isoformat(sep=' ')}, before {year_ago.date()} "
        "(last_active_within_days = 365)"
    )
    assert issues["never-active"].reason.startswith("inactive: never active")
    assert issues["abandoned"].reason.startswith("abandoned: not used after the day it was created")
    assert f"before {month_ago.date()} (new_account_days = 30)" in issues["abandoned"].reason
    assert issues["no2fa"].reason.startswith("no 2FA set up (require_2fa = true); not a new account")
    assert issues["unauthorized"].reason.startswith("not authorized (require_authorized = true)")

    hubonly = issues["hubonly"]
    assert (hubonly.kind, hubonly.location) == (IssueKind.INCOMPLETE, f"table users id {hubonly.source_id}")
    assert hubonly.reason == "hub user without a NativeAuthenticator users_info row: no password, no email"
    infoonly = issues["infoonly"]
    assert infoonly.kind is IssueKind.INCOMPLETE
    assert infoonly.source_id is not None
    assert infoonly.source_id.startswith("users_info:")
    assert "without a JupyterHub user" in infoonly.reason

    # A repeated users_info row is reported; the user still moves with the first row.
    repeated = [r for r in records if isinstance(r, SourceIssue) and r.kind is IssueKind.MALFORMED]
    assert [
        (r.username, r.reason.startswith("users_info row repeats the user name 'twice'")) for r in repeated
    ] == [("twice", True)]


def test_reading_never_changes_the_hub_database(sqlite_hub: tuple[Path, datetime]) -> None:
    path, now = sqlite_hub
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    read(str(path), Path("/nonexistent"), now)  # an absolute path ignores the plan file's folder
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_the_same_hub_on_a_database_server_selects_the_same_users(
    server: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url: str = request.getfixturevalue("pg_database" if server == "postgresql" else "mariadb_database")
    now = NOW_MONTH_END
    build_hub(url, now)
    sqlite_path = tmp_path / "jupyterhub.sqlite"
    build_hub(f"sqlite:///{sqlite_path}", now)

    def outcome(records: list[SourceRecord]) -> set[tuple[Any, ...]]:
        return {
            (r.username, r.groups, r.enabled, r.fields["email"], r.password_hash)
            if isinstance(r, LegacyUser)
            else (r.username, r.kind)
            for r in records
        }

    for variant in ("portal defaults", "no 2FA needed", "nobody is new"):
        settings, edits = VARIANTS[variant]
        records = read(url, tmp_path, now, **settings)
        assert selected(records) == portal_selection(sqlite_path, now, edits), variant
        assert outcome(records) == outcome(read(sqlite_path.name, tmp_path, now, **settings)), variant


def test_the_demo_hub_reads_without_errors(tmp_path: Path) -> None:
    now = datetime(2026, 6, 15, 9, 0, 0)
    path = write_sample_hub(tmp_path / "demo" / "jupyterhub.sqlite", count=12, now=now)
    records = read("demo/jupyterhub.sqlite", tmp_path, now)
    kinds = {r.username: r.kind if isinstance(r, SourceIssue) else "user" for r in records}
    assert IssueKind.MALFORMED not in kinds.values()
    assert (
        kinds["ada"] == kinds["grace"] == kinds["hopper13"] == kinds["newbie"] == kinds["bad-email"] == "user"
    )
    assert kinds["old.timer"] == kinds["drive-by"] == kinds["no2fa"] == kinds["pending"] == IssueKind.EXCLUDED
    assert kinds["hubonly"] == kinds["infoonly"] == IssueKind.INCOMPLETE
    users = {r.username: r for r in records if isinstance(r, LegacyUser)}
    assert users["ada"].groups == ("staff", "admin")
    hopper = users["hopper13"].password_hash
    assert hopper is not None
    assert hopper.format == HashFormat.BCRYPT
    assert bcrypt.checkpw(demo_password("hopper13").encode(), hopper.value.encode())
    assert selected(records) == portal_selection(path, now, [])


def test_a_database_that_is_not_a_native_authenticator_hub_is_a_config_error(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "plain.sqlite") as db:
        db.execute("CREATE TABLE accounts (id INTEGER)")
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:
        db.execute(
            "CREATE TABLE users (id INTEGER, name TEXT, admin BOOLEAN, created DATETIME,"
            " last_activity DATETIME)"
        )
    with pytest.raises(ConfigError, match=r"^\[source\] database = '.*plain.sqlite': no users table"):
        read("plain.sqlite", tmp_path, NOW_MONTH_END)
    with pytest.raises(
        ConfigError, match=r"no users_info table: this JupyterHub does not use NativeAuthenticator"
    ):
        read("hub.sqlite", tmp_path, NOW_MONTH_END)
    with pytest.raises(ConfigError, match=r"^\[source\] database = 'missing.sqlite': no such file"):
        read("missing.sqlite", tmp_path, NOW_MONTH_END)
    assert not (tmp_path / "missing.sqlite").exists()


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31)),
    st.integers(min_value=-40, max_value=40),
    st.integers(min_value=-400, max_value=400),
)
def test_calendar_arithmetic_matches_sqlite(day: date, months: int, days: int) -> None:
    with sqlite3.connect(":memory:") as db:
        (expected,) = db.execute(
            "SELECT date(?, ? || ' months', ? || ' days')", (day.isoformat(), months, days)
        ).fetchone()
        (year, month) = db.execute(
            "SELECT date(?, '-1 year'), date(?, '-1 month')", (day.isoformat(),) * 2
        ).fetchone()
    assert sqlite_date_shift(day, months=months, days=days).isoformat() == expected
    assert days_back(day, 365).isoformat() == year
    assert days_back(day, 30).isoformat() == month


def test_a_plan_file_written_by_init_opens_the_hub_next_to_it(tmp_path: Path) -> None:
    write_sample_hub(tmp_path / "portal" / "jupyterhub.sqlite", count=11)
    plan = write_example(
        tmp_path / "portal" / "migration.toml",
        "jupyterhub",
        database="jupyterhub.sqlite",
        pool_id="us-east-1_AbCdEf123",
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
    )
    with open_source(load_plan_file(plan)) as source:
        assert source.describe() == f"JupyterHub database {tmp_path / 'portal' / 'jupyterhub.sqlite'}"
        assert "ada" in selected(list(source.records()))
