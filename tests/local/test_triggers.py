"""Lambda triggers of the local Cognito, driven as a user would: CreateFunction with a zip, a pool whose
LambdaConfig names it, and sign-ins through boto3 over HTTP."""

from __future__ import annotations

import io
import json
import textwrap
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from botocore.exceptions import ClientError

from cognito_migrate.local import LocalCognito
from cognito_migrate.local.triggers import register_python_function, welcome_messages

OLD_PASSWORD = "Legacy-pass1"
CLIENT_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
    ],
}

# A migrate-user function as a legacy team would write it: the legacy directory (bcrypt hashes) comes
# with the code, every call is appended to a file so the test can count invocations, and an unknown
# user and a wrong password get the same answer.
MIGRATE_HANDLER = textwrap.dedent(
    """
    import json
    import os

    import bcrypt

    with open(os.path.join(os.path.dirname(__file__), "legacy.json")) as f:
        LEGACY = json.load(f)

    def handler(event, context):
        with open(os.environ["CALLS_FILE"], "a") as calls:
            calls.write(json.dumps({
                "source": event["triggerSource"],
                "userName": event["userName"],
                "has_password": "password" in event["request"],
                "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
                "environment": sorted(os.environ),
                "remaining_ms": context.get_remaining_time_in_millis(),
            }) + "\\n")
        print("handlers print; this must not break the answer")
        record = LEGACY.get(event["userName"])
        if event["triggerSource"] == "UserMigration_Authentication":
            password = event["request"]["password"].encode()[:72]
            if record is None or not bcrypt.checkpw(password, record["hash"].encode()):
                raise Exception("Incorrect username or password")
            event["response"]["finalUserStatus"] = "CONFIRMED"
        elif record is None:
            raise Exception("Incorrect username or password")
        attributes = {"email": record["email"], "email_verified": "true", "custom:legacy_id": record["id"]}
        if record.get("username"):
            attributes["username"] = record["username"]
        event["response"]["userAttributes"] = attributes
        event["response"]["messageAction"] = "SUPPRESS"
        return event
    """
)

POST_AUTH_HANDLER = textwrap.dedent(
    """
    import boto3

    def handler(event, context):
        if event["request"]["userAttributes"].get("custom:legacy_id") == "deny":
            raise Exception("Sign-in closed for this account")
        boto3.client("cognito-idp").admin_add_user_to_group(
            UserPoolId=event["userPoolId"], Username=event["userName"], GroupName="signed-in"
        )
        return event
    """
)

SLOW_HANDLER = textwrap.dedent(
    """
    import time

    def handler(event, context):
        time.sleep(5.5)  # just over Cognito's 5 seconds
        event["response"]["userAttributes"] = {"email": "late@example.com"}
        return event
    """
)


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def create_function(
    local: LocalCognito,
    files: dict[str, str],
    *,
    environment: dict[str, str] | None = None,
    timeout: int = 10,
) -> str:
    """CreateFunction through the local Lambda API, as a user would; the function's ARN."""
    name = f"trigger-{uuid.uuid4().hex[:12]}"
    role = local.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    created = local.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": zipped(files)},
        Environment={"Variables": environment or {}},
        Timeout=timeout,
    )
    return str(created["FunctionArn"])


def legacy_files(users: dict[str, dict[str, str]]) -> dict[str, str]:
    """The function's code and its legacy directory: each user's bcrypt hash instead of the password."""
    directory = {}
    for name, record in users.items():
        kept = {key: value for key, value in record.items() if key != "password"}
        kept["hash"] = bcrypt.hashpw(record["password"].encode(), bcrypt.gensalt(4)).decode()
        directory[name] = kept
    return {"handler.py": MIGRATE_HANDLER, "legacy.json": json.dumps(directory)}


