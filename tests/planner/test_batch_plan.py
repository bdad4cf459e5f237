"""The batch planner plans exactly as the per-record planner: same report, import files, journal, counts.

Each table mixes ordinary users (planned in batches) with every kind of user the batch planner must hand
back to the per-record path, interleaved, so that order, uniqueness and line numbers are exercised too.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.config import load_plan_file
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner import batch
from cognito_migrate.planner.plan import PlanOutcome, make_plan

BCRYPT = "$2b$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
MD5 = "5f4dcc3b5aa765d61d8327deb882cf99"  # a hash neither Cognito nor the trigger takes
ODD_USERS: list[tuple[Any, ...]] = [
    # id, username, email, password, is_active, given_name, roles
    ("  77 ", "Spaced", " Spaced@Example.org ", BCRYPT, 1, "Sp", "staff"),  # text id with padding
    (78, "dup", "dup1@example.org", BCRYPT, 1, "A", ""),
    (79, "DUP", "dup2@example.org", BCRYPT, 1, "B", ""),  # a duplicate where case is ignored
    (80, "dup", "dup3@example.org", BCRYPT, 1, "C", ""),  # a duplicate anywhere
    (81, "bademail", "not-an-email", BCRYPT, 1, "D", ""),  # rejected by the email rule
    (82, "nohash", "nohash@example.org", None, 1, "E", ""),  # no hash: another strategy
    (83, "cost13", "c13@example.org", "$2b$13$" + "x" * 53, 1, "F", ""),  # not importable: jit
    (84, "md5", "md5@example.org", MD5, 1, "G", ""),
    (85, "disabled", "off@example.org", BCRYPT, 0, "H", "gpu"),  # migrates, disabled after
    (86, "comma", "comma@example.org", BCRYPT, 1, "Smith, Jr", "a, b ,a"),  # escaped cell, groups
    (87, "noname", "noname@example.org", BCRYPT, 1, None, ""),  # an attribute left out
    (88, "badflag", "flag@example.org", BCRYPT, "maybe", "I", ""),  # unreadable enabled flag
    (89, "textflag", "tf@example.org", BCRYPT, "yes", "J", ""),  # enabled as text
    (90, None, "nouser@example.org", BCRYPT, 1, "K", ""),  # no username: a source issue
    (91, "with space", "space@example.org", BCRYPT, 1, "L", ""),  # username rule
    (92, "bytes", "bytes@example.org", BCRYPT, 1, b"\xc3\xa9", ""),  # a value that needs converting
    (93, "intname", "int@example.org", BCRYPT, 1, 12345, ""),  # an integer attribute value
    (94, "newline", "nl@example.org", BCRYPT, 1, "two\nlines", ""),  # a CSV cell Cognito refuses
    (95, "json", "json@example.org", BCRYPT, 1, "M", '["x", "y"]'),  # groups as a JSON array
    (96, "long", "long@example.org", BCRYPT, 1, "n" * 600, ""),  # long: the full length rules
    (97, "Straße", "strasse@example.org", BCRYPT, 1, "N", ""),  # casefold differs from lower
    (98, "STRASSE", "strasse2@example.org", BCRYPT, 1, "O", ""),
    (
        99,
        "argon",
        "argon@example.org",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        1,
        "P",
        "",
    ),
]


def users_table(path: Path, ordinary: int, seed: int) -> Path:
    rows: list[tuple[Any, ...]] = [
        (i, f"user{i:05d}", f"User{i:05d}@Example.org", BCRYPT, int(i % 9 != 0), f"Given {i}",
         "staff,gpu" if i % 7 == 0 else "")
        for i in range(1000, 1000 + ordinary)
    ]  # fmt: skip
    shuffled = random.Random(seed)
    for odd in ODD_USERS:
        rows.insert(shuffled.randrange(len(rows) + 1), odd)
    rows.append((2000 + ordinary, "user01000", "again@example.org", BCRYPT, 1, "Q", ""))  # duplicate, late
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE users (id, username TEXT, email TEXT, password TEXT, is_active, given_name,"
            " roles TEXT)"
        )
        conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return path


def plan_file(directory: Path, db: Path, local: LocalCognito, pool_id: str) -> Path:
    directory.mkdir()
    path = directory / "migration.toml"
    path.write_text(
        f"""
