"""``verify`` end to end against the local Cognito: a clean migration has no difference, and every change
made to the pool by hand afterwards is listed with its user."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.apply import apply_plan
from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.run import create_demo_pool
from cognito_migrate.demo.sample_hub import write_sample_hub
from cognito_migrate.journal import Journal, Transition, UserState, default_journal_path
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.results import Outcome
from cognito_migrate.strategies.csv_import.job import JobTiming

FAST = JobTiming(poll_interval=0.05, log_poll_interval=0.05, log_timeout=5.0)


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def sample_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample portal's database, written once (its bcrypt hashes take seconds to make)."""
    return write_sample_hub(tmp_path_factory.mktemp("hub") / "jupyterhub.sqlite")


def migrated_hub(
    local: LocalCognito, tmp_path: Path, sample_hub: Path, *, without_hash: str = "reset-required"
) -> Path:
    """The sample portal planned and applied: CSV import (bcrypt and reset-required), or with
    ``without_hash = "temporary-password"`` its hashless user through the admin API."""
    pool_id = create_demo_pool(local.client("cognito-idp"))
    shutil.copy(sample_hub, tmp_path / "jupyterhub.sqlite")
    plan_file = write_example(
        tmp_path / "migration.toml", "jupyterhub", database="jupyterhub.sqlite", pool_id=pool_id,
        region=local.region, endpoint_url=local.endpoint_url,
    )  # fmt: skip
    text = plan_file.read_text().replace(
        'without_hash = "reset-required"', f'without_hash = "{without_hash}"'
    )
    plan_file.write_text(text)
    make_plan(load_plan_file(plan_file), settings=local.settings())
    result = apply_plan(
        plan_file, settings=local.settings(), timing=FAST, credentials=tmp_path / "credentials.csv"
    )
    assert result.outcome is Outcome.PARTIAL  # the just-in-time user waits for the trigger; 3 were rejected
    return plan_file


def verify_json(
    plan_file: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["--json", "verify", "--plan", str(plan_file), *extra])
    envelope = json.loads(capsys.readouterr().out)
    assert envelope["command"] == "verify"
    return code, envelope["result"]


def test_a_fresh_migration_has_no_difference_and_each_later_change_is_listed_with_its_user(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = migrated_hub(local_cognito, tmp_path, sample_hub)
    pool_id = load_plan_file(plan_file).target.pool_id
    idp = local_cognito.client("cognito-idp")
    capsys.readouterr()
    assert main(["verify", "--plan", str(plan_file)]) == 0
    assert "no differences" in capsys.readouterr().out
    code, result = verify_json(plan_file, capsys)
    assert (code, result["differences"]) == (0, 0)
    assert (result["compared"], result["pool_users"]) == (
        16,
        16,
    )  # every migrated user, attribute by attribute

    with Journal.open(default_journal_path(plan_file)) as journal:
        ids = {record.username: record.source_id for record in journal.users()}
        rejected = {record.source_id for record in journal.users(UserState.REJECTED)}
    assert rejected  # the sample has users the plan refused: they must not be reported missing

    idp.admin_delete_user(UserPoolId=pool_id, Username="grace")
    idp.admin_update_user_attributes(
        UserPoolId=pool_id, Username="ada", UserAttributes=[{"Name": "email", "Value": "someone@else.org"}]
    )
    idp.admin_disable_user(UserPoolId=pool_id, Username="user012")
    idp.admin_remove_user_from_group(UserPoolId=pool_id, Username="ada", GroupName="staff")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="user013", GroupName="admin")
    idp.admin_reset_user_password(UserPoolId=pool_id, Username="user014")  # imported with its hash
    idp.admin_create_user(
        UserPoolId=pool_id, Username="stranger", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:legacy_id", "Value": "9999"}],
    )  # fmt: skip
    idp.admin_create_user(UserPoolId=pool_id, Username="not-ours", MessageAction="SUPPRESS")  # no legacy id
    assert ids["bad-email"] in rejected
    idp.admin_create_user(
        UserPoolId=pool_id, Username="bad-email-by-hand", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:legacy_id", "Value": ids["bad-email"]}],
    )  # fmt: skip
    out = tmp_path / "differences.jsonl"

    code, result = verify_json(plan_file, capsys, "--out", str(out))

    assert code == 1
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    found = {(d["kind"], d["username"], d["attribute"]) for d in lines}
    assert found == {
        ("missing", "grace", None),
        ("attribute", "ada", "email"),
        ("enabled", "user012", None),
        ("group-missing", "ada", "staff"),
        ("group-extra", "user013", "admin"),
        ("status", "user014", None),
        ("unknown", "stranger", "custom:legacy_id"),
        ("unexpected", "bad-email", None),
    }
    by_user = {d["username"]: d for d in lines}
    assert by_user["grace"]["source_id"] == ids["grace"]
    assert by_user["user012"] == by_user["user012"] | {"expected": True, "actual": False}
    assert by_user["user014"]["actual"] == "RESET_REQUIRED"
    email = next(d for d in lines if d["kind"] == "attribute")
    assert (email["expected"], email["actual"]) == ("ada@example.org", "someone@else.org")
    # Rejected users are not expected in the pool, and not reported missing; one the pool has anyway is.
    assert {d["source_id"] for d in lines} & rejected == {ids["bad-email"]}
    assert by_user["bad-email"]["pool_username"] == "bad-email-by-hand"
    assert "hopper13" not in by_user  # just in time: absent until the first sign-in
    assert result["differences"] == len(lines) == 8
    assert result["by_kind"]["missing"] == 1

    capsys.readouterr()
    assert main(["verify", "--plan", str(plan_file), "--show", "3"]) == 1
    text = capsys.readouterr().out
    assert "8 differences" in text
    assert f"user {ids['grace']} (grace): the journal says migrated; the pool has no such user" in text
    assert "… and 5 more: pass --out FILE to list them all" in text