def make_pool(local: LocalCognito, lambda_config: dict[str, str], **settings: Any) -> tuple[str, str]:
    idp = local.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"triggers-{uuid.uuid4().hex[:8]}",
        LambdaConfig=lambda_config,
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
        **settings,
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=CLIENT_FLOWS
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def calls_in(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def migrating_pool(local_cognito: LocalCognito, tmp_path: Path) -> tuple[str, str, Path]:
    """A pool whose migrate-user function knows alice (bcrypt hash of OLD_PASSWORD)."""
    calls = tmp_path / "calls.jsonl"
    files = legacy_files({"alice": {"password": OLD_PASSWORD, "email": "alice@example.com", "id": "17"}})
    arn = create_function(local_cognito, files, environment={"CALLS_FILE": str(calls)})
    recovery = {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    pool_id, client_id = make_pool(local_cognito, {"UserMigration": arn}, AccountRecoverySetting=recovery)
    return pool_id, client_id, calls


def attributes_of(user: dict[str, Any]) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in user["UserAttributes"]}


def test_initiate_auth_migrates_an_unknown_user_once(
    local_cognito: LocalCognito, migrating_pool: tuple[str, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_id, client_id, calls = migrating_pool
    # Nothing of the caller's environment may reach the function's process.
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-real-session-token")
    monkeypatch.setenv("DATABASE_URL", "postgresql://prod")
    idp = local_cognito.client("cognito-idp")
    sign_in = {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "alice", "PASSWORD": OLD_PASSWORD},
    }

    first = idp.initiate_auth(**sign_in)
    assert first["AuthenticationResult"]["AccessToken"]
    user = idp.admin_get_user(UserPoolId=pool_id, Username="alice")
    assert user["UserStatus"] == "CONFIRMED"
    assert attributes_of(user) | {"sub": "-"} == {
        "email": "alice@example.com",
        "email_verified": "true",
        "custom:legacy_id": "17",
        "sub": "-",
    }

    assert idp.initiate_auth(**sign_in)["AuthenticationResult"]["AccessToken"]
    (call,) = calls_in(calls)  # the second sign-in found the user: no second invocation
    assert call["source"] == "UserMigration_Authentication"
    assert call["userName"] == "alice"
    assert call["has_password"] is True
    assert call["endpoint"] == local_cognito.endpoint_url
    assert "AWS_SESSION_TOKEN" not in call["environment"]
    assert "DATABASE_URL" not in call["environment"]
    assert 0 < call["remaining_ms"] <= 5000


def test_admin_initiate_auth_migrates_an_unknown_user(
    local_cognito: LocalCognito, migrating_pool: tuple[str, str, Path]
) -> None:
    pool_id, client_id, calls = migrating_pool
    idp = local_cognito.client("cognito-idp")
    signed_in = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": OLD_PASSWORD},
    )
    assert signed_in["AuthenticationResult"]["IdToken"]
    assert idp.admin_get_user(UserPoolId=pool_id, Username="alice")["UserStatus"] == "CONFIRMED"
    assert [call["source"] for call in calls_in(calls)] == ["UserMigration_Authentication"]


def test_forgot_password_migrates_the_user_as_reset_required(
    local_cognito: LocalCognito, migrating_pool: tuple[str, str, Path]
) -> None:
    pool_id, client_id, calls = migrating_pool
    idp = local_cognito.client("cognito-idp")

    sent = idp.forgot_password(ClientId=client_id, Username="alice")
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    (call,) = calls_in(calls)
    assert call["source"] == "UserMigration_ForgotPassword"
    assert call["has_password"] is False  # no password in a forgot-password event
    user = idp.admin_get_user(UserPoolId=pool_id, Username="alice")
    assert user["UserStatus"] == "RESET_REQUIRED"
    assert attributes_of(user)["custom:legacy_id"] == "17"

    with pytest.raises(ClientError) as refused:  # the old password no longer opens the account
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": OLD_PASSWORD},
        )
    assert refused.value.response["Error"]["Code"] == "PasswordResetRequiredException"

    idp.confirm_forgot_password(
        ClientId=client_id, Username="alice", ConfirmationCode="123456", Password="Brand-new-pass1"
    )
    signed_in = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Brand-new-pass1"},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]
    assert len(calls_in(calls)) == 1


