"""``apply`` with the admin API, end to end against the local Cognito: passwords, groups, resumability."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cognito_migrate.apply import apply_plan
from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.run import create_demo_pool
from cognito_migrate.demo.sample_hub import write_sample_hub
from cognito_migrate.journal import Journal, UserState, default_journal_path
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.results import Outcome
from cognito_migrate.strategies.csv_import.job import JobTiming

FAST = JobTiming(poll_interval=0.05, log_poll_interval=0.05, log_timeout=5.0)


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


def planned_hub(local: LocalCognito, tmp_path: Path) -> Path:
    """The sample portal, with a temporary password for the user whose hash was lost."""
    pool_id = create_demo_pool(local.client("cognito-idp"))
    hub = write_sample_hub(tmp_path / "jupyterhub.sqlite")
    plan_file = write_example(
        tmp_path / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local.region, endpoint_url=local.endpoint_url,
    )  # fmt: skip
    plan_file.write_text(
        plan_file.read_text().replace(
            'without_hash = "reset-required"', 'without_hash = "temporary-password"'
        )
    )
    make_plan(load_plan_file(plan_file), settings=local.settings())
    return plan_file


def planned_table(local: LocalCognito, tmp_path: Path, users: int) -> Path:
    """``users`` users without a hash, each in group ``lab``, to be created with permanent passwords."""
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT, roles TEXT)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, 'lab')",
            ((i, f"member{i:04d}", f"member{i:04d}@example.org") for i in range(1, users + 1)),
        )
    pool_id = local.client("cognito-idp").create_user_pool(
        PoolName="admin-table", AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]  # fmt: skip
    plan_file = tmp_path / "migration.toml"
    plan_file.write_text(
        f"""
