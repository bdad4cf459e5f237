"""The migrate-user function end to end against the local Cognito: users staged in DynamoDB sign in
with their legacy passwords through InitiateAuth, as a user would."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import bcrypt
import pytest
from botocore.exceptions import ClientError

from cognito_migrate.local import LocalCognito
from cognito_migrate.local.triggers import register_python_function, welcome_messages
from cognito_migrate.trigger.handler import MigrateUser, PasswordPolicy, Settings
from cognito_migrate.trigger.staging import StagedUser, create_staging_table, stage_users

PASSWORD = "Legacy-pass1!"
# bcrypt cost 13 of PASSWORD, made once (1 s here): over Cognito's import limit of 12.
COST_13_HASH = "$2b$13$iGDEf95hJlVowi2BgIBkbObcHxAtPfYRLUsvh.xR5aT2BUTv5/pJG"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
ACCOUNT = "123456789012"


_clients: dict[tuple[int, str], Any] = {}


def client(local: LocalCognito, service: str) -> Any:
    """One boto3 client per service for the whole module: building one costs about 0.1 s."""
    key = (id(local), service)
    if key not in _clients:
        _clients[key] = local.client(service)
    return _clients[key]


def staged(username: str, password: str, *, stored_hash: str = "", **attributes: str) -> StagedUser:
    email = attributes.get("email", f"{username}@example.com")
    return StagedUser(
        username=username,
        password_hash=stored_hash or bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode(),
        aliases={"email": email},
        attributes={"email": email, "email_verified": "true", "custom:legacy_id": username[::-1]}
        | attributes,
        groups=("staff",),
    )


@pytest.fixture
def table(local_cognito: LocalCognito) -> str:
    name = f"jit-{uuid.uuid4().hex[:10]}"
    create_staging_table(client(local_cognito, "dynamodb"), name)
    return name


def new_arn(local: LocalCognito) -> str:
    return f"arn:aws:lambda:{local.region}:{ACCOUNT}:function:migrate-{uuid.uuid4().hex[:10]}"


def make_pool(local: LocalCognito, arn: str, **settings: Any) -> tuple[str, str]:
    """A pool whose UserMigration trigger is ``arn``, with custom:legacy_id and a public client.

    The trigger is set at CreateUserPool: attaching it to an existing pool without losing its other
    settings is `trigger deploy`'s job (issue 8, item 3).
    """
    idp = client(local, "cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"jit-{uuid.uuid4().hex[:8]}",
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        LambdaConfig={"UserMigration": arn},
        **settings,
    )["UserPool"]["Id"]
    app = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=FLOWS)
    return pool_id, app["UserPoolClient"]["ClientId"]


def in_process_pool(
    local: LocalCognito, table: str, pool: dict[str, Any], **settings: Any
) -> tuple[str, str]:
    """A pool whose trigger is the handler, registered in-process with a client for the local server."""
    arn = new_arn(local)
    register_python_function(
        local, arn, MigrateUser(Settings(table=table, **settings), client(local, "dynamodb"))
    )
    return make_pool(local, arn, **pool)


def sign_in(local: LocalCognito, client_id: str, username: str, password: str) -> dict[str, Any]:
    answer: dict[str, Any] = client(local, "cognito-idp").initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return answer


def refused(local: LocalCognito, client_id: str, username: str, password: str) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        sign_in(local, client_id, username, password)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def user(local: LocalCognito, pool_id: str, username: str) -> tuple[str, dict[str, str]]:
    found = client(local, "cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)
    attributes = {item["Name"]: item["Value"] for item in found["UserAttributes"] if item["Name"] != "sub"}
    return found["UserStatus"], attributes


def no_such_user(local: LocalCognito, pool_id: str, username: str) -> bool:
    try:
        client(local, "cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "UserNotFoundException"
    return False


def zipped_function(local: LocalCognito, environment: dict[str, str]) -> str:
    """CreateFunction with the handler named as `trigger deploy` will name it. The zip holds nothing
    of ours: the local runner's interpreter has cognito_migrate installed (the built zip is item 3)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "code comes from the interpreter's site-packages in this test")
    name = f"migrate-{uuid.uuid4().hex[:10]}"
    trust = {
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]
    }
    role = client(local, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    created = client(local, "lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="cognito_migrate.trigger.handler.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": environment},
        Timeout=5,
    )
    return str(created["FunctionArn"])


def test_a_user_whose_hash_cognito_cannot_import_signs_in_and_is_confirmed(
    local_cognito: LocalCognito, table: str
) -> None:
    # bcrypt cost 13 is over Cognito's import limit of 12: only the trigger can check it.
    alice = staged("alice", PASSWORD, stored_hash=COST_13_HASH)
    stage_users(client(local_cognito, "dynamodb"), table, [alice])
    arn = zipped_function(local_cognito, {"COGNITO_MIGRATE_TABLE": table})
    pool_id, client_id = make_pool(local_cognito, arn)

    assert sign_in(local_cognito, client_id, "alice", PASSWORD)["AuthenticationResult"]["AccessToken"]
    status, attributes = user(local_cognito, pool_id, "alice")
    assert status == "CONFIRMED"
    assert attributes == {"email": "alice@example.com", "email_verified": "true", "custom:legacy_id": "ecila"}
    assert welcome_messages(local_cognito, pool_id) == 0  # SUPPRESS
    # Signed in again: Cognito has the user now, with the same password.
    assert sign_in(local_cognito, client_id, "alice", PASSWORD)["AuthenticationResult"]["AccessToken"]


@pytest.fixture
def plain_pool(local_cognito: LocalCognito, table: str) -> tuple[str, str]:
    stage_users(
        client(local_cognito, "dynamodb"),
        table,
        [staged("bob", PASSWORD), staged("carol", "password"), staged("dave", PASSWORD)],
    )
    return in_process_pool(local_cognito, table, {})


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    local_cognito: LocalCognito, plain_pool: tuple[str, str]
) -> None:
    pool_id, client_id = plain_pool
    wrong_password = refused(local_cognito, client_id, "bob", "Legacy-pass2!")
    unknown_user = refused(local_cognito, client_id, "nobody", PASSWORD)
    assert wrong_password == unknown_user
    assert wrong_password[0] == "UserLambdaValidationException"
    assert "password" in wrong_password[1].lower()
    assert no_such_user(local_cognito, pool_id, "bob")
    assert no_such_user(local_cognito, pool_id, "nobody")
    # The right password still works after a wrong one.
    assert sign_in(local_cognito, client_id, "bob", PASSWORD)["AuthenticationResult"]["AccessToken"]


