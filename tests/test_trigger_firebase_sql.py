"""Just in time for Firebase users and from a SQL staging database, through the CLI and the built zip.

- A Firebase Authentication export planned into a pool: the users' modified-scrypt hashes go to the
  trigger, which verifies them with the project's signer key from the function's secret.
- ``[trigger] staging = "sql"``: the staged users live in PostgreSQL or MariaDB, the function reads them
  with the zip's pure-Python drivers, and the URL (with its password) reaches it only through the secret.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError

from cognito_migrate.cli import main
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.run import create_demo_pool
from cognito_migrate.demo.sample_hub import demo_password, write_sample_hub
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import make_plan
from cognito_migrate.trigger.build import BuildResult, build_function_zip
from cognito_migrate.trigger.deploy import function_name, role_name
from cognito_migrate.trigger.plan_users import JIT_FILE
from cognito_migrate.trigger.secret import secret_name
from test_trigger_cli import sign_in  # the same InitiateAuth an application makes

# github.com/firebase/scrypt's README: the project's parameters and one exported user (user1password).
SIGNER_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
VECTOR_HASH = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
VECTOR_SALT = "42xEC+ixf3L2lw=="


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The zip `trigger build` makes, for this interpreter (the local runner runs it with it)."""
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    architecture = "arm64" if platform.machine() == "aarch64" else "x86_64"
    target = tmp_path_factory.mktemp("zip") / "function.zip"
    return build_function_zip(target, runtime=runtime, architecture=architecture)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--json", "trigger", *args])
    output = capsys.readouterr()
    return code, (json.loads(output.out)["result"] if code in (0, 1) else {"error": output.err})


def denied(local: LocalCognito, pool_id: str, username: str, password: str) -> tuple[str, str]:
    """The error code and message a refused sign-in gets."""
    with pytest.raises(ClientError) as caught:
        sign_in(local, pool_id, username, password)
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


# ── Firebase ────────────────────────────────────────────────────────────────────────────────────────


def firebase_export(path: Path) -> Path:
    users = [
        {
            "localId": "fbAda0001",
            "email": "ada@example.com",
            "emailVerified": True,
            "displayName": "Ada Lovelace",
            "passwordHash": VECTOR_HASH,
            "salt": VECTOR_SALT,
            "createdAt": "1700000000000",
            "providerUserInfo": [{"providerId": "password", "email": "ada@example.com"}],
        },
        # Signs in with Google only: no password to keep.
        {
            "localId": "fbGrace002",
            "email": "grace@example.com",
            "emailVerified": True,
            "providerUserInfo": [{"providerId": "google.com", "rawId": "1234"}],
        },
        # Not base64: rejected with the record and the rule named, the others go on.
        {"localId": "fbBroken03", "email": "broken@example.com", "passwordHash": "*not*", "salt": "AA=="},
    ]
    path.write_text(json.dumps({"users": users}, indent=2))
    return path


LENIENT_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": False,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": False,
}


