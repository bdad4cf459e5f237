"""``rollback RUN`` through the CLI against the local Cognito: only the run's own creations go."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
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
from cognito_migrate.journal import (
    Journal,
    PlannedUser,
    RunStatus,
    Transition,
    UserState,
    default_journal_path,
)
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.strategies.csv_import.job import JobTiming

FAST = JobTiming(poll_interval=0.05, log_poll_interval=0.05, log_timeout=5.0)


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


class _Terminal(io.StringIO):
    """Typed answers on a stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def planned_table(
    local: LocalCognito, tmp_path: Path, users: int, *, before_plan: tuple[str, ...] = ()
) -> Path:
    """``users`` users (member0001…) created through the admin API with permanent passwords; the pool
    already has the users named in ``before_plan`` (made by hand), which apply updates."""
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?)",
            ((i, f"member{i:04d}", f"member{i:04d}@example.org") for i in range(1, users + 1)),
        )
    idp = local.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName="rollback", AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]  # fmt: skip
    for name in before_plan:
        idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
    plan_file = tmp_path / "migration.toml"
    plan_file.write_text(
        f"""
[source]
type = "sql"
url = "sqlite:///{db}"
table = "users"
[target]
pool_id = "{pool_id}"
region = "{local.region}"
endpoint_url = "{local.endpoint_url}"
[attributes]
email = "email"
email_verified = {{ literal = "true" }}
[strategy]
without_hash = "permanent-password"
on_existing = "update"
"""
    )
    make_plan(load_plan_file(plan_file), settings=local.settings())
    return plan_file


def applied(plan_file: Path, tmp_path: Path) -> int:
    """Apply through the CLI; the apply run's number."""
    assert main(["apply", "--plan", str(plan_file), "--credentials", str(tmp_path / "credentials.csv")]) == 0
    with Journal.open(default_journal_path(plan_file)) as journal:
        return max(run.run_id for run in journal.runs() if run.command == "apply")


def pool_names(local: LocalCognito, plan_file: Path) -> set[str]:
    pool_id = load_plan_file(plan_file).target.pool_id
    pages = local.client("cognito-idp").get_paginator("list_users").paginate(UserPoolId=pool_id)
    return {user["Username"] for page in pages for user in page["Users"]}


def states(plan_file: Path) -> dict[str, tuple[UserState, str | None]]:
    with Journal.open(default_journal_path(plan_file)) as journal:
        return {user.source_id: (user.state, user.reason) for user in journal.users()}


def test_only_the_users_the_run_created_are_deleted(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 4, before_plan=("member0002",))
    run = applied(plan_file, tmp_path)
    pool_id = load_plan_file(plan_file).target.pool_id
    local_cognito.client("cognito-idp").admin_create_user(
        UserPoolId=pool_id, Username="stranger", MessageAction="SUPPRESS"
    )
    assert pool_names(local_cognito, plan_file) == {"member0001", "member0002", "member0003", "member0004",
                                                    "stranger"}  # fmt: skip
    capsys.readouterr()

    assert main(["rollback", str(run), "--plan", str(plan_file), "--yes"]) == 0

    # member0002 was in the pool before: apply only updated it, so it stays, as does the stranger.
    assert pool_names(local_cognito, plan_file) == {"member0002", "stranger"}
    after = states(plan_file)
    for source_id in ("1", "3", "4"):
        assert after[source_id] == (UserState.ROLLED_BACK, f"deleted by rollback of run {run}")
    assert after["2"][0] == UserState.MIGRATED
    out = capsys.readouterr().out
    assert "3 users deleted" in out
    assert "member0002 (2): already in the pool before" in out

    # Running it again finds nothing left to delete and deletes nothing.
    assert main(["rollback", str(run), "--plan", str(plan_file), "--yes"]) == 0
    assert "Nothing to delete" in capsys.readouterr().out
    assert pool_names(local_cognito, plan_file) == {"member0002", "stranger"}


