"""`trigger deploy` / `trigger remove` against the local Cognito: the migrate-user function is attached
to a pool full of settings and detached again, and nothing else about the pool changes."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import bcrypt
import pytest
from botocore.exceptions import ClientError

from cognito_migrate.cleanup import AccountScope, ToolFunctions, remove_created_resources
from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito
from cognito_migrate.trigger.deploy import (
    HANDLER,
    deploy_trigger,
    function_name,
    function_policy_statements,
    remove_trigger,
    role_name,
)
from cognito_migrate.trigger.pool_settings import update_request
from cognito_migrate.trigger.staging import StagedUser, create_staging_table, stage_users

ACCOUNT = "123456789012"  # moto's
PASSWORD = "Legacy-pass1!"
OTHER_TRIGGER = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:someone-elses-pre-sign-up"


@pytest.fixture(scope="module")
def scope(local_cognito: LocalCognito) -> AccountScope:
    # One scope (and its clients) for the module: making a client costs about 0.1 s.
    return AccountScope.of(local_cognito.settings())


@pytest.fixture(scope="module")
def code() -> bytes:
    """The zip as tests/test_trigger_handler.py builds it: the local runner's interpreter already has
    cognito_migrate installed, so the zip need not carry it (building a real one is `trigger build`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "code comes from the interpreter's site-packages in this test")
    return buffer.getvalue()


@pytest.fixture
def table(scope: AccountScope) -> str:
    name = f"jit-{uuid.uuid4().hex[:10]}"
    create_staging_table(scope.client("dynamodb"), name)
    return name


