"""``status``: the journal summary, one run, the users in one state, and the per-user reports, read
from a migration really planned and applied against the local Cognito."""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from cognito_migrate.apply import apply_plan
from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.sample_hub import write_sample_hub
from cognito_migrate.journal import Journal, UserState, default_journal_path
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.strategies.csv_import.job import JobTiming

FAST = JobTiming(poll_interval=0.05, log_poll_interval=0.05, log_timeout=5.0, stop_timeout=10.0)
HOSTILE_EMAIL = '<script>alert("owned")</script>@'


def migrated_portal(local: LocalCognito, workdir: Path, *, count: int = 24, hostile: bool = False) -> Path:
    """The sample portal planned and applied into a fresh pool, with every outcome there is.

    CSV import (bcrypt hashes), admin (the user whose hash was lost gets a temporary password) and
    just in time (hopper13); the plan rejects three users and skips four; after planning someone
    creates grace by hand (apply skips her) and takes ada's email (her import line fails).
    ``hostile`` gives the rejected bad-email user an email that is markup, for escaping tests.
    """
    idp = local.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName="portal-report", AliasAttributes=["email"], AutoVerifiedAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]  # fmt: skip
    hub = write_sample_hub(workdir / "jupyterhub.sqlite", count=count)
    if hostile:
        with sqlite3.connect(hub) as db:
            db.execute("UPDATE users_info SET email = ? WHERE username = 'bad-email'", (HOSTILE_EMAIL,))
    plan_file = write_example(
        workdir / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local.region, endpoint_url=local.endpoint_url,
    )  # fmt: skip
    plan_file.write_text(
        plan_file.read_text().replace(
            'without_hash = "reset-required"', 'without_hash = "temporary-password"'
        )
    )
    make_plan(load_plan_file(plan_file), settings=local.settings())
    idp.admin_create_user(UserPoolId=pool_id, Username="grace", MessageAction="SUPPRESS")
    idp.admin_create_user(
        UserPoolId=pool_id, Username="squatter", MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "ada@example.org"}, {"Name": "email_verified", "Value": "true"}
        ],
    )  # fmt: skip
    apply_plan(plan_file, settings=local.settings(), timing=FAST, credentials=workdir / "credentials.csv")
    return plan_file