def test_dry_run_lists_and_deletes_nothing(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 3)
    run = applied(plan_file, tmp_path)
    capsys.readouterr()

    assert main(["--json", "rollback", str(run), "--plan", str(plan_file), "--dry-run"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["result"]["to_delete"] == 3
    assert sorted(document["result"]["usernames"]) == ["member0001", "member0002", "member0003"]
    assert pool_names(local_cognito, plan_file) == {"member0001", "member0002", "member0003"}
    assert {state for state, _ in states(plan_file).values()} == {UserState.MIGRATED}


def test_without_a_terminal_or_yes_nothing_is_deleted_and_a_no_deletes_nothing_either(
    local_cognito: LocalCognito,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 2)
    run = applied(plan_file, tmp_path)
    pool_id = load_plan_file(plan_file).target.pool_id
    capsys.readouterr()

    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # piped input is no confirmation
    assert main(["rollback", str(run), "--plan", str(plan_file)]) == 2
    assert "pass --yes" in capsys.readouterr().err

    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert main(["rollback", str(run), "--plan", str(plan_file)]) == 1
    assert f"Delete 2 users from {pool_id}? [y/N]" in capsys.readouterr().err
    assert pool_names(local_cognito, plan_file) == {"member0001", "member0002"}

    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    assert main(["rollback", str(run), "--plan", str(plan_file)]) == 0
    assert pool_names(local_cognito, plan_file) == set()


def test_a_user_recreated_by_hand_is_left_alone_and_one_deleted_by_hand_counts_as_rolled_back(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 3)
    run = applied(plan_file, tmp_path)
    pool_id = load_plan_file(plan_file).target.pool_id
    idp = local_cognito.client("cognito-idp")
    idp.admin_delete_user(UserPoolId=pool_id, Username="member0002")
    idp.admin_delete_user(UserPoolId=pool_id, Username="member0003")
    recreated = idp.admin_create_user(  # the same name and even the same legacy id, but another sub
        UserPoolId=pool_id, Username="member0003", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:legacy_id", "Value": "3"}],
    )["User"]  # fmt: skip
    capsys.readouterr()

    assert main(["rollback", str(run), "--plan", str(plan_file), "--yes"]) == 1

    assert pool_names(local_cognito, plan_file) == {"member0003"}
    sub = next(a["Value"] for a in recreated["Attributes"] if a["Name"] == "sub")
    still = idp.admin_get_user(UserPoolId=pool_id, Username="member0003")
    assert next(a["Value"] for a in still["UserAttributes"] if a["Name"] == "sub") == sub
    out = capsys.readouterr().out
    assert "1 user left alone" in out
    assert "member0003 (3): the pool's 'member0003' has sub" in out
    after = states(plan_file)
    assert after["1"] == (UserState.ROLLED_BACK, f"deleted by rollback of run {run}")
    assert after["2"][0] == UserState.ROLLED_BACK
    assert "not in the pool any more" in (after["2"][1] or "")
    assert after["3"][0] == UserState.MIGRATED


def test_rolled_back_users_are_planned_and_migrated_again(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 2)
    first = applied(plan_file, tmp_path)
    assert main(["rollback", str(first), "--plan", str(plan_file), "--yes"]) == 0
    assert pool_names(local_cognito, plan_file) == set()

    make_plan(load_plan_file(plan_file), settings=local_cognito.settings())
    assert {state for state, _ in states(plan_file).values()} == {UserState.PLANNED}
    second = applied(plan_file, tmp_path)

    assert pool_names(local_cognito, plan_file) == {"member0001", "member0002"}
    assert {state for state, _ in states(plan_file).values()} == {UserState.MIGRATED}
    # The first run's users belong to the second run now: rolling back the first deletes nobody.
    assert main(["rollback", str(first), "--plan", str(plan_file), "--yes"]) == 0
    assert pool_names(local_cognito, plan_file) == {"member0001", "member0002"}
    assert main(["rollback", str(second), "--plan", str(plan_file), "--yes"]) == 0
    assert pool_names(local_cognito, plan_file) == set()


def test_csv_imported_users_are_matched_by_their_legacy_id(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id = create_demo_pool(idp)
    hub = write_sample_hub(tmp_path / "jupyterhub.sqlite")
    plan_file = write_example(
        tmp_path / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local_cognito.region, endpoint_url=local_cognito.endpoint_url,
    )  # fmt: skip
    make_plan(load_plan_file(plan_file), settings=local_cognito.settings())
    apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST)
    with Journal.open(default_journal_path(plan_file)) as journal:
        run = max(r.run_id for r in journal.runs() if r.command == "apply")
        imported = {u.username for u in journal.users(UserState.MIGRATED) if u.cognito_sub is None}
        ada = next(u.source_id for u in journal.users(UserState.MIGRATED) if u.username == "ada")
    assert "ada" in imported
    assert len(imported) > 5
    idp.admin_delete_user(UserPoolId=pool_id, Username="ada")
    idp.admin_create_user(UserPoolId=pool_id, Username="ada", MessageAction="SUPPRESS")  # no legacy id
    capsys.readouterr()

    assert main(["rollback", str(run), "--plan", str(plan_file), "--yes"]) == 1

    assert pool_names(local_cognito, plan_file) & imported == {"ada"}
    assert "has no custom:legacy_id" in capsys.readouterr().out
    after = states(plan_file)
    assert after[ada][0] == UserState.MIGRATED
    assert sum(state == UserState.ROLLED_BACK for state, _ in after.values()) == len(imported) - 1


def test_only_apply_and_sweep_runs_can_be_rolled_back(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_table(local_cognito, tmp_path, 1)
    assert main(["rollback", "1", "--plan", str(plan_file), "--yes"]) == 2
    assert "run 1 is a plan run" in capsys.readouterr().err
    assert main(["rollback", "99", "--plan", str(plan_file), "--yes"]) == 2
    assert "has no run 99" in capsys.readouterr().err


def test_ctrl_c_stops_the_rollback_and_running_it_again_finishes(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    users = 40
    plan_file = planned_table(local_cognito, tmp_path, users)
    run = applied(plan_file, tmp_path)
    child = subprocess.Popen(  # slowed by a low quota so that it can be interrupted half-way
        [sys.executable, "-c", "from cognito_migrate.cli import run; run()", "rollback", str(run),
         "--plan", str(plan_file), "--yes", "--quota", "UserUpdate=8"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(pool_names(local_cognito, plan_file)) > users - 5:
            assert time.monotonic() < deadline, "rollback never got going"
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=30) == 3
    finally:
        if child.poll() is None:
            child.kill()
    left = pool_names(local_cognito, plan_file)
    assert 0 < len(left) < users
    rolled_back = [sid for sid, (state, _) in states(plan_file).items() if state == UserState.ROLLED_BACK]
    assert len(rolled_back) == users - len(left)  # every deleted user was journaled before the exit

    assert main(["rollback", str(run), "--plan", str(plan_file), "--yes"]) == 0
    assert pool_names(local_cognito, plan_file) == set()
    assert {state for state, _ in states(plan_file).values()} == {UserState.ROLLED_BACK}


def journaled_sweep(tmp_path: Path, pool_id: str) -> tuple[Path, int]:
    """A plan file and a journal in which sweep run 2 imported user b (job import-1) and found user a
    signed in through the trigger; nothing is asked of a pool."""
    plan_file = tmp_path / "migration.toml"
    plan_file.write_text(
        f"""
[source]
type = "sql"
url = "sqlite:///{tmp_path / "app.sqlite"}"
table = "users"
[target]
pool_id = "{pool_id}"
region = "us-east-1"
endpoint_url = "http://127.0.0.1:9"
"""
    )
    with Journal.open(default_journal_path(plan_file)) as journal:
        plan = journal.start_run("plan")
        journal.add_users(plan, [PlannedUser("a", "alice", "jit"), PlannedUser("b", "bob", "jit")])
        journal.finish_run(plan, RunStatus.COMPLETED)
        sweep = journal.start_run("sweep")
        journal.record_import_job(sweep, "import-1", "us-east-1_swept", "sweep", None, "jit.csv", 1)
        journal.mark_submitted(sweep, ["a", "b"])
        journal.transition(sweep, [
            Transition("a", UserState.MIGRATED, "signed in through the migrate-user trigger"),
            Transition("b", UserState.MIGRATED, "import job import-1 line 2: Imported; must reset password"),
        ])  # fmt: skip
        journal.finish_run(sweep, RunStatus.COMPLETED)
    return plan_file, sweep


def test_a_sweep_run_rolls_back_the_users_it_imported_not_those_the_trigger_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file, run = journaled_sweep(tmp_path, "us-east-1_swept")

    assert main(["--json", "rollback", str(run), "--plan", str(plan_file), "--dry-run"]) == 0

    result = json.loads(capsys.readouterr().out)["result"]
    assert (result["to_delete"], result["usernames"]) == (1, ["bob"])
    assert [user["username"] for user in result["kept_users"]] == ["alice"]
    assert "migrate-user trigger" in result["kept_users"][0]["why"]


def test_a_run_that_imported_into_another_pool_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file, run = journaled_sweep(tmp_path, "us-east-1_elsewhere")

    assert main(["rollback", str(run), "--plan", str(plan_file), "--dry-run"]) == 2
    assert "imported users into us-east-1_swept, not into us-east-1_elsewhere" in capsys.readouterr().err


def test_no_rollback_starts_while_an_apply_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_file, run = journaled_sweep(tmp_path, "us-east-1_swept")
    with Journal.open(default_journal_path(plan_file)) as journal:
        journal.start_run("apply")  # this process is alive, so the run stays running

    assert main(["rollback", str(run), "--plan", str(plan_file), "--yes"]) == 1

    assert "apply run 3 is still running" in capsys.readouterr().err
    assert {state for state, _ in states(plan_file).values()} == {UserState.MIGRATED}