def rich_pool(scope: AccountScope) -> str:
    """A pool with a setting in nearly every place UpdateUserPool would reset, and another trigger."""
    idp = scope.client("cognito-idp")
    return str(
        idp.create_user_pool(
            PoolName=f"rich-{uuid.uuid4().hex[:8]}",
            Policies={
                "PasswordPolicy": {
                    "MinimumLength": 10,
                    "RequireUppercase": True,
                    "RequireLowercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": False,
                    "TemporaryPasswordValidityDays": 3,
                }
            },
            LambdaConfig={"PreSignUp": OTHER_TRIGGER},
            AliasAttributes=["email", "preferred_username"],
            UsernameConfiguration={"CaseSensitive": False},
            AutoVerifiedAttributes=["email"],
            MfaConfiguration="OPTIONAL",
            SmsConfiguration={"SnsCallerArn": f"arn:aws:iam::{ACCOUNT}:role/sms", "ExternalId": "ext-1"},
            SmsAuthenticationMessage="Your sign-in code is {####}",
            EmailVerificationMessage="Welcome! Your code is {####}",
            EmailVerificationSubject="Verify your address",
            VerificationMessageTemplate={
                "EmailMessage": "Welcome! Your code is {####}",
                "EmailSubject": "Verify your address",
                "SmsMessage": "Code: {####}",
                "DefaultEmailOption": "CONFIRM_WITH_CODE",
            },
            SmsVerificationMessage="Code: {####}",
            DeviceConfiguration={
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": True,
            },
            EmailConfiguration={
                "EmailSendingAccount": "COGNITO_DEFAULT",
                "ReplyToEmailAddress": "help@example.com",
            },
            AdminCreateUserConfig={
                "AllowAdminCreateUserOnly": True,
                "InviteMessageTemplate": {
                    "EmailMessage": "Hello {username}, your password is {####}",
                    "EmailSubject": "Your new account",
                    "SMSMessage": "User {username} password {####}",
                },
            },
            UserPoolTags={"team": "identity", "cost-centre": "42"},
            DeletionProtection="ACTIVE",
            UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
            AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"},
            UserPoolTier="PLUS",
            Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
    )


def described(scope: AccountScope, pool_id: str) -> dict[str, Any]:
    pool = scope.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"]
    pool.pop("LastModifiedDate", None)
    return dict(pool)


def test_deploy_changes_only_the_migrate_user_trigger_and_remove_restores_the_pool(
    scope: AccountScope, code: bytes, table: str
) -> None:
    pool_id = rich_pool(scope)
    original = described(scope, pool_id)
    assert original["AliasAttributes"] == ["email", "preferred_username"]  # the setup took

    result = deploy_trigger(scope, pool_id, code, table)

    after = described(scope, pool_id)
    assert after["LambdaConfig"] == {
        "PreSignUp": OTHER_TRIGGER,
        "UserMigration": result.function_arn,
        "PostAuthentication": result.function_arn,  # gives staged users their groups
    }
    assert {**after, "LambdaConfig": original["LambdaConfig"]} == original
    assert result.changed_settings == ()
    assert (result.function_created, result.role_created, result.replaced_trigger) == (True, True, None)
    assert result.function_name == function_name(pool_id) == f"cognito-migrate-{pool_id}"

    # Cognito may invoke the function for this pool only.
    statements = function_policy_statements(scope.client("lambda"), result.function_name)
    assert len(statements) == 1
    statement = statements[0]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Principal"] == {"Service": "cognito-idp.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == original["Arn"]
    assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT

    # The function is configured from the pool.
    config = scope.client("lambda").get_function_configuration(FunctionName=result.function_name)
    assert (config["Handler"], config["Runtime"], config["Timeout"]) == (HANDLER, "python3.12", 5)
    environment = config["Environment"]["Variables"]
    assert environment["COGNITO_MIGRATE_TABLE"] == table
    assert environment["COGNITO_MIGRATE_CASE_SENSITIVE"] == "false"
    assert environment["COGNITO_MIGRATE_ALIAS_ATTRIBUTES"] == "email,preferred_username"
    assert environment["COGNITO_MIGRATE_USERNAME_ATTRIBUTES"] == ""
    policy = json.loads(environment["COGNITO_MIGRATE_PASSWORD_POLICY"])
    assert (policy["MinimumLength"], policy["RequireSymbols"]) == (10, False)

    removed = remove_trigger(scope, pool_id)
    assert (removed.detached, removed.permission_removed, removed.changed_settings) == (True, True, ())
    assert described(scope, pool_id) == original
    assert function_policy_statements(scope.client("lambda"), result.function_name) == []
    # Kept unless asked: the function and role are still there for a later deploy.
    assert (removed.function_deleted, removed.role_deleted) == (False, False)
    assert remove_trigger(scope, pool_id, delete_function=True).function_deleted
    assert described(scope, pool_id) == original


def test_the_execution_role_is_least_privilege(scope: AccountScope, code: bytes, table: str) -> None:
    pool_id = rich_pool(scope)
    result = deploy_trigger(scope, pool_id, code, table)
    pool_arn = described(scope, pool_id)["Arn"]
    iam = scope.client("iam")
    role = iam.get_role(RoleName=result.role_name)["Role"]
    assert result.role_name == role_name(pool_id)
    assert role["Path"] == "/cognito-migrate/"
    tags = {tag["Key"]: tag["Value"] for tag in iam.list_role_tags(RoleName=result.role_name)["Tags"]}
    assert tags["cognito-migrate:managed"] == "true"
    assert tags["cognito-migrate:region"] == scope.region
    assert tags["cognito-migrate:user-pool"] == pool_id  # how cleanup finds the function
    trust = role["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]
    assert iam.list_attached_role_policies(RoleName=result.role_name)["AttachedPolicies"] == []
    (name,) = iam.list_role_policies(RoleName=result.role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=result.role_name, PolicyName=name)["PolicyDocument"]
    granted = {action: statement["Resource"] for statement in document["Statement"]
               for action in statement["Action"]}  # fmt: skip
    assert all(statement["Effect"] == "Allow" for statement in document["Statement"])
    table_arn = scope.client("dynamodb").describe_table(TableName=table)["Table"]["TableArn"]
    group = f"arn:aws:logs:{scope.region}:{ACCOUNT}:log-group:/aws/lambda/{result.function_name}"
    assert granted == {
        "dynamodb:GetItem": [table_arn],
        "dynamodb:UpdateItem": [table_arn],  # marks a user's groups given
        "cognito-idp:AdminAddUserToGroup": [pool_arn],
        "logs:CreateLogGroup": [group, f"{group}:*"],
        "logs:CreateLogStream": [f"{group}:log-stream:*"],
        "logs:PutLogEvents": [f"{group}:log-stream:*"],
    }
    remove_trigger(scope, pool_id, delete_function=True)
    with pytest.raises(ClientError):
        iam.get_role(RoleName=result.role_name)


def test_a_staged_user_signs_in_through_the_deployed_trigger(
    scope: AccountScope, code: bytes, table: str
) -> None:
    idp = scope.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"jit-{uuid.uuid4().hex[:8]}",
        UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=flows)[
        "UserPoolClient"
    ]["ClientId"]
    legacy_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    user = StagedUser(
        username="Alice",
        password_hash=legacy_hash,
        aliases={"email": "alice@example.com"},
        attributes={"email": "alice@example.com", "email_verified": "true", "custom:legacy_id": "a-1"},
    )
    stage_users(scope.client("dynamodb"), table, [user], case_sensitive=False)

    def sign_in(username: str) -> dict[str, Any]:
        answer: dict[str, Any] = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        return answer

    with pytest.raises(ClientError):  # no trigger yet: nobody knows Alice
        sign_in("alice")
    deploy_trigger(scope, pool_id, code, table)
    # Deploying again updates the function in place and keeps it attached.
    again = deploy_trigger(scope, pool_id, code, table)
    assert (again.function_created, again.role_created, again.changed_settings) == (False, False, ())
    assert len(function_policy_statements(scope.client("lambda"), again.function_name)) == 1

    assert sign_in("alice")["AuthenticationResult"]["AccessToken"]
    found = idp.admin_get_user(UserPoolId=pool_id, Username="alice")
    assert found["UserStatus"] == "CONFIRMED"
    attributes = {item["Name"]: item["Value"] for item in found["UserAttributes"]}
    assert attributes["custom:legacy_id"] == "a-1"

    removed = remove_trigger(scope, pool_id, delete_function=True)
    assert (removed.detached, removed.function_deleted, removed.role_deleted) == (True, True, True)
    assert "UserMigration" not in described(scope, pool_id).get("LambdaConfig", {})
    assert sign_in("alice")["AuthenticationResult"]  # migrated users no longer need the trigger


def test_a_pool_with_someone_elses_migrate_user_trigger_is_left_alone(
    scope: AccountScope, code: bytes, table: str
) -> None:
    theirs = f"arn:aws:lambda:{scope.region}:{ACCOUNT}:function:their-migration"
    idp = scope.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"theirs-{uuid.uuid4().hex[:8]}", LambdaConfig={"UserMigration": theirs}
    )["UserPool"]["Id"]
    original = described(scope, pool_id)
    with pytest.raises(ConfigError, match="already has a migrate-user trigger"):
        deploy_trigger(scope, pool_id, code, table)
    removed = remove_trigger(scope, pool_id)
    assert (removed.detached, removed.other_trigger) == (False, theirs)
    assert described(scope, pool_id) == original

    replaced = deploy_trigger(scope, pool_id, code, table, replace_trigger=True)
    assert replaced.replaced_trigger == theirs
    assert described(scope, pool_id)["LambdaConfig"] == dict.fromkeys(
        ("UserMigration", "PostAuthentication"), replaced.function_arn
    )
    remove_trigger(scope, pool_id, delete_function=True)