def test_a_wrong_password_denies_sign_in_and_creates_nobody(
    local_cognito: LocalCognito, migrating_pool: tuple[str, str, Path]
) -> None:
    pool_id, client_id, _ = migrating_pool
    idp = local_cognito.client("cognito-idp")
    for name, password in (("alice", "not-her-password"), ("mallory", OLD_PASSWORD)):
        with pytest.raises(ClientError) as denied:
            idp.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": name, "PASSWORD": password},
            )
        error = denied.value.response["Error"]
        assert error["Code"] == "UserLambdaValidationException"
        # The same answer for an unknown user and a wrong password.
        assert error["Message"] == "UserMigration failed with error Incorrect username or password."
        with pytest.raises(ClientError, match="UserNotFoundException"):
            idp.admin_get_user(UserPoolId=pool_id, Username=name)


def test_alias_sign_in_creates_a_user_with_its_own_username(
    local_cognito: LocalCognito, tmp_path: Path
) -> None:
    calls = tmp_path / "calls.jsonl"
    files = legacy_files(
        {
            "bob@example.com": {
                "password": OLD_PASSWORD,
                "email": "bob@example.com",
                "id": "42",
                "username": "bob42",
            }
        }
    )
    arn = create_function(local_cognito, files, environment={"CALLS_FILE": str(calls)})
    pool_id, client_id = make_pool(local_cognito, {"UserMigration": arn}, AliasAttributes=["email"])
    idp = local_cognito.client("cognito-idp")
    sign_in = {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "bob@example.com", "PASSWORD": OLD_PASSWORD},
    }

    assert idp.initiate_auth(**sign_in)["AuthenticationResult"]["AccessToken"]
    user = idp.admin_get_user(UserPoolId=pool_id, Username="bob42")
    assert user["Username"] == "bob42"
    assert attributes_of(user)["email"] == "bob@example.com"
    assert idp.initiate_auth(**sign_in)["AuthenticationResult"]["AccessToken"]  # by the verified alias
    assert [call["userName"] for call in calls_in(calls)] == ["bob@example.com"]


def test_post_authentication_function_calls_back_into_the_local_cognito(local_cognito: LocalCognito) -> None:
    arn = create_function(local_cognito, {"handler.py": POST_AUTH_HANDLER})
    pool_id, client_id = make_pool(local_cognito, {"PostAuthentication": arn})
    idp = local_cognito.client("cognito-idp")
    idp.create_group(UserPoolId=pool_id, GroupName="signed-in")
    for name, legacy_id in (("carol", "1"), ("dave", "deny")):
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username=name,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "custom:legacy_id", "Value": legacy_id}],
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password="Fresh-pass1", Permanent=True)

    signed_in = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": "Fresh-pass1"},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="carol")["Groups"]
    assert [group["GroupName"] for group in groups] == ["signed-in"]

    with pytest.raises(ClientError) as denied:
        idp.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "dave", "PASSWORD": "Fresh-pass1"},
        )
    assert denied.value.response["Error"] == {
        "Code": "UserLambdaValidationException",
        "Message": "PostAuthentication failed with error Sign-in closed for this account.",
    }


def test_a_handler_that_cannot_be_imported_denies_sign_in(local_cognito: LocalCognito) -> None:
    arn = create_function(local_cognito, {"other.py": "def handler(event, context):\n    return event\n"})
    _, client_id = make_pool(local_cognito, {"UserMigration": arn})
    idp = local_cognito.client("cognito-idp")
    with pytest.raises(ClientError) as denied:
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "judy", "PASSWORD": OLD_PASSWORD},
        )
    assert denied.value.response["Error"] == {
        "Code": "UserLambdaValidationException",
        "Message": "UserMigration failed with error "
        "Unable to import module 'handler': No module named 'handler'.",
    }


