"""Uniqueness across a run of users (the first claimant wins, later ones name it) and users the pool
already has (recognised, not rejected); checked against the local Cognito's own refusals."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_pools import MemoryExisting, candidate, pool_profile, schema

from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.existing import ExistingUsers
from cognito_migrate.planner.rules import Candidate, Finding, RuleSet


def rules_of(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


def run(rules: RuleSet, users: list[Candidate]) -> list[list[str]]:
    return [rules_of(rules.check(user)) for user in users]


# ── within the source ────────────────────────────────────────────────────────────────────────────────


def test_the_first_username_wins_and_later_ones_name_it() -> None:
    rules = RuleSet(pool_profile())
    users = [candidate("ada", "10"), candidate("bob", "11"), candidate("ada", "12"), candidate("ada", "13")]
    assert run(rules, users[:2]) == [[], []]
    third, fourth = rules.check(users[2]), rules.check(users[3])
    assert rules_of(third) == rules_of(fourth) == ["username.duplicate-in-source"]
    assert third[0].message == "username 'ada' is already claimed by source user 10, which comes first"
    assert "source user 10" in fourth[0].message  # the first, not the previous duplicate


@pytest.mark.parametrize(
    ("case_sensitive", "expected"), [(False, [[], ["username.duplicate-in-source"]]), (True, [[], []])]
)
def test_usernames_differing_in_case_collide_only_in_case_insensitive_pools(
    case_sensitive: bool, expected: list[list[str]]
) -> None:
    rules = RuleSet(pool_profile(case_sensitive=case_sensitive))
    assert run(rules, [candidate("Ada", "1"), candidate("aDA", "2")]) == expected


def test_the_case_note_explains_a_case_insensitive_collision() -> None:
    rules = RuleSet(pool_profile(case_sensitive=False))
    rules.check(candidate("Ada", "1"))
    (finding,) = rules.check(candidate("ada", "2"))
    assert finding.message.endswith("which comes first; this pool ignores case in usernames")


@pytest.mark.parametrize(
    ("settings_", "second_email_verified", "expected"),
    [
        # Email neither an alias nor a username attribute: duplicates are fine.
        ({}, "true", []),
        ({"alias_attributes": ("email",)}, "true", ["email.duplicate-in-source"]),
        # An unverified email is no alias (only the import-only auto-verified rule minds).
        ({"alias_attributes": ("email",)}, "false", ["auto-verified.none"]),
        ({"alias_attributes": ("preferred_username",)}, "true", []),
    ],
    ids=["no alias", "email alias", "unverified", "other alias"],
)
def test_duplicate_emails_matter_only_where_email_is_an_alias(
    settings_: dict[str, Any], second_email_verified: str, expected: list[str]
) -> None:
    rules = RuleSet(pool_profile(**settings_))
    assert rules.check(candidate("ada", "1", email="Ada@Example.org")) == []
    second = rules.check(candidate("bob", "2", email="ada@example.ORG", email_verified=second_email_verified))
    assert rules_of(second) == expected
    if expected == ["email.duplicate-in-source"]:
        assert second[0].message.startswith("email 'ada@example.ORG' is already claimed by source user 1")


def test_duplicate_phone_numbers_and_preferred_usernames_collide_where_they_are_aliases() -> None:
    rules = RuleSet(
        pool_profile(alias_attributes=("phone_number", "preferred_username"), case_sensitive=False)
    )
    phone = {"phone_number": "+442079460958", "phone_number_verified": "true"}
    assert rules.check(candidate("ada", "1", preferred_username="Lady", **phone)) == []
    assert rules_of(rules.check(candidate("bob", "2", preferred_username="lady", **phone))) == [
        "phone.duplicate-in-source",
        "preferred_username.duplicate-in-source",
    ]


def test_in_a_sign_in_by_email_pool_the_username_is_the_email_compared_without_case() -> None:
    rules = RuleSet(pool_profile(username_attributes=("email",), case_sensitive=True))
    assert rules.check(candidate("ada@example.org", "1")) == []
    again = rules.check(candidate("ADA@example.org", "2"))
    assert rules_of(again) == ["username.duplicate-in-source"]  # said once, not again for the email
    assert again[0].message.endswith("; email addresses are compared without case")
    # A different username whose email attribute is the first one's sign-in address.
    other = rules.check(candidate("bob@example.org", "3", email="ada@example.org"))
    assert rules_of(other) == ["email.duplicate-in-source"]


def test_a_rejected_user_still_claims_its_values() -> None:
    rules = RuleSet(pool_profile(alias_attributes=("email",)))
    assert rules_of(rules.check(candidate("ada", "1", custom__nope="x"))) == ["attribute.unknown"]
    assert rules_of(rules.check(candidate("ada", "2"))) == ["username.duplicate-in-source"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["ada", "Ada", "bob", "BOB", "cy"]), min_size=1, max_size=12))
def test_exactly_the_first_of_each_folded_username_passes(names: list[str]) -> None:
    rules = RuleSet(pool_profile(case_sensitive=False))
    seen: dict[str, str] = {}
    for index, name in enumerate(names):
        findings = rules.check(candidate(name, str(index), email=f"u{index}@example.org"))
        first = seen.setdefault(name.casefold(), str(index))
        if first == str(index):
            assert findings == []
        else:
            assert rules_of(findings) == ["username.duplicate-in-source"]
            assert f"source user {first}," in findings[0].message


# ── users the pool already has ──────────────────────────────────────────────────────────────────────


def test_a_user_the_pool_has_is_recognised_by_username_or_legacy_id_not_rejected() -> None:
    profile = pool_profile(alias_attributes=("email",), case_sensitive=False)
    existing = MemoryExisting(profile).add("Ada", email="user1@example.org", custom__legacy_id="1")
    existing.add("renamed", custom__legacy_id="7")
    rules = RuleSet(profile, existing=existing)
    same_name = candidate("ada", "1")
    assert rules.check(same_name) == []
    assert rules.existing_username(same_name) == "Ada"  # found by its legacy id first
    by_legacy_id = candidate("grace", "7")
    assert rules.check(by_legacy_id) == []
    assert rules.existing_username(by_legacy_id) == "renamed"
    by_name_only = candidate("ADA", "99", email="other@example.org")
    assert rules.existing_username(by_name_only) == "ADA"
    new = candidate("zoe", "3")
    assert rules.existing_username(new) is None
    assert rules.check(new) == []


def test_in_a_sign_in_by_email_pool_the_user_holding_the_email_is_the_user() -> None:
    profile = pool_profile(username_attributes=("email",))
    existing = MemoryExisting(profile).add("6f1c-uuid", email="ada@example.org")
    rules = RuleSet(profile, existing=existing)
    user = candidate("Ada@Example.org", "1")
    assert rules.check(user) == []
    assert rules.existing_username(user) == "6f1c-uuid"
    assert rules.existing_username(candidate("bob@example.org", "2")) is None


def test_the_real_existing_users_answers_the_rules() -> None:
    profile = pool_profile(alias_attributes=("email",), case_sensitive=False)
    existing = ExistingUsers.from_users(
        profile,
        [
            ("Grace", {"email": "grace@example.org", "email_verified": "true", "custom:legacy_id": "7"}),
            ("linus", {"email": "linus@example.org", "email_verified": "false"}),
        ],
    )
    rules = RuleSet(profile, existing=existing)
    assert rules.existing_username(candidate("hopper", "7")) == "Grace"  # by legacy id
    assert rules.existing_username(candidate("LINUS", "8")) == "LINUS"  # by username, any case
    taken = rules.check(candidate("ada", "1", email="GRACE@example.org"))
    assert rules_of(taken) == ["email.taken-in-pool"]
    assert "already belongs to pool user 'Grace'" in taken[0].message
    # linus's email is not verified, so it is no alias: anyone may use it.
    assert rules.check(candidate("bob", "2", email="linus@example.org")) == []


def test_no_existing_users_means_nobody_exists() -> None:
    rules = RuleSet(pool_profile())
    assert rules.existing_username(candidate()) is None


def test_an_alias_another_pool_user_holds_is_rejected_with_its_holder() -> None:
    profile = pool_profile(alias_attributes=("email", "phone_number"))
    existing = MemoryExisting(profile).add("grace", email="shared@example.org", phone_number="+442079460958")
    rules = RuleSet(profile, existing=existing)
    user = candidate(
        "ada", "1", email="SHARED@example.org", phone_number="+442079460958", phone_number_verified="true"
    )
    findings = rules.check(user)
    assert rules_of(findings) == ["email.taken-in-pool", "phone.taken-in-pool"]
    assert findings[0].message.startswith("email 'SHARED@example.org' already belongs to pool user 'grace'")
    assert rules.check(candidate("bob", "2")) == []
    # grace herself, migrated again, holds her own email: no finding.
    again = RuleSet(profile, existing=existing)
    assert again.check(candidate("grace", "3", email="shared@example.org")) == []


def test_an_unknown_legacy_id_attribute_can_be_turned_off() -> None:
    profile = pool_profile()
    existing = MemoryExisting(profile).add("old", custom__legacy_id="5")
    assert RuleSet(profile, existing=existing).existing_username(candidate("new", "5")) == "old"
    unlinked = RuleSet(profile, existing=existing, legacy_id_attribute=None)
    assert unlinked.existing_username(candidate("new", "5")) is None


# ── the local Cognito agrees ────────────────────────────────────────────────────────────────────────


def test_what_the_rules_pass_the_local_cognito_creates_and_what_they_refuse_it_refuses(
    local_cognito: LocalCognito,
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"rules-{uuid.uuid4().hex[:8]}",
        AliasAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    profile = pool_profile(alias_attributes=("email",), custom=[schema("custom:legacy_id")])
    rules = RuleSet(profile)
    users = [
        candidate("ada", "1"),
        candidate("ada@example.org", "2"),  # email-shaped username in an email-alias pool
        candidate("bob", "3", custom__nope="x"),  # no such custom attribute
        candidate("cy", "4", nickname="Cy"),
    ]
    for user in users:
        findings = [finding for finding in rules.check(user) if finding.blocks("admin")]
        create = partial(
            idp.admin_create_user,
            UserPoolId=pool_id,
            Username=user.username,
            UserAttributes=[{"Name": name, "Value": value} for name, value in user.attributes.items()],
            MessageAction="SUPPRESS",
        )
        if findings:
            with pytest.raises(ClientError) as refused:
                create()
            assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
        else:
            create()
