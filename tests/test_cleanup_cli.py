"""``cognito-migrate cleanup`` as a user runs it, against the local server's real IAM."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.cli import main
from cognito_migrate.cli.output import JSON_SCHEMA_VERSION
from cognito_migrate.local import LocalCognito
from cognito_migrate.local.server import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY
from cognito_migrate.strategies.csv_import.logs_role import resolve_logs_role, trust_policy

TRUST = json.dumps(trust_policy())
ACCOUNT = "123456789012"  # moto's account


@pytest.fixture
def region(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Region of this test's own (IAM is global; the server is shared) and dummy credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET_ACCESS_KEY)
    return f"zz-{uuid.uuid4().hex[:10]}-1"


def cleanup(
    capsys: pytest.CaptureFixture[str], local: LocalCognito, region: str, *args: str
) -> tuple[int, str]:
    code = main(["--region", region, "--endpoint-url", local.endpoint_url, *args])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def iam(local_cognito: LocalCognito) -> Any:
    # One client for the module: making one loads botocore's models, which is most of a call's time.
    return local_cognito.client("iam")


def role_exists(client: Any, name: str) -> bool:
    try:
        client.get_role(RoleName=name)
    except client.exceptions.NoSuchEntityException:
        return False
    return True


def tool_role(local: LocalCognito, region: str) -> str:
    return resolve_logs_role(local.settings().overridden_by(region=region), propagation_seconds=0).name


def test_cleanup_removes_only_what_the_tool_created(
    capsys: pytest.CaptureFixture[str], local_cognito: LocalCognito, region: str, iam: Any, tmp_path: Path
) -> None:
    ours = tool_role(local_cognito, region)
    other_region = f"zz-{uuid.uuid4().hex[:10]}-2"
    elsewhere = tool_role(local_cognito, other_region)
    users = f"user-role-{uuid.uuid4().hex[:8]}"
    lookalike = f"lookalike-{uuid.uuid4().hex[:8]}"  # under the tool's path, but not tagged as the tool's
    iam.create_role(RoleName=users, AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName=lookalike, Path="/cognito-migrate/", AssumeRolePolicyDocument=TRUST)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    created = iam.create_policy(
        PolicyName=f"mine-{uuid.uuid4().hex[:8]}", PolicyDocument=json.dumps(document)
    )
    policy = created["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=ours, PolicyArn=policy)  # someone attached their own policy

    code, out = cleanup(capsys, local_cognito, region, "cleanup", "--dry-run")
    assert code == 0
    assert f"Would remove from account {ACCOUNT}, Region {region} (dry run: nothing was changed):" in out
    arn = f"arn:aws:iam::{ACCOUNT}:role/cognito-migrate/{ours}"
    assert (
        f"  - IAM role {ours} ({arn}), with inline policy cognito-import-job-logs, "
        f"attached policy {policy} (detached only: it is not the tool's)\n"
    ) in out
    assert role_exists(iam, ours)

    code, out = cleanup(capsys, local_cognito, region, "cleanup")
    assert code == 0
    assert f"Removed from account {ACCOUNT}, Region {region}:\n  - IAM role {ours} ({arn})" in out
    left_alone = f"Left alone: IAM role {elsewhere} belongs to Region {other_region}"
    assert f"{left_alone}; run cleanup with --region {other_region} to remove it." in out
    assert users not in out
    assert lookalike not in out
    assert not role_exists(iam, ours)
    assert all(role_exists(iam, name) for name in (elsewhere, users, lookalike))
    assert iam.get_policy(PolicyArn=policy)["Policy"]["Arn"] == policy

    code, out = cleanup(capsys, local_cognito, region, "cleanup")
    assert code == 0
    nothing = f"Nothing to remove: cognito-migrate has created nothing in account {ACCOUNT}, Region {region}."
    assert nothing in out

    # With no flags, the plan file's [target] says where to look.
    plan = tmp_path / "migration.toml"
    plan.write_text(
        f'[source]\ntype = "csv"\npath = "users.csv"\n\n[target]\npool_id = "{other_region}_Abc123"\n'
        f'region = "{other_region}"\nendpoint_url = "{local_cognito.endpoint_url}"\n'
    )
    assert main(["cleanup", "--plan", str(plan)]) == 0
    assert f"IAM role {elsewhere} " in capsys.readouterr().out
    assert not role_exists(iam, elsewhere)
    for name in (users, lookalike):
        iam.delete_role(RoleName=name)
    iam.delete_policy(PolicyArn=policy)


def test_json_output_and_a_role_that_cannot_be_removed(
    capsys: pytest.CaptureFixture[str], local_cognito: LocalCognito, region: str, iam: Any
) -> None:
    ours = tool_role(local_cognito, region)
    resource = {
        "kind": "IAM role",
        "name": ours,
        "arn": f"arn:aws:iam::{ACCOUNT}:role/cognito-migrate/{ours}",
        "region": region,
        "details": ["inline policy cognito-import-job-logs"],
    }
    code, out = cleanup(capsys, local_cognito, region, "--json", "cleanup", "--dry-run")
    assert code == 0
    document = json.loads(out)
    assert {key: document[key] for key in ("schema_version", "command", "outcome")} == {
        "schema_version": JSON_SCHEMA_VERSION, "command": "cleanup", "outcome": "ok",
    }  # fmt: skip
    result = document["result"]
    assert set(result) == {"account_id", "region", "dry_run", "found", "removed", "failed", "other_regions"}
    assert (result["account_id"], result["region"], result["dry_run"]) == (ACCOUNT, region, True)
    assert (result["found"], result["removed"], result["failed"]) == ([resource], [], [])
    assert all(other["region"] != region for other in result["other_regions"])

    profile = f"profile-{uuid.uuid4().hex[:8]}"  # IAM refuses to delete a role still in a profile
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=ours)
    code, out = cleanup(capsys, local_cognito, region, "cleanup")
    assert code == 1
    assert f"Could not remove 1 (run cleanup again once fixed):\n  - IAM role {ours} " in out
    assert "DeleteRole: DeleteConflict: Cannot delete entity, must remove roles from instance profile" in out
    assert role_exists(iam, ours)

    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=ours)
    iam.delete_instance_profile(InstanceProfileName=profile)
    code, out = cleanup(capsys, local_cognito, region, "--json", "cleanup")
    document = json.loads(out)
    assert (code, document["outcome"], document["result"]["dry_run"]) == (0, "ok", False)
    gone = {**resource, "details": []}  # its policy went on the first attempt
    assert (document["result"]["removed"], document["result"]["failed"]) == ([gone], [])
    assert not role_exists(iam, ours)


def test_no_region_is_a_usage_error(capsys: pytest.CaptureFixture[str], local_cognito: LocalCognito) -> None:
    assert main(["--endpoint-url", local_cognito.endpoint_url, "cleanup", "--dry-run"]) == 2
    assert "no AWS Region: pass --region" in capsys.readouterr().err


def test_a_trigger_secret_left_behind_is_removed_and_no_other_secret(
    capsys: pytest.CaptureFixture[str], local_cognito: LocalCognito, region: str
) -> None:
    from cognito_migrate.cleanup import AccountScope
    from cognito_migrate.trigger.secret import ensure_trigger_secret

    # A deploy that stopped after making the function's secret: no function or role to find it by.
    pool_id = f"{region}_Abc123"
    settings = local_cognito.settings().overridden_by(region=region)
    ours = ensure_trigger_secret(AccountScope.of(settings), pool_id, {"firebase_signer_key": "a2V5"})
    secrets = settings.client("secretsmanager")
    theirs = secrets.create_secret(Name="app/database", SecretString="pw")["ARN"]
    lookalike = secrets.create_secret(Name="cognito-migrate/not-ours", SecretString="pw")["ARN"]  # untagged

    code, out = cleanup(capsys, local_cognito, region, "cleanup")

    assert code == 0
    assert f"Secrets Manager secret cognito-migrate/{pool_id}/trigger ({ours})" in out
    assert "a2V5" not in out
    remaining = {s["ARN"] for s in secrets.list_secrets()["SecretList"]}
    assert ours not in remaining
    assert {theirs, lookalike} <= remaining