@pytest.mark.slow
def test_a_function_slower_than_five_seconds_is_cut_off(local_cognito: LocalCognito) -> None:
    arn = create_function(local_cognito, {"handler.py": SLOW_HANDLER}, timeout=30)
    pool_id, client_id = make_pool(local_cognito, {"UserMigration": arn})
    idp = local_cognito.client("cognito-idp")
    with pytest.raises(ClientError) as denied:
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "late", "PASSWORD": OLD_PASSWORD},
        )
    error = denied.value.response["Error"]
    assert error["Code"] == "UserLambdaValidationException"
    assert "timed out" in error["Message"]
    with pytest.raises(ClientError, match="UserNotFoundException"):
        idp.admin_get_user(UserPoolId=pool_id, Username="late")


# ── handler logic with a registered Python callable (in-process) ────────────────────────────────────


def registered(local: LocalCognito, function: Callable[[dict[str, Any], Any], Any]) -> str:
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:unit-{uuid.uuid4().hex[:12]}"
    register_python_function(local, arn, function)
    return arn


def test_a_registered_callable_sees_the_documented_event(local_cognito: LocalCognito) -> None:
    seen: list[dict[str, Any]] = []

    def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(json.loads(json.dumps(event)))
        assert context.get_remaining_time_in_millis() > 0
        event["response"] = {
            "userAttributes": {"email": "erin@example.com", "custom:legacy_id": "7"},
            "finalUserStatus": "CONFIRMED",
        }
        return event

    pool_id, client_id = make_pool(local_cognito, {"UserMigration": registered(local_cognito, migrate)})
    idp = local_cognito.client("cognito-idp")
    signed_in = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "erin", "PASSWORD": "S3cret-pass"},
        ClientMetadata={"app": "portal"},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]
    (event,) = seen
    assert event == {
        "version": "1",
        "triggerSource": "UserMigration_Authentication",
        "region": "us-east-1",
        "userPoolId": pool_id,
        "userName": "erin",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": {
            "password": "S3cret-pass",
            "validationData": {"app": "portal"},
            "clientMetadata": {"app": "portal"},
        },
        "response": {},
    }
    # messageAction omitted: Cognito would send a welcome message; the local one only counts it.
    assert welcome_messages(local_cognito, pool_id) == 1


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"finalUserStatus": "CONFIRMED"}, "userAttributes is required"),
        ({"userAttributes": {"email": "x@example.com", "shoe_size": "9"}}, "shoe_size"),
        ({"userAttributes": {"email": "x@example.com", "sub": "mine"}}, "sub"),
        ({"userAttributes": {"email": "x@example.com"}, "finalUserStatus": "ACTIVE"}, "finalUserStatus"),
        ({"userAttributes": {"email": "x@example.com", "username": "someone-else"}}, "username"),
    ],
)
def test_an_answer_that_cannot_create_a_user_denies_sign_in(
    local_cognito: LocalCognito, response: dict[str, Any], message: str
) -> None:
    def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["response"] = response
        return event

    pool_id, client_id = make_pool(local_cognito, {"UserMigration": registered(local_cognito, migrate)})
    idp = local_cognito.client("cognito-idp")
    with pytest.raises(ClientError) as denied:
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "frank", "PASSWORD": "S3cret-pass"},
        )
    assert denied.value.response["Error"]["Code"] == "UserLambdaValidationException"
    assert message in denied.value.response["Error"]["Message"]
    assert idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_alias_sign_in_without_a_username_of_its_own_is_refused(local_cognito: LocalCognito) -> None:
    def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["response"] = {"userAttributes": {"email": event["userName"], "email_verified": "true"}}
        return event

    _, client_id = make_pool(
        local_cognito, {"UserMigration": registered(local_cognito, migrate)}, AliasAttributes=["email"]
    )
    idp = local_cognito.client("cognito-idp")
    with pytest.raises(ClientError) as denied:
        idp.forgot_password(ClientId=client_id, Username="gina@example.com")
    assert denied.value.response["Error"]["Code"] == "UserLambdaValidationException"
    assert "username" in denied.value.response["Error"]["Message"]


