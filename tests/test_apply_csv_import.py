"""``apply`` with CSV import jobs, end to end against the local Cognito: a result for every user."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.apply import apply_plan
from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.run import create_demo_pool
from cognito_migrate.demo.sample_hub import demo_password, write_sample_hub
from cognito_migrate.errors import ConfigError, JournalError
from cognito_migrate.journal import Journal, UserState, default_journal_path
from cognito_migrate.local import LocalCognito
from cognito_migrate.local.importjobs import service_for
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.reports.progress import BarProgress
from cognito_migrate.results import Outcome
from cognito_migrate.strategies.csv_import.apply import ApplyListener
from cognito_migrate.strategies.csv_import.job import ImportJob, JobTiming

FAST = JobTiming(poll_interval=0.05, log_poll_interval=0.05, log_timeout=5.0, stop_timeout=10.0)
CSV_USERS = {"ada", "grace", "newbie", *(f"user{i:03d}" for i in range(12, 24))}


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():  # what `local serve` prints
        monkeypatch.setenv(name, value)


def planned_hub(local: LocalCognito, tmp_path: Path, *, alias_email: bool = False) -> Path:
    """The sample portal planned against a fresh pool; users without a hash go RESET_REQUIRED."""
    idp = local.client("cognito-idp")
    pool_id = create_demo_pool(idp)
    if alias_email:  # the same pool, but people may also sign in with their email
        pool_id = idp.create_user_pool(
            PoolName="portal-alias", AliasAttributes=["email"], AutoVerifiedAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]  # fmt: skip
    hub = write_sample_hub(tmp_path / "jupyterhub.sqlite")
    plan_file = write_example(
        tmp_path / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local.region, endpoint_url=local.endpoint_url,
    )  # fmt: skip
    make_plan(load_plan_file(plan_file), settings=local.settings())
    return plan_file


def journal_of(plan_file: Path) -> Journal:
    return Journal.open(default_journal_path(plan_file))


def pool_of(plan_file: Path) -> str:
    return load_plan_file(plan_file).target.pool_id


def import_jobs(local: LocalCognito, pool_id: str) -> list[dict[str, Any]]:
    idp = local.client("cognito-idp")
    jobs: list[dict[str, Any]] = idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=60)[
        "UserImportJobs"
    ]
    return jobs


def sign_in(local: LocalCognito, pool_id: str, username: str, password: str) -> bool:
    idp = local.client("cognito-idp")
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="check", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    try:
        answer = idp.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )  # fmt: skip
    except idp.exceptions.NotAuthorizedException:
        return False
    return "AuthenticationResult" in answer


def test_the_hub_sample_is_imported_with_a_final_state_and_reason_for_every_user(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    pool_id = pool_of(plan_file)
    idp = local_cognito.client("cognito-idp")

    kept = tmp_path / "sent"
    code = main(["apply", "--plan", str(plan_file), "--keep-files", str(kept)])
    # Partial: the just-in-time user waits for the trigger, and three users were rejected by the plan.
    assert code == 1
    out = capsys.readouterr()
    assert "16 migrated" in out.out  # 15 keep their bcrypt hash, 1 must reset
    assert "0 failed" in out.out
    assert "import job import-" in out.err  # progress goes to stderr

    # Users with importable bcrypt hashes are CONFIRMED and keep their passwords.
    assert sign_in(local_cognito, pool_id, "ada", demo_password("ada"))
    assert not sign_in(local_cognito, pool_id, "ada", "wrong-Password-1")
    statuses = {u["Username"]: u for u in idp.list_users(UserPoolId=pool_id)["Users"]}
    assert set(statuses) == CSV_USERS | {"lost-hash"}
    assert {statuses[name]["UserStatus"] for name in CSV_USERS} == {"CONFIRMED"}
    assert statuses["lost-hash"]["UserStatus"] == "RESET_REQUIRED"  # no usable hash: must reset
    # What a CSV cannot carry: groups (created with the source's names) and the disabled state.
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="ada")["Groups"]
    assert {g["GroupName"] for g in groups} == {"staff", "admin"}
    assert statuses["newbie"]["Enabled"] is False
    assert statuses["grace"]["Enabled"] is True

    with journal_of(plan_file) as journal:
        counts = journal.counts()
        assert counts[UserState.MIGRATED] == 16
        assert counts[UserState.PLANNED] == 1  # hopper13: just in time
        assert counts[UserState.REJECTED] == 3
        assert counts[UserState.SKIPPED] == 4
        ada = journal.get_users(["1"])["1"]
        assert ada.state == UserState.MIGRATED
        assert ada.import_job_id
        assert f"import job {ada.import_job_id} line {ada.import_line}: The import succeeded" in (
            ada.reason or ""
        )
        assert "groups staff, admin" in (ada.reason or "")

    # The plan's import files held password hashes: with every user in the pool they are gone; the
    # copies asked for with --keep-files stay, 0600.
    plan_dir = plan_file.parent / "migration.plan"
    assert not list(plan_dir.glob("import-*.csv"))
    copies = sorted(kept.glob("*.csv"))
    assert [p.name for p in copies] == ["import-bcrypt-001.csv", "import-reset-required-001.csv"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in copies} == {0o600}

    # Running it again sends nothing: no new job, nobody imported twice.
    jobs_before = len(import_jobs(local_cognito, pool_id))
    result = apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST)
    assert result.data["csv_import"] == {"migrated": 0, "skipped": 0, "failed": 0, "in_doubt": 0, "jobs": []}
    assert len(import_jobs(local_cognito, pool_id)) == jobs_before == 2  # bcrypt + reset-required


def test_skipped_and_failed_lines_reach_their_users_while_neighbours_migrate(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path, alias_email=True)
    pool_id = pool_of(plan_file)
    idp = local_cognito.client("cognito-idp")
    # After planning, someone creates grace by hand, and another account takes ada's email.
    idp.admin_create_user(UserPoolId=pool_id, Username="grace", MessageAction="SUPPRESS")
    idp.admin_create_user(
        UserPoolId=pool_id, Username="squatter", MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "ada@example.org"}, {"Name": "email_verified", "Value": "true"}
        ],
    )  # fmt: skip

    result = apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST)

    assert result.outcome is Outcome.PARTIAL
    with journal_of(plan_file) as journal:
        users = journal.get_users(["1", "2", "6"])
        assert users["2"].state == UserState.SKIPPED
        assert users["2"].reason
        assert users["2"].reason.endswith("The user already exists.")
        assert users["1"].state == UserState.FAILED
        assert "An account with the given email already exists" in (users["1"].reason or "")
        assert users["6"].state == UserState.MIGRATED  # newbie, the neighbour
        assert journal.counts()[UserState.MIGRATED] == 14
        assert journal.counts()[UserState.SUBMITTED] == 0
    assert any("kept for --retry-failed" in line for line in result.lines)

    # Once the email is free again, --retry-failed sends ada (alone) again; grace stays skipped.
    idp.admin_delete_user(UserPoolId=pool_id, Username="squatter")
    retried = apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST, retry_failed=True)
    assert retried.data["csv_import"]["migrated"] == 1
    with journal_of(plan_file) as journal:
        assert journal.get_users(["1"])["1"].state == UserState.MIGRATED
        assert journal.get_users(["2"])["2"].state == UserState.SKIPPED


def test_ctrl_c_stops_the_job_and_the_next_apply_finishes_without_importing_anyone_twice(
    local_cognito: LocalCognito, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    pool_id = pool_of(plan_file)
    assert local_cognito.app is not None
    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 0.1)

    class CtrlCMidway(ApplyListener):
        def job_updated(self, job: ImportJob) -> None:
            if job.status == "InProgress" and job.imported:
                raise KeyboardInterrupt

    first = apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST, listener=CtrlCMidway())
    assert first.outcome is Outcome.INTERRUPTED
    (stopped,) = [j for j in import_jobs(local_cognito, pool_id) if j["Status"] == "Stopped"]
    assert 0 < stopped["ImportedUsers"] < 15

    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 0.0)
    second = apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST)
    assert second.outcome is Outcome.PARTIAL  # hopper13 and the rejected users, as planned
    with journal_of(plan_file) as journal:
        assert journal.counts()[UserState.MIGRATED] == 16
        assert journal.counts()[UserState.SUBMITTED] == 0
        assert journal.counts()[UserState.FAILED] == 0
    users = local_cognito.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"]
    assert sorted(u["Username"] for u in users) == sorted(CSV_USERS | {"lost-hash"})
    imported = sum(j["ImportedUsers"] for j in import_jobs(local_cognito, pool_id))
    assert imported == 16  # every user imported exactly once over all jobs


def test_an_apply_killed_while_polling_resumes_to_the_same_end_state(
    local_cognito: LocalCognito, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    pool_id = pool_of(plan_file)
    assert local_cognito.app is not None
    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 0.3)
    child = subprocess.Popen(  # the CLI in its own process, as a user runs it
        [sys.executable, "-c", "from cognito_migrate.cli import run; run()",
         "apply", "--plan", str(plan_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not any(j["Status"] == "InProgress" for j in import_jobs(local_cognito, pool_id)):
            assert time.monotonic() < deadline, "the import job never started"
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with journal_of(plan_file) as journal:
        assert journal.counts()[UserState.SUBMITTED] > 0  # in doubt: the job was running
    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 0.0)

    result = apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST)

    assert result.outcome is Outcome.PARTIAL
    with journal_of(plan_file) as journal:
        counts = journal.counts()
        assert counts[UserState.MIGRATED] == 16
        assert counts[UserState.SUBMITTED] == 0
        assert [run.status for run in journal.runs() if run.command == "apply"] == ["interrupted", "partial"]
    jobs = import_jobs(local_cognito, pool_id)
    assert sum(j["ImportedUsers"] for j in jobs) == 16  # the running job was resumed, not repeated
    groups = local_cognito.client("cognito-idp").admin_list_groups_for_user(
        UserPoolId=pool_id, Username="ada"
    )
    assert {g["GroupName"] for g in groups["Groups"]} == {"staff", "admin"}


def test_a_plan_the_pool_no_longer_fits_is_refused(local_cognito: LocalCognito, tmp_path: Path) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    local_cognito.client("cognito-idp").add_custom_attributes(
        UserPoolId=pool_of(plan_file),
        CustomAttributes=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )
    with pytest.raises(
        ConfigError, match=r"the saved plan no longer fits: the pool .* changed since planning"
    ):
        apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST)
    assert local_cognito.client("cognito-idp").list_users(UserPoolId=pool_of(plan_file))["Users"] == []


def test_only_one_apply_runs_at_a_time(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "journal.sqlite") as journal:
        first = journal.start_run("apply", exclusive=True)
        with pytest.raises(JournalError, match=f"apply run {first} is still running"):
            journal.start_run("apply", exclusive=True)
        journal.start_run("status", exclusive=True)  # other commands are not held up


def test_apply_waits_for_a_running_rollback_and_touches_nothing(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    with Journal.open(default_journal_path(plan_file)) as journal:
        rollback = journal.start_run("rollback")  # this process is alive: the run stays running
    with pytest.raises(JournalError, match=f"rollback run {rollback} is still running"):
        apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST)
    assert local_cognito.client("cognito-idp").list_users(UserPoolId=pool_of(plan_file))["Users"] == []


def test_a_terminal_gets_a_progress_bar_per_job(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = planned_hub(local_cognito, tmp_path)
    apply_plan(plan_file, settings=local_cognito.settings(), timing=FAST, listener=BarProgress())
    err = capsys.readouterr().err
    assert "15/15" in err  # the bcrypt job's bar, finished
    assert "15 imported, 0 skipped, 0 failed" in err
    assert "1/1" in err  # the reset-required job's
