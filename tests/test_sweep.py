"""`cognito-migrate sweep` against the local Cognito: the sample portal's just-in-time user (hopper13, a
bcrypt cost Cognito cannot import) is imported when it never signed in, recognised when it did, and the
trigger and its table go on request."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.run import create_demo_pool
from cognito_migrate.demo.sample_hub import demo_password, write_sample_hub
from cognito_migrate.journal import Journal, UserRecord, UserState
from cognito_migrate.local import LocalCognito
from cognito_migrate.local.importjobs import service_for
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.results import Outcome
from cognito_migrate.strategies.csv_import.apply import ApplyListener
from cognito_migrate.strategies.csv_import.job import ImportJob, JobTiming
from cognito_migrate.trigger.commands import staging_table_name
from cognito_migrate.trigger.sweep import SIGNED_IN, sweep_command
from test_trigger_cli import function_zip, planned_hub, sign_in

FAST = JobTiming(poll_interval=0.05, log_poll_interval=0.05, log_timeout=5.0, stop_timeout=10.0)


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def sample_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_hub(tmp_path_factory.mktemp("hub") / "jupyterhub.sqlite")


def deployed(local: LocalCognito, tmp_path: Path, sample: Path) -> tuple[Path, str]:
    """The sample planned, its jit user staged and the trigger deployed (the sign-in window opens)."""
    plan_file, pool_id = planned_hub(local, tmp_path, sample)
    plan = ["--plan", str(plan_file)]
    assert main(["trigger", "stage", *plan]) == 0
    assert main(["trigger", "deploy", *plan, "--zip", str(function_zip(tmp_path))]) == 0
    return plan_file, pool_id


def journaled(plan_file: Path, username: str) -> UserRecord:
    saved = SavedPlan.load(plan_file.parent / "migration.plan")
    with Journal.open(saved.manifest["journal"]) as journal:
        (record,) = [user for user in journal.users() if user.username == username]
    return record


def import_jobs(local: LocalCognito, pool_id: str) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = local.client("cognito-idp").list_user_import_jobs(
        UserPoolId=pool_id, MaxResults=60
    )["UserImportJobs"]
    return jobs


def sweep_json(
    capsys: pytest.CaptureFixture[str], plan_file: Path, *flags: str
) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()  # what stage and deploy printed
    code = main(["--json", "sweep", "--plan", str(plan_file), *flags])
    envelope = json.loads(capsys.readouterr().out)
    assert envelope["command"] == "sweep"
    return code, envelope["result"]


def test_a_user_who_never_signed_in_is_imported_once_to_reset_the_password(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file, pool_id = deployed(local_cognito, tmp_path, sample_hub)
    idp = local_cognito.client("cognito-idp")

    result = sweep_command(plan_file, timing=FAST)

    assert result.outcome is Outcome.OK
    assert (result.data["signed_in"], result.data["sent_reset_required"]) == (0, 1)
    assert result.data["sent_with_hash"] == 0  # bcrypt cost 13: over Cognito's import limit
    (job_id,) = result.data["imported"]["jobs"]
    user = idp.admin_get_user(UserPoolId=pool_id, Username="hopper13")
    assert user["UserStatus"] == "RESET_REQUIRED"
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="hopper13")["Groups"]
    assert [group["GroupName"] for group in groups] == ["gpu"]
    record = journaled(plan_file, "hopper13")
    assert record.state == UserState.MIGRATED
    assert (record.import_job_id, record.import_line) == (job_id, 1)
    assert f"import job {job_id} line 1" in (record.reason or "")
    assert "reset the password" in (record.reason or "")
    # Not signed in with the old password any more: the import has no hash, the user resets it.
    with pytest.raises(Exception, match="PasswordResetRequired"):
        sign_in(local_cognito, pool_id, "hopper13", demo_password("hopper13"))
    # The trigger was not asked to go.
    triggers = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"]
    assert "UserMigration" in triggers

    # A second sweep (here through the command line) finds everyone settled and imports nobody.
    code, second = sweep_json(capsys, plan_file)
    assert code == 0
    assert second["imported"]["jobs"] == []
    assert (second["already_settled"], second["sent_reset_required"], second["signed_in"]) == (1, 0, 0)
    assert [job["JobId"] for job in import_jobs(local_cognito, pool_id)] == [job_id]
    assert journaled(plan_file, "hopper13").reason == record.reason


def test_a_user_who_signed_in_through_the_trigger_is_not_imported_again(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file, pool_id = deployed(local_cognito, tmp_path, sample_hub)
    assert sign_in(local_cognito, pool_id, "hopper13", demo_password("hopper13"))["AuthenticationResult"]

    code, result = sweep_json(capsys, plan_file)

    assert code == 0
    assert (result["signed_in"], result["sent_reset_required"], result["sent_with_hash"]) == (1, 0, 0)
    assert result["imported"]["jobs"] == []
    assert import_jobs(local_cognito, pool_id) == []
    record = journaled(plan_file, "hopper13")
    assert (record.state, record.reason) == (UserState.MIGRATED, SIGNED_IN)
    user = local_cognito.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username="hopper13")
    assert user["UserStatus"] == "CONFIRMED"  # still the old password: nothing overwrote the user


def test_detach_and_drop_table_retire_the_trigger(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path
) -> None:
    plan_file, pool_id = deployed(local_cognito, tmp_path, sample_hub)
    idp = local_cognito.client("cognito-idp")

    result = sweep_command(plan_file, detach=True, drop_table=True, timing=FAST)

    assert result.outcome is Outcome.OK
    assert (result.data["detached"], result.data["table_dropped"]) == (True, True)
    triggers = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("LambdaConfig") or {}
    assert "UserMigration" not in triggers
    assert "PostAuthentication" not in triggers
    with pytest.raises(Exception, match="ResourceNotFound"):
        local_cognito.client("dynamodb").describe_table(TableName=staging_table_name(pool_id))
    assert idp.admin_get_user(UserPoolId=pool_id, Username="hopper13")["UserStatus"] == "RESET_REQUIRED"


def test_a_hash_cognito_can_import_is_imported_with_the_user(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path
) -> None:
    # Everyone the trigger could verify goes just in time, importable hashes included (ada: bcrypt 12).
    pool_id = create_demo_pool(local_cognito.client("cognito-idp"))
    hub = Path(shutil.copy(sample_hub, tmp_path / "jupyterhub.sqlite"))
    plan_file = write_example(
        tmp_path / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local_cognito.region, endpoint_url=local_cognito.endpoint_url,
    )  # fmt: skip
    plan_file.write_text(plan_file.read_text().replace('method = "auto"', 'method = "jit"'))
    make_plan(load_plan_file(plan_file), settings=local_cognito.settings())
    idp = local_cognito.client("cognito-idp")

    result = sweep_command(plan_file, timing=FAST)

    assert result.data["sent_with_hash"] >= 1
    assert result.data["sent_reset_required"] == 1  # hopper13
    assert len(result.data["imported"]["jobs"]) == 2  # one per password algorithm
    assert result.data["imported"]["failed"] == 0
    assert sign_in(local_cognito, pool_id, "ada", demo_password("ada"))["AuthenticationResult"]
    assert idp.admin_get_user(UserPoolId=pool_id, Username="hopper13")["UserStatus"] == "RESET_REQUIRED"
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="grace")["Groups"]
    assert sorted(group["GroupName"] for group in groups) == ["gpu", "staff"]
    assert "signs in with the old password" in (journaled(plan_file, "ada").reason or "")


def test_a_sweep_stopped_mid_job_resumes_and_imports_nobody_twice(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file, pool_id = deployed(local_cognito, tmp_path, sample_hub)
    assert local_cognito.app is not None
    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 2.0)  # the row waits: Ctrl-C first

    class CtrlCWhileRunning(ApplyListener):
        def job_updated(self, job: ImportJob) -> None:
            if job.status == "InProgress":
                raise KeyboardInterrupt

    first = sweep_command(plan_file, timing=FAST, listener=CtrlCWhileRunning())

    assert first.outcome is Outcome.INTERRUPTED
    assert "interrupted; import job" in first.data["note"]
    (stopped,) = import_jobs(local_cognito, pool_id)
    assert stopped["Status"] == "Stopped"
    assert journaled(plan_file, "hopper13").state == UserState.SUBMITTED  # in doubt, not lost

    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 0.0)
    second = sweep_command(plan_file, timing=FAST)

    assert second.outcome is Outcome.OK
    record = journaled(plan_file, "hopper13")
    assert record.state == UserState.MIGRATED
    jobs = import_jobs(local_cognito, pool_id)
    assert sum(job.get("ImportedUsers", 0) for job in jobs) == 1  # once over both jobs
    user = local_cognito.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username="hopper13")
    assert user["UserStatus"] == "RESET_REQUIRED"
