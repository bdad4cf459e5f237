"""`cognito-migrate trigger stage|deploy|remove` through the command line against the local Cognito: the
sample portal's just-in-time user signs in with the old password once the trigger is deployed."""

from __future__ import annotations

import json
import platform
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.run import create_demo_pool
from cognito_migrate.demo.sample_hub import demo_password, write_sample_hub
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.trigger.commands import staging_table_name
from cognito_migrate.trigger.plan_users import JIT_FILE


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def sample_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Written once: hashing the sample's passwords takes seconds.
    return write_sample_hub(tmp_path_factory.mktemp("hub") / "jupyterhub.sqlite")


def planned_hub(local: LocalCognito, tmp_path: Path, sample: Path) -> tuple[Path, str]:
    """The sample portal planned against a fresh demo pool: hopper13 (bcrypt cost 13) is just in time."""
    pool_id = create_demo_pool(local.client("cognito-idp"))
    hub = Path(shutil.copy(sample, tmp_path / "jupyterhub.sqlite"))
    plan_file = write_example(
        tmp_path / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local.region, endpoint_url=local.endpoint_url,
    )  # fmt: skip
    make_plan(load_plan_file(plan_file), settings=local.settings())
    plan_dir = tmp_path / "migration.plan"
    # The planner sent hopper13 (bcrypt cost 13: over Cognito's import limit) to the trigger.
    assert "hopper13" in (plan_dir / JIT_FILE).read_text()
    return plan_file, pool_id


def function_zip(tmp_path: Path) -> Path:
    # As tests/test_trigger_deploy.py: the local runner's interpreter has cognito_migrate installed.
    path = tmp_path / "function.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README", "code comes from the interpreter's site-packages in this test")
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--json", "trigger", *args])
    envelope = json.loads(capsys.readouterr().out)
    assert envelope["command"] == f"trigger {args[0]}"
    return code, envelope["result"]


def sign_in(local: LocalCognito, pool_id: str, username: str, password: str) -> dict[str, Any]:
    idp = local.client("cognito-idp")
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="check", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    answer: dict[str, Any] = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return answer


def test_stage_deploy_sign_in_and_remove(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file, pool_id = planned_hub(local_cognito, tmp_path, sample_hub)
    plan = ["--plan", str(plan_file)]
    idp = local_cognito.client("cognito-idp")

    # Deploying before staging says what to do first.
    assert main(["trigger", "deploy", *plan, "--zip", str(function_zip(tmp_path))]) == 2
    assert "trigger stage" in capsys.readouterr().err

    code, staged = run_json(capsys, "stage", *plan)
    assert code == 0
    table = staging_table_name(pool_id)
    assert (staged["staged"], staged["table"], staged["table_created"]) == (1, table, True)
    assert staged["case_sensitive"] is False  # the demo pool folds usernames
    # Staging again overwrites in place: the table is not made twice.
    code, again = run_json(capsys, "stage", *plan)
    assert (code, again["staged"], again["table_created"]) == (0, 1, False)

    # No zip, no build: the command says how to get one.
    assert main(["trigger", "deploy", *plan]) == 2
    assert "trigger build" in capsys.readouterr().err
    # The function runs from the zip `trigger build` makes (the local runner puts its contents first on
    # the path, as Lambda does /var/task): handler, verifier and Linux wheels, for this interpreter.
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    built = tmp_path / "trigger-function.zip"
    architecture = "arm64" if platform.machine() == "aarch64" else "x86_64"
    code, _ = run_json(
        capsys, "build", "--out", str(built), "--runtime", runtime, "--architecture", architecture
    )
    assert code == 0
    code, deployed = run_json(capsys, "deploy", *plan, "--zip", str(built))
    assert code == 0
    assert deployed["changed_settings"] == []
    triggers = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"]
    assert triggers["UserMigration"] == triggers["PostAuthentication"] == deployed["function_arn"]

    # hopper13 signs in with the old password, typed in another case, and is CONFIRMED.
    assert sign_in(local_cognito, pool_id, "Hopper13", demo_password("hopper13"))["AuthenticationResult"]
    user = idp.admin_get_user(UserPoolId=pool_id, Username="hopper13")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email", "Value": "hopper13@example.org"} in user["UserAttributes"]
    # After the sign-in, the PostAuthentication step gave hopper13 the groups it had on the hub.
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="hopper13")["Groups"]
    assert [g["GroupName"] for g in groups] == ["gpu"]

    code, removed = run_json(capsys, "remove", *plan, "--delete-function")
    assert code == 0
    assert (removed["detached"], removed["post_authentication_detached"]) == (True, True)
    assert removed["function_deleted"] is True
    triggers = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("LambdaConfig") or {}
    assert "UserMigration" not in triggers
    assert "PostAuthentication" not in triggers
    # Migrated users no longer need the trigger.
    assert sign_in(local_cognito, pool_id, "hopper13", demo_password("hopper13"))["AuthenticationResult"]


def test_stage_refuses_a_plan_whose_plan_file_changed(
    local_cognito: LocalCognito, tmp_path: Path, sample_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file, pool_id = planned_hub(local_cognito, tmp_path, sample_hub)
    plan_file.write_text(plan_file.read_text() + "\n# edited after planning\n")
    assert main(["trigger", "stage", "--plan", str(plan_file)]) == 2
    assert "changed since planning" in capsys.readouterr().err
    with pytest.raises(Exception, match="ResourceNotFound"):
        local_cognito.client("dynamodb").describe_table(TableName=staging_table_name(pool_id))