def test_admin_users_with_a_temporary_password_verify_in_either_status(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = migrated_hub(local_cognito, tmp_path, sample_hub, without_hash="temporary-password")
    pool_id = load_plan_file(plan_file).target.pool_id
    idp = local_cognito.client("cognito-idp")
    assert (
        idp.admin_get_user(UserPoolId=pool_id, Username="lost-hash")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    )
    assert verify_json(plan_file, capsys)[1]["differences"] == 0

    # The user signs in and changes the password: CONFIRMED is as good.
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="lost-hash", Password="Changed-Pw-2026!", Permanent=True
    )
    assert verify_json(plan_file, capsys)[1]["differences"] == 0


def test_a_just_in_time_user_is_compared_once_in_the_pool_and_an_unfinished_one_is_listed(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = migrated_hub(local_cognito, tmp_path, sample_hub)
    pool_id = load_plan_file(plan_file).target.pool_id
    idp = local_cognito.client("cognito-idp")
    (staged,) = (
        json.loads(line) for line in (plan_file.parent / "migration.plan" / "jit-users.jsonl").open()
    )
    assert staged["username"] == "hopper13"
    # What the trigger does at the first sign-in: the user, CONFIRMED, with the staged attributes
    # (its PostAuthentication step adds the groups).
    idp.admin_create_user(
        UserPoolId=pool_id, Username="hopper13", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": n, "Value": v} for n, v in staged["attributes"].items()],
    )  # fmt: skip
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="hopper13", Password="Signed-In-2026!", Permanent=True
    )
    for group in staged["groups"]:
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username="hopper13", GroupName=group)
    assert verify_json(plan_file, capsys)[1]["differences"] == 0

    idp.admin_remove_user_from_group(UserPoolId=pool_id, Username="hopper13", GroupName="gpu")
    code, result = verify_json(plan_file, capsys)
    assert code == 1
    assert [(d["kind"], d["username"], d["attribute"]) for d in result["first"]] == [
        ("group-missing", "hopper13", "gpu")
    ]

    # A user apply failed is not migrated: listed with the journal's reason.
    with Journal.open(default_journal_path(plan_file)) as journal:
        run_id = journal.start_run("test")
        journal.mark_submitted(run_id, [staged["source_id"]])
        journal.transition(run_id, [Transition(staged["source_id"], UserState.FAILED, "Cognito said no")])
    code, result = verify_json(plan_file, capsys)
    assert code == 1
    (unfinished,) = (d for d in result["first"] if d["kind"] == "unfinished")
    assert unfinished["username"] == "hopper13"
    assert "the journal says failed (Cognito said no); the pool has it as hopper13" in unfinished["message"]


