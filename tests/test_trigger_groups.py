"""Groups after sign-in: the deployed function, attached as PostAuthentication too, gives a staged user
their groups on the first sign-in and never again."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

import bcrypt
import pytest

from cognito_migrate.cleanup import AccountScope
from cognito_migrate.local import LocalCognito
from cognito_migrate.trigger.deploy import deploy_trigger, remove_trigger
from cognito_migrate.trigger.layout import GROUPS_APPLIED, KEY, user_key
from cognito_migrate.trigger.staging import StagedUser, create_staging_table, stage_users

PASSWORD = "Legacy-pass1!"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture(scope="module")
def scope(local_cognito: LocalCognito) -> AccountScope:
    return AccountScope.of(local_cognito.settings())


@pytest.fixture(scope="module")
def code() -> bytes:
    # As in tests/test_trigger_deploy.py: the local runner's interpreter has cognito_migrate installed.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "code comes from the interpreter's site-packages in this test")
    return buffer.getvalue()


def groups_of(scope: AccountScope, pool_id: str, username: str) -> set[str]:
    answer = scope.client("cognito-idp").admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    return {group["GroupName"] for group in answer["Groups"]}


def pool_with_trigger(
    scope: AccountScope, code: bytes, groups: tuple[str, ...], **settings: Any
) -> tuple[str, str, str]:
    """A case-insensitive pool with ``groups``, a staging table, and the trigger deployed."""
    idp = scope.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"groups-{uuid.uuid4().hex[:8]}", UsernameConfiguration={"CaseSensitive": False}, **settings
    )["UserPool"]["Id"]
    for group in groups:
        idp.create_group(UserPoolId=pool_id, GroupName=group)
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=FLOWS)[
        "UserPoolClient"
    ]["ClientId"]
    table = f"jit-{uuid.uuid4().hex[:10]}"
    create_staging_table(scope.client("dynamodb"), table)
    deploy_trigger(scope, pool_id, code, table)
    return pool_id, client_id, table


def stage(
    scope: AccountScope,
    table: str,
    username: str,
    groups: tuple[str, ...],
    aliases: dict[str, str] | None = None,
) -> None:
    user = StagedUser(
        username=username,
        password_hash=bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
        aliases=aliases or {},
        attributes={"email": f"{username.lower()}@example.com", "email_verified": "true"},
        groups=groups,
    )
    stage_users(scope.client("dynamodb"), table, [user], case_sensitive=False)


def sign_in(scope: AccountScope, client_id: str, username: str) -> dict[str, Any]:
    answer: dict[str, Any] = scope.client("cognito-idp").initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return answer


def applied_flag(scope: AccountScope, table: str, username: str) -> bool:
    item = scope.client("dynamodb").get_item(TableName=table, Key={KEY: {"S": user_key(username, False)}})
    return bool(item["Item"].get(GROUPS_APPLIED, {}).get("BOOL"))


def test_the_first_sign_in_gives_the_staged_groups_and_later_ones_do_not(
    scope: AccountScope, code: bytes
) -> None:
    pool_id, client_id, table = pool_with_trigger(scope, code, ("staff", "gpu"))
    stage(scope, table, "Grace", ("staff", "gpu"))
    assert not applied_flag(scope, table, "grace")

    assert sign_in(scope, client_id, "grace")["AuthenticationResult"]["AccessToken"]
    assert groups_of(scope, pool_id, "grace") == {"staff", "gpu"}
    assert applied_flag(scope, table, "grace")

    # Someone takes Grace out of a group: her next sign-in must not put her back.
    scope.client("cognito-idp").admin_remove_user_from_group(
        UserPoolId=pool_id, Username="grace", GroupName="staff"
    )
    assert sign_in(scope, client_id, "grace")["AuthenticationResult"]["AccessToken"]
    assert groups_of(scope, pool_id, "grace") == {"gpu"}
    remove_trigger(scope, pool_id, delete_function=True)


def test_a_group_the_pool_lacks_does_not_stop_the_sign_in_or_the_other_groups(
    scope: AccountScope, code: bytes
) -> None:
    pool_id, client_id, table = pool_with_trigger(scope, code, ("staff",))
    stage(scope, table, "ada", ("no-such-group", "staff"))
    assert sign_in(scope, client_id, "ada")["AuthenticationResult"]["AccessToken"]
    assert groups_of(scope, pool_id, "ada") == {"staff"}
    assert applied_flag(scope, table, "ada")

    # A user who was never staged signs in as before: nothing to give, nothing refused.
    idp = scope.client("cognito-idp")
    idp.admin_create_user(UserPoolId=pool_id, Username="native", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="native", Password=PASSWORD, Permanent=True)
    assert sign_in(scope, client_id, "native")["AuthenticationResult"]["AccessToken"]
    assert groups_of(scope, pool_id, "native") == set()
    remove_trigger(scope, pool_id, delete_function=True)


def test_in_a_pool_that_signs_in_by_email_the_user_is_found_by_the_email(
    scope: AccountScope, code: bytes
) -> None:
    # Cognito names such users by a generated id: the event's userName is not the legacy username.
    pool_id, client_id, table = pool_with_trigger(scope, code, ("staff",), UsernameAttributes=["email"])
    stage(scope, table, "hedy", ("staff",), aliases={"email": "hedy@example.com"})
    assert sign_in(scope, client_id, "hedy@example.com")["AuthenticationResult"]["AccessToken"]
    assert groups_of(scope, pool_id, "hedy@example.com") == {"staff"}
    assert applied_flag(scope, table, "hedy")
    remove_trigger(scope, pool_id, delete_function=True)
