"""``plan`` end to end against the local Cognito: decisions with reasons, the saved plan, nothing written."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.run import create_demo_pool
from cognito_migrate.demo.sample_hub import write_sample_hub
from cognito_migrate.errors import ConfigError
from cognito_migrate.journal import Journal, UserState, default_journal_path
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.planner.pool_reader import read_pool_profile
from cognito_migrate.planner.saved import load_manifest, stale_reasons

REPORT_KEYS = {"source_id", "username", "decision", "strategy", "state", "reasons"}


def hub_plan(local: LocalCognito, tmp_path: Path, *, without_hash: str = "temporary-password") -> Path:
    hub = write_sample_hub(tmp_path / "jupyterhub.sqlite")
    pool_id = create_demo_pool(local.client("cognito-idp"))
    path = write_example(
        tmp_path / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local.region, endpoint_url=local.endpoint_url,
    )  # fmt: skip
    path.write_text(
        path.read_text().replace('without_hash = "reset-required"', f'without_hash = "{without_hash}"')
    )
    return path


def report(plan_dir: Path) -> dict[str, dict[str, Any]]:
    lines = (plan_dir / "users.jsonl").read_text().splitlines()
    return {entry["username"]: entry for entry in map(json.loads, lines)}


def test_a_jupyterhub_plan_uses_all_three_strategies_with_reasons(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    config = load_plan_file(hub_plan(local_cognito, tmp_path))
    outcome = make_plan(config, settings=local_cognito.settings())
    users = report(outcome.plan_dir)

    assert len(users) == 24  # every source user has a line, whatever happens to them
    assert all(set(entry) >= REPORT_KEYS for entry in users.values())
    ada = users["ada"]
    assert (ada["decision"], ada["strategy"], ada["password"], ada["algorithm"]) == (
        "migrate", "csv-import", "hash", "BCRYPT",
    )  # fmt: skip
    assert "cost 10" in ada["reasons"][0]
    assert "admin" in ada["groups"]  # hub admins join the admin group
    hopper = users["hopper13"]
    assert (hopper["strategy"], hopper["password"]) == ("jit", "jit")
    assert "bcrypt cost 13 is above Cognito's import limit of 12" in hopper["reasons"][0]
    lost = users["lost-hash"]
    assert (lost["strategy"], lost["password"]) == ("admin", "temporary")
    assert users["bad-email"]["decision"] == "reject"
    assert users["bad-email"]["reasons"][0].startswith("email.invalid: email 'bad-email@'")
    assert users["old.timer"]["decision"] == "skip"
    assert users["old.timer"]["state"] == "skipped"
    assert users["hubonly"]["reasons"][0].startswith("source.incomplete")

    # The import file: Cognito's header plus password_hash, one row per CSV-imported user, 0600.
    (file,) = outcome.files
    path = outcome.plan_dir / file.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.reader(path.read_text().splitlines()))
    header = local_cognito.client("cognito-idp").get_csv_header(UserPoolId=config.target.pool_id)["CSVHeader"]
    assert rows[0] == [*header, "password_hash"]
    assert len(rows) - 1 == file.users == 15
    line = users["ada"]["import_line"]
    assert rows[line][header.index("cognito:username")] == "ada"
    assert rows[line][-1].startswith("$2b$10$")

    # The journal holds every user with the same state as the report.
    with Journal.open(default_journal_path(config.path or tmp_path)) as journal:
        assert journal.counts()[UserState.PLANNED] == 17
        assert journal.counts()[UserState.REJECTED] == 3
        assert journal.counts()[UserState.SKIPPED] == 4
        assert journal.get_user(users["hopper13"]["source_id"]).strategy == "jit"  # type: ignore[union-attr]


def test_plan_changes_nothing_in_the_pool(local_cognito: LocalCognito, tmp_path: Path) -> None:
    config = load_plan_file(hub_plan(local_cognito, tmp_path))
    make_plan(config, settings=local_cognito.settings())
    idp = local_cognito.client("cognito-idp")
    assert idp.list_users(UserPoolId=config.target.pool_id)["Users"] == []
    assert idp.list_groups(UserPoolId=config.target.pool_id)["Groups"] == []
    assert idp.list_user_import_jobs(UserPoolId=config.target.pool_id, MaxResults=10)["UserImportJobs"] == []


def test_users_already_in_the_pool_follow_on_existing(local_cognito: LocalCognito, tmp_path: Path) -> None:
    path = hub_plan(local_cognito, tmp_path)
    config = load_plan_file(path)
    local_cognito.client("cognito-idp").admin_create_user(
        UserPoolId=config.target.pool_id, Username="GRACE", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "grace@example.org"}],
    )  # fmt: skip
    users = report(make_plan(config, settings=local_cognito.settings()).plan_dir)
    # The pool is case-insensitive, so GRACE is grace.
    assert users["grace"]["decision"] == "skip"
    assert "already in the pool" in users["grace"]["reasons"][0]

    path.write_text(path.read_text().replace('on_existing = "skip"', 'on_existing = "fail"'))
    users = report(make_plan(load_plan_file(path), settings=local_cognito.settings()).plan_dir)
    assert users["grace"]["decision"] == "reject"


def test_the_saved_plan_refuses_tampering_and_notices_changes(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    path = hub_plan(local_cognito, tmp_path)
    config = load_plan_file(path)
    outcome = make_plan(config, settings=local_cognito.settings())
    manifest = load_manifest(outcome.plan_dir)
    idp = local_cognito.client("cognito-idp")
    profile = read_pool_profile(idp, config.target.pool_id, region=local_cognito.region)
    assert stale_reasons(manifest, config_checksum=config.checksum, profile=profile) == []

    # The plan file changed: apply must refuse this plan.
    path.write_text(path.read_text() + "\n# edited\n")
    assert stale_reasons(manifest, config_checksum=load_plan_file(path).checksum, profile=profile) == [
        "the plan file (migration.toml) changed since planning"
    ]
    # The pool changed (a new custom attribute).
    idp.add_custom_attributes(
        UserPoolId=config.target.pool_id,
        CustomAttributes=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )
    changed = read_pool_profile(idp, config.target.pool_id, region=local_cognito.region)
    reasons = stale_reasons(manifest, config_checksum=config.checksum, profile=changed)
    assert any("changed since planning" in r and config.target.pool_id in r for r in reasons)

    # The source changed: the next plan's source fingerprint differs.
    with sqlite3.connect(tmp_path / "jupyterhub.sqlite") as db:
        db.execute("UPDATE users_info SET email = 'ada@new.example.org' WHERE username = 'ada'")
    again = make_plan(load_plan_file(path), settings=local_cognito.settings(), plan_dir=tmp_path / "p2")
    assert load_manifest(again.plan_dir)["source"]["fingerprint"] != manifest["source"]["fingerprint"]

    # A file of the saved plan edited by hand is refused.
    import_file = outcome.plan_dir / outcome.files[0].name
    import_file.write_text(import_file.read_text().replace("ada", "eve"))
    with pytest.raises(ConfigError, match="changed or missing since planning"):
        load_manifest(outcome.plan_dir)


def test_plan_json_is_stable_and_exits_1_when_users_are_rejected(
    local_cognito: LocalCognito,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = hub_plan(local_cognito, tmp_path)
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)
    code = main(["--json", "plan", "--plan", str(path)])
    document = json.loads(capsys.readouterr().out)
    assert code == 1  # three users are rejected
    assert set(document) == {"schema_version", "command", "outcome", "result"}
    assert (document["command"], document["outcome"]) == ("plan", "partial")
    result = document["result"]
    assert set(result) == {
        "plan_dir", "pool_id", "run_id", "users", "decisions", "strategies", "passwords", "algorithms",
        "reasons", "import_files", "estimate",
    }  # fmt: skip
    assert result["decisions"] == {"migrate": 17, "reject": 3, "skip": 4}
    assert result["reasons"] == {"source.excluded": 4, "source.incomplete": 2, "email.invalid": 1}
    assert set(result["estimate"]) == {"calls", "seconds", "minimum_seconds", "import_jobs", "import_files",
                                       "mau", "notes"}  # fmt: skip
    assert result["estimate"]["mau"] == 1  # the admin-created user; CSV imports do not count


def test_a_sql_source_with_bad_records_rejects_them_by_rule_while_neighbours_pass(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT)")
        conn.executemany("INSERT INTO users VALUES (?, ?, ?)", [
            (1, "good.one", "one@example.org"),
            (2, "has space", "two@example.org"),
            (3, "dup", "three@example.org"),
            (4, "DUP", "four@example.org"),
            (5, "noemail", None),
        ])  # fmt: skip
    pool_id = local_cognito.client("cognito-idp").create_user_pool(
        PoolName=f"sql-{uuid.uuid4().hex[:6]}", AutoVerifiedAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]  # fmt: skip
    path = write_example(tmp_path / "migration.toml", "sql", database=f"sqlite:///{db}", pool_id=pool_id,
                         region=local_cognito.region, endpoint_url=local_cognito.endpoint_url)  # fmt: skip
    path.write_text(path.read_text().replace('password_hash_column = "password"', ""))
    users = report(make_plan(load_plan_file(path), settings=local_cognito.settings()).plan_dir)
    assert users["good.one"]["decision"] == "migrate"
    assert users["good.one"]["password"] == "reset-required"
    assert users["has space"]["reasons"][0].startswith("username.whitespace")
    assert users["dup"]["decision"] == "migrate"  # the first one wins
    assert users["DUP"]["reasons"][0].startswith("username.duplicate-in-source")
    assert "3" in users["DUP"]["reasons"][0]  # names the first one's source id
    assert users["noemail"]["reasons"][0].startswith("auto-verified.none")
    assert os.stat(tmp_path / "migration.plan" / "users.jsonl").st_mode & 0o077 == 0


def test_plan_takes_quota_overrides_and_names_a_bad_one(
    local_cognito: LocalCognito,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = hub_plan(local_cognito, tmp_path)
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)
    assert main(["plan", "--plan", str(path), "--quota", "UserListt=20"]) == 2
    assert "did you mean 'UserList'?" in capsys.readouterr().err
    assert main(["--json", "plan", "--plan", str(path), "--quota", "UserList=20"]) == 1  # 3 rejected users
    assert json.loads(capsys.readouterr().out)["result"]["decisions"]["migrate"] == 17