def test_a_correct_but_weak_legacy_password_must_be_reset(
    local_cognito: LocalCognito, plain_pool: tuple[str, str]
) -> None:
    pool_id, client_id = plain_pool
    # "password" was fine for the legacy system; the pool's default policy wants more.
    assert refused(local_cognito, client_id, "carol", "password")[0] == "PasswordResetRequiredException"
    status, attributes = user(local_cognito, pool_id, "carol")
    assert status == "RESET_REQUIRED"
    assert attributes["email_verified"] == "true"  # so the reset code can be sent


def test_forgot_password_migrates_the_user_as_reset_required(
    local_cognito: LocalCognito, plain_pool: tuple[str, str]
) -> None:
    pool_id, client_id = plain_pool
    idp = client(local_cognito, "cognito-idp")
    assert idp.forgot_password(ClientId=client_id, Username="dave")["CodeDeliveryDetails"]
    status, attributes = user(local_cognito, pool_id, "dave")
    assert status == "RESET_REQUIRED"
    assert attributes["custom:legacy_id"] == "evad"
    with pytest.raises(ClientError) as unknown:
        idp.forgot_password(ClientId=client_id, Username="nobody")
    assert unknown.value.response["Error"]["Message"] == refused(local_cognito, client_id, "nobody", "x")[1]


def test_in_an_alias_pool_a_user_signs_in_with_their_email(local_cognito: LocalCognito, table: str) -> None:
    stage_users(
        client(local_cognito, "dynamodb"), table, [staged("erin", PASSWORD, email="Erin@Example.com")]
    )
    pool = {"AliasAttributes": ["email"]}
    pool_id, client_id = in_process_pool(local_cognito, table, pool, alias_attributes=("email",))

    # Typed in another case: email aliases match whatever the case.
    assert sign_in(local_cognito, client_id, "erin@example.com", PASSWORD)["AuthenticationResult"]
    status, attributes = user(local_cognito, pool_id, "erin")  # the legacy username, not the email
    assert status == "CONFIRMED"
    assert attributes["email"] == "Erin@Example.com"
    assert sign_in(local_cognito, client_id, "erin", PASSWORD)["AuthenticationResult"]


def test_usernames_match_whatever_the_case_in_a_case_insensitive_pool(
    local_cognito: LocalCognito, table: str
) -> None:
    stage_users(client(local_cognito, "dynamodb"), table, [staged("Frank", PASSWORD)])
    pool = {"UsernameConfiguration": {"CaseSensitive": False}}
    pool_id, client_id = in_process_pool(local_cognito, table, pool)
    assert sign_in(local_cognito, client_id, "frank", PASSWORD)["AuthenticationResult"]
    assert user(local_cognito, pool_id, "frank")[0] == "CONFIRMED"


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Legacy-pass1!", True),
        ("Legacy pass1", True),  # an inner space is a symbol
        (" Legacypass1!", False),  # leading or trailing whitespace is refused
        ("Legacy-pass!", False),  # no number
        ("legacy-pass1", False),  # no uppercase
        ("Lp1!", False),  # too short
        ("Legacy-pass1!" * 20, False),  # over 256 characters
    ],
)
def test_the_default_password_policy_is_cognitos(password: str, accepted: bool) -> None:
    assert PasswordPolicy().accepts(password) is accepted


def test_a_pool_policy_from_describe_user_pool_relaxes_the_checks() -> None:
    relaxed = PasswordPolicy.from_cognito(
        {"MinimumLength": 6, "RequireSymbols": False, "RequireUppercase": False}
    )
    assert relaxed.accepts("legacy1") is True
    assert relaxed.accepts("legacy") is False  # numbers still required