def test_cleanup_detaches_the_function_before_deleting_it(
    scope: AccountScope, local_cognito: LocalCognito, code: bytes, table: str
) -> None:
    pool_id = rich_pool(scope)
    original = described(scope, pool_id)
    result = deploy_trigger(scope, pool_id, code, table)

    planned = remove_created_resources(local_cognito.settings(), dry_run=True, kinds=(ToolFunctions(),))
    (found,) = [resource for resource in planned.found if resource.name == result.function_name]
    assert found.details == (f"migrate-user trigger of user pool {pool_id}, detached first",)
    assert described(scope, pool_id)["LambdaConfig"]["UserMigration"] == result.function_arn

    report = remove_created_resources(local_cognito.settings(), kinds=(ToolFunctions(),))
    assert result.function_name in [resource.name for resource in report.removed]
    assert report.failed == []
    assert described(scope, pool_id) == original
    with pytest.raises(ClientError):
        scope.client("lambda").get_function(FunctionName=result.function_name)
    remove_trigger(scope, pool_id, delete_function=True)  # the role; and a second remove is harmless


def test_the_update_request_drops_read_only_fields_at_every_depth() -> None:
    pool = {
        "Id": "eu-west-1_abc",
        "Name": "users",
        "Arn": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc",
        "SchemaAttributes": [{"Name": "email"}],
        "AliasAttributes": ["email"],
        "SmsConfigurationFailure": "SNS sandbox",
        "MfaConfiguration": "OPTIONAL",
        "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "Unknown": 1},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 9},
        "Policies": {"PasswordPolicy": {"MinimumLength": 12}},
        "LambdaConfig": {"PreSignUp": OTHER_TRIGGER},
    }
    request = update_request(pool, lambda_config={**pool["LambdaConfig"], "UserMigration": "arn:fn"})
    assert request == {
        "UserPoolId": "eu-west-1_abc",
        "PoolName": "users",
        "MfaConfiguration": "OPTIONAL",
        "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"},
        # Cognito refuses the deprecated field: its value moves to where Cognito wants it.
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "Policies": {"PasswordPolicy": {"MinimumLength": 12, "TemporaryPasswordValidityDays": 9}},
        "LambdaConfig": {"PreSignUp": OTHER_TRIGGER, "UserMigration": "arn:fn"},
    }