[source]
type = "sql"
url = "sqlite:///{db}"
table = "users"
password_hash_column = "password"
enabled_column = "is_active"
groups_column = "roles"
batch_size = 97
[target]
pool_id = "{pool_id}"
region = "{local.region}"
endpoint_url = "{local.endpoint_url}"
[attributes]
email = {{ field = "email", transforms = ["strip", "lower"] }}
email_verified = {{ literal = "true" }}
given_name = "given_name"
"""
    )
    return path


def plan_both_ways(local: LocalCognito, tmp_path: Path, db: Path, pool: dict[str, Any]) -> list[PlanOutcome]:
    pool_id = local.client("cognito-idp").create_user_pool(PoolName="batch", **pool)["UserPool"]["Id"]
    outcomes = []
    for use_batches in (True, False):
        path = plan_file(tmp_path / f"batch-{use_batches}", db, local, pool_id)
        outcomes.append(make_plan(load_plan_file(path), settings=local.settings(), batch=use_batches))
    return outcomes


def assert_same_plan(batched: PlanOutcome, per_record: PlanOutcome) -> None:
    names = sorted(path.name for path in per_record.plan_dir.iterdir())
    assert sorted(path.name for path in batched.plan_dir.iterdir()) == names
    for name in names:
        if name != "plan.json":
            assert (batched.plan_dir / name).read_bytes() == (per_record.plan_dir / name).read_bytes(), name
    manifests = [json.loads((o.plan_dir / "plan.json").read_text()) for o in (batched, per_record)]
    for key in ("source", "counts", "estimate", "files", "groups", "pool"):
        assert manifests[0][key] == manifests[1][key], key
    journals = [
        sqlite3.connect(Path(manifest["journal"]))
        .execute("SELECT source_id, username, strategy, state, reason FROM users ORDER BY rowid")
        .fetchall()
        for manifest in manifests
    ]
    assert journals[0] == journals[1]
    assert batched.examples == per_record.examples


SCHEMA = [{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}]


@pytest.mark.parametrize(
    "pool",
    [
        {"AutoVerifiedAttributes": ["email"], "Schema": SCHEMA},
        {
            "AutoVerifiedAttributes": ["email"],
            "Schema": SCHEMA,
            "AliasAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
        },
        {
            "AutoVerifiedAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": True},
            "Schema": [*SCHEMA, {"Name": "given_name", "Required": True, "Mutable": True}],
        },
        {"AutoVerifiedAttributes": ["phone_number"], "Schema": SCHEMA},  # no user can be imported
    ],
    ids=["plain", "email-alias", "required-name", "phone-verified"],
)
def test_batches_plan_exactly_as_record_by_record(
    local_cognito: LocalCognito, tmp_path: Path, pool: dict[str, Any]
) -> None:
    db = users_table(tmp_path / "users.sqlite", 600, seed=len(str(pool)))
    batched, per_record = plan_both_ways(local_cognito, tmp_path, db, pool)

    assert_same_plan(batched, per_record)
    assert batched.counts.decisions["reject"] >= 5  # the odd users did reach the rules


@pytest.fixture
def fast_run_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many users each run the batch planner made had (the others went record by record)."""
    sizes: list[int] = []
    split = batch.BatchPlanner.split

    def counting_split(self: batch.BatchPlanner, columns: Any) -> Any:
        for item in split(self, columns):
            if isinstance(item, batch.FastRun):
                sizes.append(len(item.source_ids))
            yield item

    monkeypatch.setattr(batch.BatchPlanner, "split", counting_split)
    return sizes


def test_most_users_are_planned_in_batches(
    local_cognito: LocalCognito, tmp_path: Path, fast_run_sizes: list[int]
) -> None:
    db = users_table(tmp_path / "users.sqlite", 600, seed=1)
    pool = {"AutoVerifiedAttributes": ["email"], "Schema": SCHEMA}
    batched, per_record = plan_both_ways(local_cognito, tmp_path, db, pool)

    assert_same_plan(batched, per_record)
    assert sum(fast_run_sizes) > 500


