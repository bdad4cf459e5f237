"""Case-insensitive usernames and alias sign-in, as Cognito does them and moto does not."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognito_migrate.local import LocalCognito

PASSWORD = "Correct-Horse-9"
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


class Pool:
    """A fresh pool with an app client, and helpers that say what a test means."""

    def __init__(self, idp: Any, **settings: Any) -> None:
        self.idp = idp
        self.id = idp.create_user_pool(PoolName=f"rules-{uuid.uuid4().hex[:8]}", **settings)["UserPool"]["Id"]
        client = idp.create_user_pool_client(
            UserPoolId=self.id, ClientName="app", ExplicitAuthFlows=AUTH_FLOWS
        )
        self.client_id = client["UserPoolClient"]["ClientId"]

    def add_user(self, username: str, **attributes: str) -> None:
        self.idp.admin_create_user(
            UserPoolId=self.id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        )
        self.idp.admin_set_user_password(
            UserPoolId=self.id, Username=username, Password=PASSWORD, Permanent=True
        )

    def sign_in(self, name: str) -> str:
        """Signs in through InitiateAuth and AdminInitiateAuth; returns the username in the tokens."""
        public = self.idp.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )
        admin = self.idp.admin_initiate_auth(
            UserPoolId=self.id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )
        assert admin["AuthenticationResult"]["AccessToken"]
        me = self.idp.get_user(AccessToken=public["AuthenticationResult"]["AccessToken"])
        return str(me["Username"])

    def attributes(self, username: str) -> dict[str, str]:
        user = self.idp.admin_get_user(UserPoolId=self.id, Username=username)
        return {item["Name"]: item["Value"] for item in user["UserAttributes"]}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def idp(local_cognito: LocalCognito) -> Any:
    return local_cognito.client("cognito-idp")


# ── case-insensitive usernames ────────────────────────────────────────────────────────────────────────


def test_a_case_insensitive_pool_signs_users_in_whatever_case_they_type(idp: Any) -> None:
    pool = Pool(idp, UsernameConfiguration={"CaseSensitive": False})
    pool.add_user("Ada")

    for typed in ("ada", "ADA", "aDa"):
        assert pool.sign_in(typed) == "Ada"  # the stored case is kept as created (UNVERIFIED)
    assert idp.admin_get_user(UserPoolId=pool.id, Username="ADA")["Username"] == "Ada"

    idp.create_group(UserPoolId=pool.id, GroupName="staff")
    idp.admin_add_user_to_group(UserPoolId=pool.id, Username="ada", GroupName="staff")
    members = idp.list_users_in_group(UserPoolId=pool.id, GroupName="staff")["Users"]
    assert [member["Username"] for member in members] == ["Ada"]
    found = idp.list_users(UserPoolId=pool.id, Filter='username = "ADA"')["Users"]
    assert [user["Username"] for user in found] == ["Ada"]

    sent = idp.forgot_password(ClientId=pool.client_id, Username="ADA")
    assert "CodeDeliveryDetails" in sent
    idp.admin_delete_user(UserPoolId=pool.id, Username="aDA")
    assert idp.list_users(UserPoolId=pool.id)["Users"] == []


def test_a_username_that_differs_only_by_case_is_refused(idp: Any) -> None:
    pool = Pool(idp, UsernameConfiguration={"CaseSensitive": False})
    pool.add_user("ada")

    with pytest.raises(ClientError) as created:
        idp.admin_create_user(UserPoolId=pool.id, Username="Ada", MessageAction="SUPPRESS")
    assert error_of(created) == ("UsernameExistsException", "User account already exists")
    with pytest.raises(ClientError) as signed_up:
        idp.sign_up(ClientId=pool.client_id, Username="ADA", Password=PASSWORD)
    assert error_of(signed_up) == ("UsernameExistsException", "User account already exists")
    assert len(idp.list_users(UserPoolId=pool.id)["Users"]) == 1


def test_a_case_sensitive_pool_keeps_ada_and_Ada_apart(idp: Any) -> None:
    pool = Pool(idp)  # the API's default is case-sensitive
    pool.add_user("ada")
    pool.add_user("Ada")

    assert pool.sign_in("Ada") == "Ada"
    assert pool.sign_in("ada") == "ada"
    with pytest.raises(ClientError) as missing:
        idp.admin_get_user(UserPoolId=pool.id, Username="ADA")
    assert error_of(missing)[0] == "UserNotFoundException"


# ── aliases ───────────────────────────────────────────────────────────────────────────────────────────


def test_a_verified_email_alias_signs_in_and_recovers_the_password(idp: Any) -> None:
    recovery = {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    pool = Pool(idp, AliasAttributes=["email"], AccountRecoverySetting=recovery)
    pool.add_user("ada", email="ada@example.com", email_verified="true")

    assert pool.sign_in("ada@example.com") == "ada"
    assert pool.sign_in("ADA@Example.com") == "ada"  # email addresses compare without case
    assert idp.admin_get_user(UserPoolId=pool.id, Username="ada@example.com")["Username"] == "ada"

    sent = idp.forgot_password(ClientId=pool.client_id, Username="ada@example.com")
    assert sent["CodeDeliveryDetails"]["Destination"] == "a***@e***"  # ada's address, masked
    # moto hands the code back in a header instead of an email.
    code = sent["ResponseMetadata"]["HTTPHeaders"]["x-moto-forgot-password-confirmation-code"]
    idp.confirm_forgot_password(
        ClientId=pool.client_id, Username="ada@example.com", ConfirmationCode=code, Password="New-Horse-10"
    )
    signed_in = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": "New-Horse-10"},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]


def test_an_unverified_email_is_not_an_alias(idp: Any) -> None:
    pool = Pool(idp, AliasAttributes=["email"])
    pool.add_user("bob", email="bob@example.com", email_verified="false")

    with pytest.raises(ClientError) as refused:
        pool.sign_in("bob@example.com")
    assert error_of(refused)[0] == "UserNotFoundException"
    assert pool.sign_in("bob") == "bob"


def test_a_preferred_username_alias_signs_in(idp: Any) -> None:
    pool = Pool(idp, AliasAttributes=["preferred_username", "email"])
    pool.add_user("u-1001", preferred_username="lovelace")

    assert pool.sign_in("lovelace") == "u-1001"


def test_a_verified_alias_held_by_another_user_is_refused(idp: Any) -> None:
    pool = Pool(idp, AliasAttributes=["email"])
    pool.add_user("ada", email="ada@example.com", email_verified="true")
    verified = [{"Name": "email", "Value": "ada@example.com"}, {"Name": "email_verified", "Value": "true"}]

    with pytest.raises(ClientError) as created:
        idp.admin_create_user(
            UserPoolId=pool.id, Username="eve", MessageAction="SUPPRESS", UserAttributes=verified
        )
    assert error_of(created) == ("AliasExistsException", "An account with the given email already exists.")

    # An unverified copy of the address is no alias, so it is allowed...
    idp.admin_create_user(
        UserPoolId=pool.id,
        Username="eve",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "ada@example.com"}],
    )
    # ...until someone verifies it.
    with pytest.raises(ClientError) as updated:
        idp.admin_update_user_attributes(UserPoolId=pool.id, Username="eve", UserAttributes=verified)
    assert error_of(updated)[0] == "AliasExistsException"
    assert pool.sign_in("ada@example.com") == "ada"


def test_force_alias_creation_moves_the_alias_to_the_new_user(idp: Any) -> None:
    pool = Pool(idp, AliasAttributes=["email"])
    pool.add_user("old", email="shared@example.com", email_verified="true")

    idp.admin_create_user(
        UserPoolId=pool.id,
        Username="new",
        MessageAction="SUPPRESS",
        ForceAliasCreation=True,
        UserAttributes=[
            {"Name": "email", "Value": "shared@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    idp.admin_set_user_password(UserPoolId=pool.id, Username="new", Password=PASSWORD, Permanent=True)

    assert pool.sign_in("shared@example.com") == "new"
    assert pool.attributes("old")["email_verified"] == "false"  # how the alias leaves: UNVERIFIED
    assert pool.sign_in("old") == "old"  # the previous holder still signs in by username