def firebase_pool(local: LocalCognito) -> str:
    """Users sign in with their email (an alias); the policy takes the vector's password."""
    idp = local.client("cognito-idp")
    return str(
        idp.create_user_pool(
            PoolName="from-firebase",
            AliasAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            Policies={
                "PasswordPolicy": {
                    "MinimumLength": 8,
                    "RequireUppercase": False,
                    "RequireLowercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": False,
                }
            },
            Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
    )


def test_firebase_users_sign_in_with_their_firebase_password_through_the_trigger(
    local_cognito: LocalCognito,
    tmp_path: Path,
    built_zip: BuildResult,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool_id = firebase_pool(local_cognito)
    export = firebase_export(tmp_path / "firebase-users.json")
    plan_file = tmp_path / "migration.toml"
    plan_file.write_text(
        f"""
[source]
type = "jsonl"
path = "{export.name}"
format = "firebase"

[source.firebase_hash]
rounds = 8
mem_cost = 14
salt_separator = "Bw=="

[target]
pool_id = "{pool_id}"
region = "{local_cognito.region}"
endpoint_url = "{local_cognito.endpoint_url}"
"""
    )
    assert main(["plan", "--plan", str(plan_file)]) == 1  # finished, with the broken record rejected
    capsys.readouterr()
    report = [
        json.loads(line) for line in (tmp_path / "migration.plan" / "users.jsonl").read_text().splitlines()
    ]
    by_id = {row["source_id"]: row for row in report}
    assert by_id["fbAda0001"]["strategy"] == "jit"
    assert any("signer key" in reason or "Firebase" in reason for reason in by_id["fbAda0001"]["reasons"])
    assert by_id["fbGrace002"]["strategy"] != "jit"  # no password: nothing for the trigger to check
    assert by_id["fbBroken03"]["decision"] == "reject"
    assert any("not base64" in reason for reason in by_id["fbBroken03"]["reasons"])
    jit_file = (tmp_path / "migration.plan" / JIT_FILE).read_text()
    assert "$firebase-scrypt$r=8,m=14,s=Bw==$" in jit_file

    plan = ["--plan", str(plan_file)]
    assert run_json(capsys, "stage", *plan)[0] == 0
    # Without the project's signer key the trigger could never check a Firebase password: refused.
    monkeypatch.delenv("FIREBASE_SIGNER_KEY", raising=False)
    code, refused = run_json(capsys, "deploy", *plan, "--zip", str(built_zip.path))
    assert code == 2
    assert "FIREBASE_SIGNER_KEY" in refused["error"]
    monkeypatch.setenv("FIREBASE_SIGNER_KEY", SIGNER_KEY)
    code, deployed = run_json(capsys, "deploy", *plan, "--zip", str(built_zip.path))
    assert code == 0, deployed
    assert deployed["secret"] == ["firebase_signer_key"]

    # The key is in the function's secret, not in its environment; the role may read that secret only.
    lam, iam = local_cognito.client("lambda"), local_cognito.client("iam")
    environment = lam.get_function_configuration(FunctionName=function_name(pool_id))["Environment"]
    assert SIGNER_KEY not in json.dumps(environment)
    secrets = local_cognito.client("secretsmanager")
    secret = secrets.describe_secret(SecretId=secret_name(pool_id))
    assert environment["Variables"]["COGNITO_MIGRATE_SECRET_ARN"] == secret["ARN"]
    (policy_name,) = iam.list_role_policies(RoleName=role_name(pool_id))["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name(pool_id), PolicyName=policy_name)["PolicyDocument"]
    reads = [s for s in document["Statement"] if s["Action"] == ["secretsmanager:GetSecretValue"]]
    assert [s["Resource"] for s in reads] == [[secret["ARN"]]]

    # Ada signs in by email with her Firebase password; a wrong one and an unknown user read the same.
    wrong = denied(local_cognito, pool_id, "ada@example.com", "user1passwordX")
    unknown = denied(local_cognito, pool_id, "nobody@example.com", "user1password")
    assert wrong == unknown
    assert "user1password" not in wrong[1]
    assert sign_in(local_cognito, pool_id, "ada@example.com", "user1password")["AuthenticationResult"]
    idp = local_cognito.client("cognito-idp")
    user = idp.admin_get_user(UserPoolId=pool_id, Username="fbAda0001")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "CONFIRMED"
    assert (attributes["email"], attributes["email_verified"], attributes["name"]) == (
        "ada@example.com", "true", "Ada Lovelace",
    )  # fmt: skip

    code, removed = run_json(capsys, "remove", *plan, "--delete-function")
    assert code == 0
    assert removed["function_deleted"] is True
    with pytest.raises(ClientError):  # the signer key does not outlive the trigger
        secrets.describe_secret(SecretId=secret_name(pool_id))


# ── SQL staging ─────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def sample_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_hub(tmp_path_factory.mktemp("hub") / "jupyterhub.sqlite")


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_sql_staging_the_function_reads_the_users_from_the_database(
    server: str,
    request: pytest.FixtureRequest,
    local_cognito: LocalCognito,
    tmp_path: Path,
    sample_hub: Path,
    built_zip: BuildResult,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = request.getfixturevalue("pg_database" if server == "postgresql" else "mariadb_database")
    pool_id = create_demo_pool(local_cognito.client("cognito-idp"))
    hub = Path(shutil.copy(sample_hub, tmp_path / "jupyterhub.sqlite"))
    plan_file = write_example(
        tmp_path / "migration.toml", "jupyterhub", database=hub.name, pool_id=pool_id,
        region=local_cognito.region, endpoint_url=local_cognito.endpoint_url,
    )  # fmt: skip
    # The commented plan file `init` writes names the staging; switch it to the database.
    plan_file.write_text(plan_file.read_text().replace('staging = "dynamodb"', 'staging = "sql"'))
    make_plan(load_plan_file(plan_file), settings=local_cognito.settings())
    plan = ["--plan", str(plan_file)]

    monkeypatch.delenv("COGNITO_MIGRATE_STAGING_URL", raising=False)
    code, refused = run_json(capsys, "stage", *plan)
    assert code == 2
    assert "COGNITO_MIGRATE_STAGING_URL" in refused["error"]
    monkeypatch.setenv("COGNITO_MIGRATE_STAGING_URL", url)
    code, staged = run_json(capsys, "stage", *plan)
    assert code == 0
    assert staged["staged"] == 1
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT pk, item FROM cognito_migrate_staging WHERE pool_id = :pool"), {"pool": pool_id}
        ).all()
    engine.dispose()
    assert [pk for pk, _ in rows if pk.startswith("user#")] == ["user#hopper13"]

    code, deployed = run_json(capsys, "deploy", *plan, "--zip", str(built_zip.path))
    assert code == 0, deployed
    assert (deployed["staging"], deployed["table"], deployed["secret"]) == ("sql", None, ["staging_url"])
    lam, iam = local_cognito.client("lambda"), local_cognito.client("iam")
    environment = lam.get_function_configuration(FunctionName=function_name(pool_id))["Environment"]
    assert url not in json.dumps(environment)
    assert "127.0.0.1" not in json.dumps(environment)
    (policy_name,) = iam.list_role_policies(RoleName=role_name(pool_id))["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name(pool_id), PolicyName=policy_name)["PolicyDocument"]
    assert not [s for s in document["Statement"] if any(a.startswith("dynamodb:") for a in s["Action"])]

    # hopper13 signs in with the hub password; the function found it in the database.
    idp = local_cognito.client("cognito-idp")
    assert sign_in(local_cognito, pool_id, "Hopper13", demo_password("hopper13"))["AuthenticationResult"]
    assert idp.admin_get_user(UserPoolId=pool_id, Username="hopper13")["UserStatus"] == "CONFIRMED"
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="hopper13")["Groups"]
    assert [g["GroupName"] for g in groups] == ["gpu"]
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        applied = connection.execute(
            sa.text("SELECT groups_applied FROM cognito_migrate_staging WHERE pk = 'user#hopper13'")
        ).scalar_one()
    engine.dispose()
    assert bool(applied) is True  # given once: the next sign-in does not add them again


def test_a_firebase_export_is_recognised_and_its_hash_parameters_apply_to_it_only(tmp_path: Path) -> None:
    from cognito_migrate.config.models import FileSource
    from cognito_migrate.errors import ConfigError
    from cognito_migrate.sources.files import open_file_source
    from cognito_migrate.sources.records import LegacyUser, SourceIssue

    export = firebase_export(tmp_path / "users.json")
    parameters = {"rounds": 8, "mem_cost": 14, "salt_separator": "Bw=="}
    config = FileSource(type="jsonl", path=export, firebase_hash=parameters)  # format auto
    source = open_file_source(config, export)
    assert source.format == "firebase"
    records = {getattr(r, "source_id", None) or r.location: r for r in source.records()}
    ada = records["fbAda0001"]
    assert isinstance(ada, LegacyUser)
    assert ada.password_hash is not None
    assert ada.password_hash.format == "firebase-scrypt"
    assert ada.password_hash.value not in repr(ada)
    assert (ada.fields["email"], ada.fields["email_verified"], ada.fields["name"]) == (
        "ada@example.com", "true", "Ada Lovelace",
    )  # fmt: skip
    grace = records["fbGrace002"]
    assert isinstance(grace, LegacyUser)
    assert grace.password_hash is None
    broken = records["fbBroken03"]
    assert isinstance(broken, SourceIssue)
    assert "users.json:" in broken.location
    assert "not base64" in broken.reason

    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"id": "1", "username": "a"}\n')
    with pytest.raises(ConfigError, match="firebase_hash"):
        open_file_source(FileSource(type="jsonl", path=plain, firebase_hash=parameters), plain)
