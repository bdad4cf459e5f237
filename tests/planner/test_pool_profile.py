"""Reading the target pool: the profile the rules see, and the users the pool already holds."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.existing import ExistingUsers, read_existing_users
from cognito_migrate.planner.pool_reader import (
    STANDARD_ATTRIBUTES,
    profile_from_description,
    read_pool_profile,
)
from cognito_migrate.planner.profile import AttributeSchema, GroupInfo, PasswordPolicy, PoolProfile

ROLE_ARN = "arn:aws:iam::123456789012:role/analysts"


@pytest.fixture(scope="module")
def idp(local_cognito: LocalCognito) -> Any:
    return local_cognito.client("cognito-idp")


def new_pool(idp: Any, **settings: Any) -> str:
    return str(idp.create_user_pool(PoolName=f"profile-{uuid.uuid4().hex[:8]}", **settings)["UserPool"]["Id"])


def add_user(idp: Any, pool_id: str, username: str, **attributes: str) -> None:
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
    )


def count_calls(idp: Any, operation: str) -> list[str]:
    """A list that grows by one for every ``operation`` request the client sends."""
    calls: list[str] = []
    idp.meta.events.register(f"before-call.cognito-idp.{operation}", lambda **_: calls.append(operation))
    return calls


@dataclass(frozen=True)
class PortalPool:
    id: str
    profile: PoolProfile


@pytest.fixture(scope="module")
def portal(idp: Any) -> PortalPool:
    """A pool configured the way a migrated portal often is, with users already in it."""
    pool_id = new_pool(
        idp,
        AliasAttributes=["email", "phone_number", "preferred_username"],
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="OPTIONAL",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 3,
            }
        },
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            {
                "Name": "level",
                "AttributeDataType": "Number",
                "Mutable": True,
                "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "10"},
            },
            {
                "Name": "team",
                "AttributeDataType": "String",
                "Mutable": True,
                "StringAttributeConstraints": {"MaxLength": "20"},
            },
            {"Name": "legacy_id", "AttributeDataType": "String", "Mutable": False},
        ],
    )
    idp.create_group(
        UserPoolId=pool_id, GroupName="analysts", Description="Reads", Precedence=2, RoleArn=ROLE_ARN
    )
    for name in ("admins", "staff", "students", "alumni"):
        idp.create_group(UserPoolId=pool_id, GroupName=name)
    add_user(
        idp, pool_id, "Ada", email="ada@example.com", email_verified="true", **{"custom:legacy_id": "L-1"}
    )
    add_user(idp, pool_id, "bob", email="bob@example.com", email_verified="false")
    add_user(
        idp,
        pool_id,
        "carol",
        email="carol@example.com",
        phone_number="+15555550100",
        phone_number_verified="true",
        preferred_username="Caz",
    )
    add_user(idp, pool_id, "dave", email="dave@example.com", phone_number="+15555550101")
    return PortalPool(pool_id, read_pool_profile(idp, pool_id, region="us-east-1", group_page_size=2))


# ── the profile ───────────────────────────────────────────────────────────────────────────────────────


def test_the_profile_carries_the_schema_with_custom_names_types_and_constraints(portal: PortalPool) -> None:
    attributes = portal.profile.attributes

    assert attributes["custom:level"] == AttributeSchema("custom:level", "Number", min_value=1, max_value=10)
    assert attributes["custom:team"].max_length == 20
    assert attributes["custom:legacy_id"].mutable is False
    assert attributes["email"].required is True
    assert portal.profile.required_attributes == ("email",)
    # Standard attributes the pool did not list are still known, as every Cognito pool has them.
    assert attributes["locale"] == STANDARD_ATTRIBUTES["locale"]
    assert portal.profile.attribute("custom:nope") is None


def test_the_profile_carries_sign_in_mfa_and_password_settings(portal: PortalPool) -> None:
    profile = portal.profile

    assert profile.alias_attributes == ("email", "phone_number", "preferred_username")
    assert profile.username_attributes == ()
    assert profile.case_sensitive is False
    assert profile.auto_verified_attributes == ("email",)
    assert profile.mfa_configuration == "OPTIONAL"
    assert profile.password_policy == PasswordPolicy(
        minimum_length=12,
        require_uppercase=True,
        require_lowercase=True,
        require_numbers=True,
        require_symbols=False,
        temporary_password_validity_days=3,
    )
    assert profile.has_migration_trigger is False
    assert profile.estimated_users == 4
    assert datetime.fromisoformat(profile.last_modified).tzinfo is not None
    assert {"cognito:username", "email_verified", "custom:level", "custom:legacy_id"} <= set(
        profile.csv_header
    )


def test_every_group_is_read_with_its_details_across_pages(portal: PortalPool) -> None:
    groups = portal.profile.groups

    assert sorted(groups) == ["admins", "alumni", "analysts", "staff", "students"]  # 3 pages of 2
    assert groups["analysts"] == GroupInfo("analysts", "Reads", 2, ROLE_ARN)
    assert groups["staff"] == GroupInfo("staff")


def test_a_pool_created_without_username_configuration_is_case_sensitive(idp: Any) -> None:
    profile = read_pool_profile(idp, new_pool(idp), region="us-east-1")

    assert profile.case_sensitive is True
    assert profile.fold("Ada") != profile.fold("ada")
    assert profile.groups == {}
    assert "email" in profile.attributes
    assert "custom:level" not in profile.attributes


def test_a_migration_trigger_on_the_pool_is_noticed(idp: Any) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:migrate-users"
    pool_id = new_pool(idp, LambdaConfig={"UserMigration": arn})

    assert read_pool_profile(idp, pool_id, region="us-east-1").has_migration_trigger is True


def test_settings_the_local_cognito_never_reports_are_read_too() -> None:
    """Shapes only AWS produces: developer-only attributes, password history, huge length limits."""
    description = {
        "Name": "prod",
        "SchemaAttributes": [
            {"Name": "dev:custom:tier", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
            {"Name": "custom:joined", "AttributeDataType": "DateTime"},
            {
                "Name": "custom:note",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "9" * 40},
            },
        ],
        "Policies": {"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 5}},
        "LambdaConfig": {"PreSignUp": "arn:aws:lambda:eu-west-1:123456789012:function:pre"},
    }

    profile = profile_from_description(
        description, csv_header=(), groups=[], pool_id="eu-west-1_x", region="eu-west-1"
    )

    assert profile.attributes["dev:custom:tier"].developer_only is True
    assert profile.attributes["custom:joined"].data_type == "DateTime"
    assert profile.attributes["custom:note"].max_length == int("9" * 40)
    assert profile.password_policy.password_history_size == 5
    assert profile.has_migration_trigger is False  # another trigger is not the migrate-user one
    assert profile.mfa_configuration == "OFF"
    assert profile.case_sensitive is True


def test_a_missing_pool_is_a_configuration_error_naming_the_setting_and_region(idp: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        read_pool_profile(idp, "us-east-1_doesnotexist", region="us-east-1")

    message = str(excinfo.value)
    assert "[target] pool_id 'us-east-1_doesnotexist'" in message
    assert "us-east-1" in message.replace("'us-east-1_doesnotexist'", "")


# ── the users already in the pool ─────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def portal_users(idp: Any, portal: PortalPool) -> ExistingUsers:
    return read_existing_users(idp, portal.profile, page_size=3)  # two pages for four users


def test_usernames_are_found_in_any_case_in_a_case_insensitive_pool(portal_users: ExistingUsers) -> None:
    assert portal_users.count == 4
    assert portal_users.has_username("Ada")
    assert portal_users.has_username("ADA")
    assert portal_users.has_username("Bob")
    assert not portal_users.has_username("eve")


def test_only_verified_email_and_phone_aliases_are_held(portal_users: ExistingUsers) -> None:
    assert portal_users.holder_of("email", "ADA@Example.COM") == "Ada"
    assert portal_users.holder_of("email", "bob@example.com") is None  # unverified: not a sign-in name
    assert portal_users.holder_of("phone_number", "+15555550100") == "carol"
    assert portal_users.holder_of("phone_number", "+15555550101") is None  # unverified
    assert portal_users.holder_of("preferred_username", "caz") == "carol"  # no verification needed
    assert portal_users.holder_of("given_name", "Ada") is None  # not something Cognito keeps unique


def test_legacy_ids_map_back_to_the_users_a_previous_run_created(portal_users: ExistingUsers) -> None:
    assert portal_users.by_legacy_id("L-1") == "Ada"
    assert portal_users.by_legacy_id("L-2") is None
    assert portal_users.by_legacy_id("l-1") is None  # ids compare exactly


def test_an_empty_pool_costs_one_list_users_call(idp: Any, local_cognito: LocalCognito) -> None:
    client = local_cognito.client("cognito-idp")
    calls = count_calls(client, "ListUsers")
    profile = read_pool_profile(client, new_pool(idp), region="us-east-1")

    existing = read_existing_users(client, profile)

    assert calls == ["ListUsers"]
    assert existing.count == 0
    assert not existing.has_username("anyone")


def test_pools_with_email_as_username_hold_every_email_case_insensitively(idp: Any) -> None:
    pool_id = new_pool(
        idp, UsernameAttributes=["email"], Schema=[{"Name": "old_id", "AttributeDataType": "String"}]
    )
    add_user(idp, pool_id, "Grace@Example.com", email="Grace@Example.com", **{"custom:old_id": "7"})
    profile = read_pool_profile(idp, pool_id, region="us-east-1")

    existing = read_existing_users(idp, profile, legacy_id_attribute="custom:old_id")

    holder = existing.holder_of("email", "grace@example.com")  # no email_verified: still held
    assert holder is not None
    assert existing.has_username(holder)
    assert existing.by_legacy_id("7") == holder


def test_a_legacy_id_attribute_the_pool_lacks_is_skipped(idp: Any, portal: PortalPool) -> None:
    existing = read_existing_users(idp, portal.profile, legacy_id_attribute="custom:previous_id")

    assert existing.legacy_id_attribute is None
    assert existing.by_legacy_id("L-1") is None
    assert existing.count == 4


# ── the compact tables, against a plain model ─────────────────────────────────────────────────────────


def _profile(*, case_sensitive: bool) -> PoolProfile:
    attributes = {**STANDARD_ATTRIBUTES, "custom:legacy_id": AttributeSchema("custom:legacy_id")}
    return PoolProfile(
        pool_id="us-east-1_model",
        pool_name="model",
        region="us-east-1",
        attributes=attributes,
        csv_header=(),
        alias_attributes=("email",),
        case_sensitive=case_sensitive,
    )


NAMES = st.text(st.sampled_from("aAbBßSsİi1."), min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(
    users=st.lists(st.tuples(NAMES, NAMES, st.booleans(), st.none() | NAMES), max_size=150),
    probes=st.lists(NAMES, max_size=20),
    case_sensitive=st.booleans(),
)
def test_answers_match_plain_sets_of_strings(
    users: list[tuple[str, str, bool, str | None]], probes: list[str], case_sensitive: bool
) -> None:
    profile = _profile(case_sensitive=case_sensitive)
    records: list[tuple[str, dict[str, str]]] = []
    names: set[str] = set()
    emails: dict[str, str] = {}
    legacy: dict[str, str] = {}
    for username, email_name, verified, legacy_id in users:
        attributes = {"email": f"{email_name}@x.org", "email_verified": str(verified).lower()}
        if legacy_id is not None:
            attributes["custom:legacy_id"] = legacy_id
            legacy.setdefault(legacy_id, username)
        if verified:
            emails.setdefault(attributes["email"].casefold(), username)  # the first holder wins
        names.add(profile.fold(username))
        records.append((username, attributes))

    existing = ExistingUsers.from_users(profile, records)

    assert existing.count == len(users)
    for probe in [*probes, *(user[0] for user in users), *(user[1] for user in users)]:
        assert existing.has_username(probe) is (profile.fold(probe) in names)
        assert existing.holder_of("email", f"{probe}@X.org") == emails.get(f"{probe}@x.org".casefold())
        assert existing.by_legacy_id(probe) == legacy.get(probe)


def test_a_user_with_username_alias_and_legacy_id_costs_under_100_bytes() -> None:
    """2 million such users stay under 200 MB (measured here on 20,000; the tables' size is linear)."""
    count = 20_000
    profile = _profile(case_sensitive=False)

    def users() -> Iterator[tuple[str, dict[str, str]]]:
        for i in range(count):
            yield (
                f"user.name{i:07d}",
                {
                    "email": f"first.last{i:07d}@example.com",
                    "email_verified": "true",
                    "custom:legacy_id": str(i),
                },
            )

    tracemalloc.start()
    try:
        existing = ExistingUsers.from_users(profile, users())
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert existing.holder_of("email", "FIRST.LAST0012345@example.com") == "user.name0012345"
    assert held / count < 100
