"""The command line as a user meets it: help, exit codes, the JSON envelope, init, status, demo."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cognito_migrate.cli import main
from cognito_migrate.cli.output import JSON_SCHEMA_VERSION
from cognito_migrate.config import load_plan_file
from cognito_migrate.journal import Journal, PlannedUser, RunStatus, Transition, UserState


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_lists_every_command_with_one_line_and_loads_no_aws_code() -> None:
    probe = (
        "import sys\n"
        "from cognito_migrate.cli import main\n"
        "code = main(['--help'])\n"
        "heavy = [m for m in ('boto3', 'botocore', 'moto', 'sqlalchemy') if m in sys.modules]\n"
        "print('HEAVY', heavy, code)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "HEAVY [] 0" in done.stdout
    commands = done.stdout.split("Commands:")[1]
    for name in ("demo", "init", "local", "status"):
        line = next(line for line in commands.splitlines() if line.strip().startswith(name + " "))
        assert len(line.split(maxsplit=1)[1]) > 10  # a one-line description follows the name


def test_unknown_command_and_bad_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "frobnicate")[0] == 2
    code, _, err = run_cli(capsys, "init", "--source", "ldap")
    assert code == 2
    assert "'ldap' is not one of" in err


def test_init_writes_a_plan_that_loads_and_refuses_to_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "migration.toml"
    code, out, _ = run_cli(
        capsys, "--region", "eu-west-1", "init", "--source", "sql", "--pool-id", "eu-west-1_Abc123",
        "--database", "postgresql://127.0.0.1/test", "-o", str(target),
    )  # fmt: skip
    assert code == 0
    assert f"Wrote {target}" in out
    config = load_plan_file(target)
    assert config.target.region == "eu-west-1"  # the global --region flag went into the file
    assert config.target.pool_id == "eu-west-1_Abc123"

    code, _, err = run_cli(capsys, "init", "-o", str(target))
    assert code == 2
    assert "already exists; pass --force" in err


def test_json_envelope_is_versioned_and_stable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "--json", "init", "-o", str(tmp_path / "m.toml"))
    assert code == 0
    document = json.loads(out)
    assert document == {
        "schema_version": JSON_SCHEMA_VERSION,
        "command": "init",
        "outcome": "ok",
        "result": {"path": str(tmp_path / "m.toml"), "source_type": "jupyterhub"},
    }
    code, out, _ = run_cli(capsys, "--json", "status", "--journal", str(tmp_path / "none.sqlite"))
    assert code == 2
    assert json.loads(out) == {
        "schema_version": JSON_SCHEMA_VERSION,
        "command": None,
        "outcome": "error",
        "error": f"{tmp_path / 'none.sqlite'}: no journal here yet; it is written by plan and apply",
    }


def test_status_summarises_the_journal_and_exits_1_with_failed_users(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "migration.journal.sqlite"
    with Journal.open(path) as journal:
        run = journal.start_run("apply")
        journal.add_users(run, [PlannedUser(str(i), f"user{i}", "admin") for i in range(5)])
        journal.mark_submitted(run, ["0", "1", "2"])
        journal.transition(run, [Transition("0", UserState.MIGRATED, cognito_sub="abc")])
        journal.transition(run, [Transition("1", UserState.FAILED, reason="InvalidParameterException")])
        journal.finish_run(run, RunStatus.PARTIAL)

    code, out, _ = run_cli(capsys, "status", "--journal", str(path), "--user", "1")
    assert code == 1
    assert "5 users" in out
    assert "planned            2" in out
    assert "failed             1" in out
    assert "User 1 (user1): failed" in out
    assert "submitted → failed (InvalidParameterException)" in out

    code, out, _ = run_cli(capsys, "--json", "status", "--journal", str(path))
    result = json.loads(out)["result"]
    assert result["states"]["migrated"] == 1
    assert result["runs"][0]["status"] == "partial"


def test_demo_builds_source_pool_plan_and_journal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "--json", "demo", "--dir", str(tmp_path / "demo"))
    assert code == 0
    result = json.loads(out)["result"]
    assert result["source"]["hub_users"] == 23  # 24 sample users, one only in users_info
    # The portal rules leave out the inactive, abandoned, no-2FA and unauthorized accounts (skipped);
    # the two half-present users and the bad email are rejected; the rest is planned by all three ways.
    planned = result["plan"]
    assert planned["decisions"] == {"migrate": 17, "reject": 3, "skip": 4}
    assert planned["strategies"] == {"csv-import": 15, "jit": 1, "admin": 1}
    config = load_plan_file(result["plan_file"])
    assert config.target.pool_id == result["pool_id"]
    # apply imports the 15 CSV users (their bcrypt hashes kept) and creates the admin one; jit waits.
    assert result["apply"]["csv_import"]["migrated"] == 15
    assert result["apply"]["csv_import"]["failed"] == 0
    assert result["apply"]["admin"] == {"migrated": 1, "skipped": 0, "failed": 0}  # lost-hash
    with Journal.open(result["journal"]) as journal:
        assert [run.command for run in journal.runs()] == ["plan", "apply"]
        assert journal.counts()[UserState.MIGRATED] == 16
    # verify finds the pool as the source has it, and the reports a person reads are written.
    assert result["verify"]["differences"] == 0
    assert result["verify"]["compared"] == 16
    report = Path(result["report"]["html"])
    assert "Migration report" in report.read_text()
    for personal in (result["source"]["path"], result["journal"], report):
        assert stat.S_IMODE(os.stat(personal).st_mode) == 0o600  # hashes and usernames
