"""Requests Cognito refuses and moto accepts: unknown attributes, weak temporary passwords, Limit > 60,
email-shaped usernames in email-alias pools. And the password policy as a pure function."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from cognito_migrate.local import LocalCognito
from cognito_migrate.local.rules.passwords import (
    NEEDS_LOWERCASE,
    NEEDS_NUMBERS,
    NEEDS_SYMBOLS,
    NEEDS_UPPERCASE,
    SYMBOLS,
    TOO_LONG,
    TOO_SHORT,
    has_symbol,
    policy_violations,
)

STRICT_POLICY = {
    "MinimumLength": 10,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}


@pytest.fixture
def idp(local_cognito: LocalCognito) -> Any:
    return local_cognito.client("cognito-idp")


def new_pool(idp: Any, **settings: Any) -> str:
    return str(
        idp.create_user_pool(PoolName=f"validation-{uuid.uuid4().hex[:8]}", **settings)["UserPool"]["Id"]
    )


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def attrs(**values: str) -> list[dict[str, str]]:
    return [{"Name": name.replace("__", ":"), "Value": value} for name, value in values.items()]


# ── attributes outside the schema ────────────────────────────────────────────────────────────────────


def test_attributes_outside_the_schema_are_refused_and_known_ones_pass(idp: Any) -> None:
    schema = [{"Name": "tier", "AttributeDataType": "String", "Mutable": True}]
    pool_id = new_pool(idp, Schema=schema)
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")
    client_id = client["UserPoolClient"]["ClientId"]

    idp.admin_create_user(UserPoolId=pool_id, Username="ada", MessageAction="SUPPRESS",
                          UserAttributes=attrs(custom__tier="gold", nickname="countess"))  # fmt: skip
    assert idp.admin_get_user(UserPoolId=pool_id, Username="ada")["Username"] == "ada"

    def calls(attributes: list[dict[str, str]]) -> dict[str, Callable[[], Any]]:
        return {
            "AdminCreateUser": lambda: idp.admin_create_user(
                UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS", UserAttributes=attributes
            ),
            "AdminUpdateUserAttributes": lambda: idp.admin_update_user_attributes(
                UserPoolId=pool_id, Username="ada", UserAttributes=attributes
            ),
            "SignUp": lambda: idp.sign_up(
                ClientId=client_id, Username="eve", Password="Correct-Horse-9", UserAttributes=attributes
            ),
        }

    for unknown in ("custom:nope", "favorite_color"):
        message = "Attributes did not conform to the schema: " + (
            f"Type for attribute {{{unknown}}} could not be determined"
        )
        for name, call in calls([{"Name": unknown, "Value": "x"}]).items():
            with pytest.raises(ClientError) as refused:
                call()
            assert error_of(refused) == ("InvalidParameterException", message), name
    assert [user["Username"] for user in idp.list_users(UserPoolId=pool_id)["Users"]] == ["ada"]


# ── temporary passwords ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt!", "Password not long enough"),
        ("lower-case-only-9", "Password must have uppercase characters"),
        ("UPPER-CASE-ONLY-9", "Password must have lowercase characters"),
        ("No-Digits-Here", "Password must have numeric characters"),
        ("NoSymbolsHere9", "Password must have symbol characters"),
    ],
)
def test_a_temporary_password_must_follow_the_pool_policy(idp: Any, password: str, reason: str) -> None:
    pool_id = new_pool(idp, Policies={"PasswordPolicy": STRICT_POLICY})
    with pytest.raises(ClientError) as refused:
        idp.admin_create_user(
            UserPoolId=pool_id, Username="ada", TemporaryPassword=password, MessageAction="SUPPRESS"
        )
    assert error_of(refused) == (
        "InvalidPasswordException",
        f"Password did not conform with password policy: {reason}",
    )
    assert idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_temporary_passwords_that_follow_the_policy_pass(idp: Any) -> None:
    pool_id = new_pool(idp, Policies={"PasswordPolicy": STRICT_POLICY})
    idp.admin_create_user(
        UserPoolId=pool_id, Username="ada", TemporaryPassword="Long-Enough-9", MessageAction="SUPPRESS"
    )
    idp.admin_create_user(UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS")  # Cognito picks one
    lenient = new_pool(idp, Policies={"PasswordPolicy": {"MinimumLength": 6}})
    idp.admin_create_user(
        UserPoolId=lenient, Username="eve", TemporaryPassword="simple", MessageAction="SUPPRESS"
    )
    assert len(idp.list_users(UserPoolId=pool_id)["Users"]) == 2


# ── ListUsers Limit ──────────────────────────────────────────────────────────────────────────────────


def test_list_limits_above_60_are_refused_in_aws_words(idp: Any) -> None:
    pool_id = new_pool(idp)
    idp.create_group(UserPoolId=pool_id, GroupName="staff")
    for limit in (61, 100):
        with pytest.raises(ClientError) as refused:
            idp.list_users(UserPoolId=pool_id, Limit=limit)
        assert error_of(refused) == (
            "InvalidParameterException",
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            "Member must have value less than or equal to 60",
        )
    with pytest.raises(ClientError) as in_group:
        idp.list_users_in_group(UserPoolId=pool_id, GroupName="staff", Limit=61)
    assert error_of(in_group)[0] == "InvalidParameterException"

    assert idp.list_users(UserPoolId=pool_id, Limit=60)["Users"] == []
    assert idp.list_users_in_group(UserPoolId=pool_id, GroupName="staff", Limit=60)["Users"] == []


# ── usernames in alias pools ─────────────────────────────────────────────────────────────────────────


def test_an_email_alias_pool_refuses_email_shaped_usernames(idp: Any) -> None:
    alias_pool = new_pool(idp, AliasAttributes=["email"])
    with pytest.raises(ClientError) as refused:
        idp.admin_create_user(UserPoolId=alias_pool, Username="ada@example.com", MessageAction="SUPPRESS")
    assert error_of(refused) == (
        "InvalidParameterException",
        "Username cannot be of email format, since user pool is configured for email alias.",
    )
    idp.admin_create_user(UserPoolId=alias_pool, Username="ada", MessageAction="SUPPRESS",
                          UserAttributes=attrs(email="ada@example.com"))  # fmt: skip

    plain_pool = new_pool(idp)
    idp.admin_create_user(UserPoolId=plain_pool, Username="ada@example.com", MessageAction="SUPPRESS")


# ── the password policy as a pure function ───────────────────────────────────────────────────────────

letters_digits = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", max_size=40
)


@given(password=st.text(max_size=300), minimum=st.integers(min_value=6, max_value=99))
def test_length_rules(password: str, minimum: int) -> None:
    violations = policy_violations(password, {"MinimumLength": minimum})
    assert (TOO_SHORT in violations) == (len(password) < minimum)
    assert (TOO_LONG in violations) == (len(password) > 256)
    assert set(violations) <= {TOO_SHORT, TOO_LONG}  # no Require* flag, no other rule


@given(password=st.text(max_size=60))
def test_each_character_class_rule_is_reported_exactly_when_the_class_is_missing(password: str) -> None:
    violations = policy_violations(password, {**STRICT_POLICY, "MinimumLength": 6})
    assert (NEEDS_UPPERCASE in violations) == (not any("A" <= c <= "Z" for c in password))
    assert (NEEDS_LOWERCASE in violations) == (not any("a" <= c <= "z" for c in password))
    assert (NEEDS_NUMBERS in violations) == (not any("0" <= c <= "9" for c in password))
    assert (NEEDS_SYMBOLS in violations) == (not has_symbol(password))


@given(core=letters_digits, symbol=st.sampled_from(sorted(SYMBOLS)))
def test_a_password_with_every_class_and_enough_length_passes(core: str, symbol: str) -> None:
    password = f"Aa1{symbol}{core}".ljust(10, "x")
    assert policy_violations(password, STRICT_POLICY) == []


@given(core=letters_digits)
def test_a_space_counts_as_a_symbol_only_inside_the_password(core: str) -> None:
    assert not has_symbol(f" {core} ")  # leading and trailing spaces are no symbols
    assert has_symbol(f"a {core}b")


def test_the_default_policy_applies_when_the_pool_sets_none() -> None:
    assert policy_violations("password") == [NEEDS_UPPERCASE, NEEDS_NUMBERS, NEEDS_SYMBOLS]
    assert policy_violations("Pa55word!") == []