@pytest.fixture(scope="module")
def portal(local_cognito: LocalCognito, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_portal(local_cognito, tmp_path_factory.mktemp("portal"))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def journal_counts(plan_file: Path) -> dict[UserState, int]:
    with Journal.open(default_journal_path(plan_file)) as journal:
        return journal.counts()


def test_summary_counts_every_state_and_names_the_runs(
    portal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_cli(capsys, "status", "--plan", str(portal))
    assert code == 1  # ada failed, three users were rejected
    assert "24 users" in out
    assert "failed             1" in out
    assert "skipped            5" in out  # four left out by the portal rules, grace found in the pool
    assert "#1    plan" in out
    assert "#2    apply" in out


def test_a_run_shows_what_it_changed_and_its_import_jobs(
    portal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_cli(capsys, "status", "2", "--plan", str(portal))
    assert code == 1  # the apply run ended partial
    assert "Run #2 apply: partial" in out
    assert "submitted → migrated" in out
    assert "import job import-" in out

    code, out = run_cli(capsys, "--json", "status", "2", "--plan", str(portal))
    run = json.loads(out)["result"]["run"]
    counts = journal_counts(portal)
    # Everyone migrated, failed or skipped today got there in this one apply run.
    assert run["entered"]["migrated"] == counts[UserState.MIGRATED] == 14  # 13 by CSV, 1 by admin
    assert run["entered"]["failed"] == counts[UserState.FAILED] == 1
    assert run["entered"]["skipped"] == 1  # grace; the plan's four skips were the plan run's doing
    assert {job["status"] for job in run["import_jobs"]} == {"Succeeded"}
    assert sum(job["failed"] for job in run["import_jobs"]) == 1

    code, out = run_cli(capsys, "--json", "status", "1", "--plan", str(portal))
    plan_run = json.loads(out)["result"]["run"]
    assert plan_run["command"] == "plan"
    assert plan_run["entered"] == {"planned": 17, "rejected": 3, "skipped": 4}


def test_state_lists_the_users_in_it_with_their_reasons(
    portal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = run_cli(capsys, "status", "--plan", str(portal), "--state", "failed")
    assert "Users failed: 1" in out
    line = next(line for line in out.splitlines() if " ada " in line)
    assert "An account with the given email already exists" in line

    _, out = run_cli(capsys, "status", "--plan", str(portal), "--state", "skipped", "--limit", "2")
    assert "Users skipped: 5 (the first 2; all of them: --limit 0" in out

    # With a run: only the users that run left in the state.
    _, out = run_cli(capsys, "status", "2", "--plan", str(portal), "--state", "skipped")
    assert "Users run #2 left skipped: 1" in out
    assert " grace " in out
    _, out = run_cli(capsys, "status", "1", "--plan", str(portal), "--state", "skipped")
    assert "Users run #1 left skipped: 4" in out

    _, out = run_cli(capsys, "--json", "status", "--plan", str(portal), "--state", "rejected", "--limit", "0")
    listed = json.loads(out)["result"]["users_in_state"]
    assert listed["total"] == 3
    assert {user["username"] for user in listed["users"]} == {"bad-email", "hubonly", "infoonly"}
    assert all(user["reason"] for user in listed["users"])


def test_report_writes_every_journal_user_as_json_lines_and_csv(
    portal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report"
    code, out = run_cli(capsys, "status", "--plan", str(portal), "--report", str(target))
    assert code == 1
    assert f"Report: {target / 'report.html'} (24 users in users.jsonl and users.csv)" in out
    for name in ("users.jsonl", "users.csv", "report.html"):
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o600  # they name every user
    assert stat.S_IMODE(target.stat().st_mode) == 0o700

    lines = [json.loads(line) for line in (target / "users.jsonl").read_text().splitlines()]
    by_name = {line["username"]: line for line in lines}
    assert len(lines) == sum(journal_counts(portal).values()) == 24
    for line in lines:  # the documented per-user report contract
        assert {"source_id", "username", "decision", "strategy", "state", "reasons"} <= set(line)
    assert by_name["ada"]["decision"] == "migrate"
    assert by_name["ada"]["state"] == "failed"
    assert "An account with the given email already exists" in by_name["ada"]["reasons"][0]
    assert by_name["ada"]["import_job_id"]
    assert by_name["ada"]["import_line"]
    assert (by_name["grace"]["decision"], by_name["grace"]["state"]) == ("migrate", "skipped")
    assert (by_name["no2fa"]["decision"], by_name["no2fa"]["state"]) == ("skip", "skipped")
    assert (by_name["bad-email"]["decision"], by_name["bad-email"]["state"]) == ("reject", "rejected")
    assert by_name["lost-hash"]["strategy"] == "admin"
    assert by_name["lost-hash"]["cognito_sub"]  # the admin API gave back the new sub
    assert by_name["hopper13"]["state"] == "planned"  # waits for the trigger

    with (target / "users.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["source_id"] for row in rows] == [line["source_id"] for line in lines]
    assert {row["username"]: row["state"] for row in rows} == {n: v["state"] for n, v in by_name.items()}
    # Nothing that came from a password column reaches the reports.
    text = (target / "users.jsonl").read_text() + (target / "users.csv").read_text()
    assert "$2b$" not in text
    assert "Demo-2026" not in text


def test_unknown_run_or_user_is_a_usage_error(portal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "9", "--plan", str(portal)]) == 2
    assert "run 9: not in" in capsys.readouterr().err
    assert main(["status", "--plan", str(portal), "--user", "nobody"]) == 2