def test_a_disagreement_turns_batches_off_and_the_plan_stays_right(
    local_cognito: LocalCognito,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As if the batch path had a bug: its decisions' reasons differ from the per-record path's.
    fast_users = batch.BatchPlanner._fast_users

    def wrong(self: batch.BatchPlanner, columns: Any) -> Any:
        found = fast_users(self, columns)
        if found is None:
            return None
        position_of, fast = found
        wrong_reasons = [dataclasses.replace(decision, reason="wrong") for decision in fast.decisions]
        return position_of, dataclasses.replace(fast, decisions=wrong_reasons)

    monkeypatch.setattr(batch.BatchPlanner, "_fast_users", wrong)
    db = users_table(tmp_path / "users.sqlite", 300, seed=2)
    batched, per_record = plan_both_ways(
        local_cognito, tmp_path, db, {"AutoVerifiedAttributes": ["email"], "Schema": SCHEMA}
    )

    assert_same_plan(batched, per_record)
    assert "batch planning disagreed with the per-record planner" in caplog.text


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_batches_plan_a_server_database_exactly_as_record_by_record(
    local_cognito: LocalCognito,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    server: str,
    fast_run_sizes: list[int],
) -> None:
    # Typed columns, as real app databases have them: the driver's own booleans and integers.
    import sqlalchemy as sa

    url: str = request.getfixturevalue("pg_database" if server == "postgresql" else "mariadb_database")
    textual = [
        odd
        for odd in ODD_USERS
        if all(not isinstance(v, bytes | int) or i in (0, 4) for i, v in enumerate(odd))
    ]
    rows = [(1000 + i, f"user{i:05d}", f"User{i:05d}@Example.org", BCRYPT, i % 9 != 0, f"Given {i}",
             "staff,gpu" if i % 7 == 0 else "") for i in range(400)]  # fmt: skip
    for position, odd in enumerate(textual):
        identifier = odd[0] if isinstance(odd[0], int) else 5000 + position
        rows.insert(position * 13, (identifier, odd[1], odd[2], odd[3], odd[4] == 1, odd[5], odd[6]))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(200), email VARCHAR(200),"
            " password VARCHAR(200), is_active BOOLEAN, given_name VARCHAR(700), roles VARCHAR(200))"
        ))  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO users VALUES (:i, :u, :e, :p, :a, :g, :r)"),
            [dict(zip("iuepagr", row, strict=True)) for row in rows],
        )
    engine.dispose()
    pool_id = local_cognito.client("cognito-idp").create_user_pool(
        PoolName="batch", AutoVerifiedAttributes=["email"], Schema=SCHEMA
    )["UserPool"]["Id"]
    outcomes = []
    for use_batches in (True, False):
        path = plan_file(
            tmp_path / f"batch-{use_batches}", tmp_path / "unused.sqlite", local_cognito, pool_id
        )
        path.write_text(path.read_text().replace(f"sqlite:///{tmp_path / 'unused.sqlite'}", url))
        outcomes.append(make_plan(load_plan_file(path), settings=local_cognito.settings(), batch=use_batches))

    assert_same_plan(*outcomes)
    assert outcomes[0].counts.decisions["migrate"] > 350
    assert sum(fast_run_sizes) > 350


@pytest.mark.parametrize("without_hash", ["reset-required", "temporary-password"])
def test_users_without_a_usable_hash_plan_the_same_in_batches(
    local_cognito: LocalCognito, tmp_path: Path, without_hash: str, fast_run_sizes: list[int]
) -> None:
    # Every third user has no hash, every third an md5 one Cognito cannot import: RESET_REQUIRED rows in
    # their own import file (batched), or admin users with temporary passwords (record by record).
    db = tmp_path / "users.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id, username, email, password, is_active, given_name, roles)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(i, f"user{i}", f"user{i}@example.org", [BCRYPT, None, MD5][i % 3], int(i % 10 != 0),
              f"Given {i}", "") for i in range(300)],
        )  # fmt: skip
    pool_id = local_cognito.client("cognito-idp").create_user_pool(
        PoolName="batch", AutoVerifiedAttributes=["email"], Schema=SCHEMA
    )["UserPool"]["Id"]
    outcomes = []
    for use_batches in (True, False):
        path = plan_file(tmp_path / f"batch-{use_batches}", db, local_cognito, pool_id)
        path.write_text(path.read_text() + f'[strategy]\nwithout_hash = "{without_hash}"\n')
        outcomes.append(make_plan(load_plan_file(path), settings=local_cognito.settings(), batch=use_batches))

    assert_same_plan(*outcomes)
    strategies = outcomes[0].counts.by_strategy
    if without_hash == "reset-required":
        assert strategies["csv-import"] == 300
        assert sum(fast_run_sizes) > 250  # the RESET_REQUIRED users too
    else:
        assert strategies["admin"] == 200
        assert 90 <= sum(fast_run_sizes) <= 100  # only those with their hash