def test_a_pool_cloned_into_another_verifies_without_a_false_difference(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pool → clone → migrate → verify: Cognito's own values (booleans, phones, sub) compare equal."""
    idp = local_cognito.client("cognito-idp")
    source_id = idp.create_user_pool(
        PoolName="verify-source",
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    idp.create_group(UserPoolId=source_id, GroupName="staff", Precedence=1)
    people = [
        ("alice", [("email", "Alice@Example.org"), ("email_verified", "true"), ("given_name", "Alice"),
                   ("custom:team", "blue")]),
        ("bob", [("email", "bob@example.org"), ("email_verified", "true"), ("phone_number", "+441234567890"),
                 ("phone_number_verified", "false"), ("birthdate", "1990-02-03")]),
        ("carol", [("email", "carol@example.org"), ("email_verified", "true")]),
    ]  # fmt: skip
    for name, attributes in people:
        idp.admin_create_user(
            UserPoolId=source_id, Username=name, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": n, "Value": v} for n, v in attributes],
        )  # fmt: skip
    idp.admin_add_user_to_group(UserPoolId=source_id, Username="alice", GroupName="staff")
    idp.admin_disable_user(UserPoolId=source_id, Username="carol")
    # The new home: `pool clone` with what the old pool could not change (case-insensitive usernames, a
    # custom attribute for the legacy id), its settings and groups copied.
    capsys.readouterr()
    code = main([
        "--json", "--endpoint-url", local_cognito.endpoint_url, "--region", local_cognito.region,
        "pool", "clone", source_id, "--name", "verify-target", "--case-insensitive",
        "--add-custom", "legacy_id:String:mutable",
    ])  # fmt: skip
    assert code == 0
    target_id = json.loads(capsys.readouterr().out)["result"]["pool_id"]
    target = idp.describe_user_pool(UserPoolId=target_id)["UserPool"]
    assert target["UsernameConfiguration"] == {"CaseSensitive": False}
    assert [g["GroupName"] for g in idp.list_groups(UserPoolId=target_id)["Groups"]] == ["staff"]
    plan_file = tmp_path / "migration.toml"
    plan_file.write_text(
        f'[source]\ntype = "cognito"\npool_id = "{source_id}"\n'
        f'endpoint_url = "{local_cognito.endpoint_url}"\n'
        f'[target]\npool_id = "{target_id}"\nregion = "{local_cognito.region}"\n'
        f'endpoint_url = "{local_cognito.endpoint_url}"\n'
    )
    assert main(["plan", "--plan", str(plan_file)]) == 0
    assert apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST).outcome is Outcome.OK

    code, result = verify_json(plan_file, capsys)

    assert (code, result["differences"], result["compared"]) == (0, 0, 3), result["first"]
    # A change in the source after the migration is a difference too.
    idp.admin_update_user_attributes(
        UserPoolId=source_id, Username="bob", UserAttributes=[{"Name": "given_name", "Value": "Robert"}]
    )
    code, result = verify_json(plan_file, capsys)
    assert code == 1
    (difference,) = result["first"]
    what = (difference["username"], difference["attribute"], difference["expected"], difference["actual"])
    assert what == ("bob", "given_name", "Robert", None)

    # A user added to the source after the migration is listed as not planned.
    idp.admin_create_user(UserPoolId=source_id, Username="dave", MessageAction="SUPPRESS")
    code, result = verify_json(plan_file, capsys)
    assert result["by_kind"] == {"not-planned": 1, "attribute": 1}
    assert any(d["username"] == "dave" and d["kind"] == "not-planned" for d in result["first"])


def test_a_user_the_pool_had_before_keeps_its_own_status_and_groups_after_an_update(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT, roles TEXT)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, 'lab')",
            [(1, "member1", "member1@example.org"), (2, "member2", "member2@example.org")],
        )
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName="verify-update", AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]  # fmt: skip
    # member2 was there before the migration: FORCE_CHANGE_PASSWORD, and in a group of its own.
    idp.admin_create_user(
        UserPoolId=pool_id, Username="member2", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "old@example.org"}],
    )  # fmt: skip
    idp.create_group(UserPoolId=pool_id, GroupName="vip")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="member2", GroupName="vip")
    plan_file = tmp_path / "migration.toml"
    plan_file.write_text(
        f'[source]\ntype = "sql"\nurl = "sqlite:///{db}"\ntable = "users"\ngroups_column = "roles"\n'
        f'[target]\npool_id = "{pool_id}"\nregion = "{local_cognito.region}"\n'
        f'endpoint_url = "{local_cognito.endpoint_url}"\n'
        '[attributes]\nemail = "email"\nemail_verified = { literal = "true" }\n'
        '[strategy]\nmethod = "admin"\nwithout_hash = "permanent-password"\non_existing = "update"\n'
    )
    make_plan(load_plan_file(plan_file), settings=local_cognito.settings())
    result = apply_plan(plan_file, settings=local_cognito.settings(), credentials=tmp_path / "c.csv")
    assert result.data["admin"]["migrated"] == 2

    code, result = verify_json(plan_file, capsys)

    assert (code, result["differences"], result["compared"]) == (0, 0, 2), result["first"]
    # The source's own groups are still checked for it.
    idp.admin_remove_user_from_group(UserPoolId=pool_id, Username="member2", GroupName="lab")
    code, result = verify_json(plan_file, capsys)
    assert [(d["kind"], d["username"], d["attribute"]) for d in result["first"]] == [
        ("group-missing", "member2", "lab")
    ]