def test_email_username_pool_stores_a_uuid_username(local_cognito: LocalCognito) -> None:
    def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["response"] = {
            "userAttributes": {"email_verified": "true"},
            "finalUserStatus": "CONFIRMED",
            "messageAction": "SUPPRESS",
        }
        return event

    pool_id, client_id = make_pool(
        local_cognito, {"UserMigration": registered(local_cognito, migrate)}, UsernameAttributes=["email"]
    )
    idp = local_cognito.client("cognito-idp")
    signed_in = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "hana@example.com", "PASSWORD": "S3cret-pass"},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]
    (user,) = idp.list_users(UserPoolId=pool_id)["Users"]
    attributes = {item["Name"]: item["Value"] for item in user["Attributes"]}
    assert user["Username"] == attributes["sub"]
    assert attributes["email"] == "hana@example.com"
    assert welcome_messages(local_cognito, pool_id) == 0  # SUPPRESS


def test_an_existing_user_never_reaches_the_function(local_cognito: LocalCognito) -> None:
    def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise AssertionError("the user exists: the trigger must not run")

    pool_id, client_id = make_pool(local_cognito, {"UserMigration": registered(local_cognito, migrate)})
    idp = local_cognito.client("cognito-idp")
    idp.admin_create_user(UserPoolId=pool_id, Username="ivan", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="ivan", Password="Fresh-pass1", Permanent=True)
    with pytest.raises(ClientError) as refused:
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ivan", "PASSWORD": "wrong-pass1"},
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_post_authentication_sees_the_migrated_user_by_its_stored_name(local_cognito: LocalCognito) -> None:
    seen: list[dict[str, Any]] = []

    def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["response"] = {
            "userAttributes": {"username": "lena7", "email": event["userName"], "email_verified": "true"},
            "finalUserStatus": "CONFIRMED",
            "messageAction": "SUPPRESS",
        }
        return event

    def post_authentication(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return event

    triggers = {
        "UserMigration": registered(local_cognito, migrate),
        "PostAuthentication": registered(local_cognito, post_authentication),
    }
    pool_id, client_id = make_pool(local_cognito, triggers, AliasAttributes=["email"])
    idp = local_cognito.client("cognito-idp")
    signed_in = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "Lena@Example.com", "PASSWORD": "S3cret-pass"},
        ClientMetadata={"not": "for post-authentication"},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]
    (event,) = seen
    sub = attributes_of(idp.admin_get_user(UserPoolId=pool_id, Username="lena7"))["sub"]
    assert event["triggerSource"] == "PostAuthentication_Authentication"
    assert event["userName"] == "lena7"
    assert event["callerContext"]["clientId"] == client_id
    assert event["request"] == {
        "userAttributes": {
            "sub": sub,
            "email": "Lena@Example.com",
            "email_verified": "true",
            "cognito:user_status": "CONFIRMED",
            "cognito:email_alias": "Lena@Example.com",
        },
        "newDeviceUsed": False,
    }


@pytest.mark.parametrize("force", [False, True])
def test_a_migrated_alias_held_by_another_user_is_refused_or_moved(
    local_cognito: LocalCognito, force: bool
) -> None:
    def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["response"] = {
            "userAttributes": {"email": "shared@example.com", "email_verified": "true"},
            "finalUserStatus": "CONFIRMED",
            "forceAliasCreation": force,
        }
        return event

    pool_id, client_id = make_pool(
        local_cognito, {"UserMigration": registered(local_cognito, migrate)}, AliasAttributes=["email"]
    )
    idp = local_cognito.client("cognito-idp")
    verified_email = [
        {"Name": "email", "Value": "shared@example.com"},
        {"Name": "email_verified", "Value": "true"},
    ]
    idp.admin_create_user(
        UserPoolId=pool_id, Username="holder", MessageAction="SUPPRESS", UserAttributes=verified_email
    )
    sign_in = {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "newcomer", "PASSWORD": "S3cret-pass"},
    }
    if not force:
        with pytest.raises(ClientError, match="AliasExistsException"):
            idp.initiate_auth(**sign_in)
        return
    assert idp.initiate_auth(**sign_in)["AuthenticationResult"]["AccessToken"]
    holder = attributes_of(idp.admin_get_user(UserPoolId=pool_id, Username="holder"))
    assert holder["email_verified"] == "false"  # the alias moved to the migrated user