[source]
type = "sql"
url = "sqlite:///{db}"
table = "users"
groups_column = "roles"
[target]
pool_id = "{pool_id}"
region = "{local.region}"
endpoint_url = "{local.endpoint_url}"
[attributes]
email = "email"
email_verified = {{ literal = "true" }}
[strategy]
without_hash = "permanent-password"
"""
    )
    make_plan(load_plan_file(plan_file), settings=local.settings())
    return plan_file


def test_generated_passwords_need_a_credentials_file_before_anything_is_sent(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    assert main(["apply", "--plan", str(plan_file)]) == 2
    assert "add --credentials FILE" in capsys.readouterr().err
    pool_id = load_plan_file(plan_file).target.pool_id
    assert local_cognito.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"] == []


def test_an_admin_user_gets_a_temporary_password_only_in_the_credentials_file(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    pool_id = load_plan_file(plan_file).target.pool_id
    credentials = tmp_path / "credentials.csv"

    result = apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST, credentials=credentials)

    assert result.data["admin"] == {"migrated": 1, "skipped": 0, "failed": 0}
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    rows = list(csv.DictReader(credentials.read_text().splitlines()))
    (row,) = [r for r in rows if r["username"] == "lost-hash"]
    idp = local_cognito.client("cognito-idp")
    user = idp.admin_get_user(UserPoolId=pool_id, Username="lost-hash")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="lost-hash")["Groups"]
    assert [g["GroupName"] for g in groups] == ["teaching"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="check", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    answer = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "lost-hash", "PASSWORD": row["password"]},
    )  # fmt: skip
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    with Journal.open(default_journal_path(plan_file)) as journal:
        record = journal.get_users(["10"])["10"]
        assert record.state == UserState.MIGRATED
        sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
        assert record.cognito_sub == sub
        for event in journal.history("10"):  # the password is nowhere in the journal
            assert row["password"] not in (event.reason or "")
    sub_map = Path(result.data["sub_map"])
    assert stat.S_IMODE(sub_map.stat().st_mode) == 0o600
    assert f"10,lost-hash,{sub}" in sub_map.read_text()


def test_an_apply_killed_mid_run_resumes_and_creates_nobody_twice(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    users = 150
    plan_file = planned_table(local_cognito, tmp_path, users)
    pool_id = load_plan_file(plan_file).target.pool_id
    credentials = tmp_path / "credentials.csv"
    child = subprocess.Popen(  # the CLI in its own process, slowed by a low quota so it can be killed
        [sys.executable, "-c", "from cognito_migrate.cli import run; run()", "apply",
         "--plan", str(plan_file), "--credentials", str(credentials), "--quota", "UserUpdate=20"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with Journal.open(default_journal_path(plan_file)) as journal:
                if journal.counts()[UserState.MIGRATED] >= 30:
                    break
            assert time.monotonic() < deadline, "apply never got going"
            time.sleep(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with Journal.open(default_journal_path(plan_file)) as journal:
        assert journal.counts()[UserState.MIGRATED] < users

    result = apply_plan(plan_file, settings=local_cognito.settings(), credentials=credentials)

    assert result.outcome is Outcome.OK
    idp = local_cognito.client("cognito-idp")
    names = [u["Username"] for page in idp.get_paginator("list_users").paginate(UserPoolId=pool_id)
             for u in page["Users"]]  # fmt: skip
    assert len(names) == len(set(names)) == users
    in_lab = idp.get_paginator("list_users_in_group").paginate(UserPoolId=pool_id, GroupName="lab")
    members = [u for page in in_lab for u in page["Users"]]
    assert len(members) == users
    with Journal.open(default_journal_path(plan_file)) as journal:
        assert journal.counts()[UserState.MIGRATED] == users
    # Every user's last credentials line is the password Cognito has: the last one signs in.
    last = {row["username"]: row["password"] for row in csv.DictReader(credentials.read_text().splitlines())}
    assert len(last) == users
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="check", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    for name in ("member0001", f"member{users:04d}"):
        answer = idp.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": last[name]},
        )  # fmt: skip
        assert "AuthenticationResult" in answer


def test_a_user_already_in_the_pool_is_updated_when_the_plan_says_so(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 3)
    pool_id = load_plan_file(plan_file).target.pool_id
    idp = local_cognito.client("cognito-idp")
    idp.admin_create_user(
        UserPoolId=pool_id, Username="member0002", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "old@example.org"}],
    )  # fmt: skip
    plan_file.write_text(plan_file.read_text() + 'on_existing = "update"\n')
    make_plan(load_plan_file(plan_file), settings=local_cognito.settings())

    result = apply_plan(plan_file, settings=local_cognito.settings(), credentials=tmp_path / "c.csv")

    assert result.data["admin"] == {"migrated": 3, "skipped": 0, "failed": 0}
    updated = idp.admin_get_user(UserPoolId=pool_id, Username="member0002")
    attributes = {a["Name"]: a["Value"] for a in updated["UserAttributes"]}
    assert attributes["email"] == "member0002@example.org"
    assert attributes["custom:legacy_id"] == "2"
    assert updated["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # an existing user's password is left alone
    credentials = (tmp_path / "c.csv").read_text()
    assert "member0001" in credentials
    assert "member0002" not in credentials
    with Journal.open(default_journal_path(plan_file)) as journal:
        assert journal.get_users(["2"])["2"].state == UserState.MIGRATED


def test_permanent_passwords_from_a_trusted_file_sign_in_and_need_no_credentials_file(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 2)
    pool_id = load_plan_file(plan_file).target.pool_id
    supplied = tmp_path / "passwords.csv"
    supplied.write_text("source_id,password\n1,Known-Password-1\n2,Other-Password-2\n")
    supplied.chmod(0o644)
    assert main(["apply", "--plan", str(plan_file), "--passwords", str(supplied)]) == 2
    assert "readable by others (mode 644); chmod 600 it first" in capsys.readouterr().err

    supplied.chmod(0o600)
    assert main(["apply", "--plan", str(plan_file), "--passwords", str(supplied)]) == 0
    idp = local_cognito.client("cognito-idp")
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="check", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    for name, password in (("member0001", "Known-Password-1"), ("member0002", "Other-Password-2")):
        assert idp.admin_get_user(UserPoolId=pool_id, Username=name)["UserStatus"] == "CONFIRMED"
        answer = idp.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )  # fmt: skip
        assert "AuthenticationResult" in answer
