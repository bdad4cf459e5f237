"""Attribute rules: schema, byte length, types and constraints, birthdate and updated_at, required and
immutable attributes. Each bad record is rejected by its rule while its neighbours pass."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_pools import candidate, pool_profile, schema

from cognito_migrate.planner.profile import AttributeSchema
from cognito_migrate.planner.rules import Candidate, Finding, RuleSet
from cognito_migrate.planner.rules.attributes import quick_accept, value_check

CUSTOM = [
    schema("custom:age", "Number", min_value=0, max_value=150),
    schema("custom:plan", min_length=2, max_length=8),
    schema("custom:beta", "Boolean"),
    schema("custom:seen", "DateTime"),
    schema("custom:tenant", mutable=False),
    schema("custom:score", "Number"),
]


def rules_of(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


def checked(bad: Candidate, **settings_: Any) -> list[Finding]:
    rules = RuleSet(pool_profile(custom=CUSTOM, **settings_))
    good = {"custom__age": "42", "custom__plan": "pro", "custom__beta": "true", "custom__tenant": "t1"}
    assert rules.check(candidate("before", "n-1", **good)) == []
    findings = rules.check(bad)
    assert rules.check(candidate("after", "n-2", **good)) == []
    return findings


BAD_ATTRIBUTES: list[tuple[str, dict[str, str], str, str]] = [
    (
        "custom unknown",
        {"custom__nope": "x"},
        "attribute.unknown",
        "'custom:nope' is not in the pool's schema",
    ),
    ("standard typo", {"nick_name": "x"}, "attribute.unknown", "'nick_name' is not in the pool's schema"),
    ("sub", {"sub": "x"}, "attribute.unknown", "sub is assigned by Cognito"),
    ("name over 32", {"custom__" + "n" * 30: "x"}, "attribute.too-long", "is 37 characters long"),
    # 1,025 characters but 2,050 bytes: the limit is in bytes.
    ("2050 bytes", {"nickname": "é" * 1025}, "attribute.too-long", "nickname is 2050 bytes long in UTF-8"),
    ("number text", {"custom__age": "forty"}, "attribute.type", "custom:age 'forty' is not a whole number"),
    ("number decimal", {"custom__score": "1.5"}, "attribute.type", "'1.5' is not a whole number"),
    ("number low", {"custom__age": "-1"}, "attribute.constraint", "'-1' is below the pool's minimum 0"),
    ("number high", {"custom__age": "151"}, "attribute.constraint", "'151' is above the pool's maximum 150"),
    ("string short", {"custom__plan": "p"}, "attribute.constraint", "custom:plan is 1 characters long"),
    ("string long", {"custom__plan": "platinum+"}, "attribute.constraint", "allows at most 8"),
    ("custom boolean", {"custom__beta": "yes"}, "attribute.type", "custom:beta 'yes' is not a boolean"),
    (
        "verified flag",
        {"phone_number": "+442079460958", "phone_number_verified": "TRUE"},
        "attribute.type",
        "phone_number_verified 'TRUE' is not a boolean; use true or false",
    ),
    ("birthdate form", {"birthdate": "12/31/1990"}, "birthdate.format", "is not in the form YYYY-MM-DD"),
    ("birthdate day", {"birthdate": "1990-02-30"}, "birthdate.format", "'1990-02-30' is not a real date"),
    ("updated_at iso", {"updated_at": "2024-01-01T00:00:00"}, "updated_at.format", "epoch-seconds"),
    ("updated_at negative", {"updated_at": "-5"}, "updated_at.format", "'-5' is not whole seconds"),
    ("updated_at float", {"updated_at": "1.5"}, "updated_at.format", "'1.5'"),
]


@pytest.mark.parametrize(
    ("attributes", "rule", "words"),
    [case[1:] for case in BAD_ATTRIBUTES],
    ids=[case[0] for case in BAD_ATTRIBUTES],
)
def test_a_bad_attribute_is_rejected_by_its_rule_and_its_neighbours_pass(
    attributes: dict[str, str], rule: str, words: str
) -> None:
    findings = checked(candidate(**attributes))
    assert rules_of(findings) == [rule]
    assert words in findings[0].message


def test_good_values_of_every_kind_pass() -> None:
    user = candidate(
        birthdate="1990-12-31",
        updated_at="1700000000",
        phone_number="+442079460958",
        phone_number_verified="false",
        custom__age="0",
        custom__plan="ab",
        custom__beta="false",
        custom__seen="2024-01-01T00:00:00Z",
        custom__score="-12345678901234567890",
        nickname="é" * 1024,  # 2,048 bytes exactly
    )
    assert checked(user) == []


def test_a_missing_required_attribute_is_named() -> None:
    rules = RuleSet(pool_profile(required=("given_name", "family_name")))
    assert rules.check(candidate("ok", "1", given_name="Ada", family_name="Lovelace")) == []
    findings = rules.check(candidate("ada", "2", given_name="Ada"))
    assert rules_of(findings) == ["attribute.required"]
    assert findings[0].message.startswith("the pool requires family_name and this user has none")


def test_an_empty_value_counts_as_absent() -> None:
    rules = RuleSet(pool_profile(required=("given_name",)))
    user = Candidate("1", "ada", {"email": "a@example.org", "email_verified": "true", "given_name": ""})
    assert rules_of(rules.check(user)) == ["attribute.required"]


def test_immutable_attributes_are_written_at_creation_but_not_in_an_update() -> None:
    rules = RuleSet(pool_profile(custom=CUSTOM))
    user = candidate(custom__tenant="t1")
    assert rules.check(user) == []
    findings = rules.check(candidate("ada2", "2", custom__tenant="t1"), updating=True)
    assert rules_of(findings) == ["attribute.immutable"]
    assert "custom:tenant cannot be changed" in findings[0].message
    assert rules.immutable_attributes == {"custom:tenant"}


def test_an_update_skips_the_creation_rules() -> None:
    rules = RuleSet(pool_profile(required=("given_name",)), username_policy="[a-z]+")
    existing_user = candidate("Old Name", "1", email_verified="false", mfa=True)
    assert rules.check(existing_user, updating=True) == []
    assert rules_of(rules.check(candidate("x", "2", email="bad@"), updating=True)) == ["email.invalid"]


def test_findings_come_in_the_documented_order() -> None:
    rules = RuleSet(
        pool_profile(custom=CUSTOM, required=("given_name",), mfa_configuration="OFF"),
        username_policy="[a-z]+",
    )
    user = candidate("Ada 1", custom__age="x", email="bad@", mfa=True, email_verified="false")
    assert rules_of(rules.check(user)) == [
        "username.whitespace",
        "username.policy",
        "email.invalid",
        "attribute.type",
        "attribute.required",
        "mfa.mismatch",
        "auto-verified.none",
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=700))
def test_the_byte_limit_is_utf8_bytes(value: str) -> None:
    rules = RuleSet(pool_profile())
    findings = rules.check(candidate(nickname=value))
    too_long = len(value.encode("utf-8", "surrogatepass")) > 2048
    assert ("attribute.too-long" in rules_of(findings)) is too_long


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_numbers_are_checked_against_both_bounds(number: int) -> None:
    rules = RuleSet(pool_profile(custom=[AttributeSchema("custom:n", "Number", min_value=-5, max_value=5)]))
    findings = rules.check(candidate(custom__n=str(number)))
    assert (findings == []) is (-5 <= number <= 5)


@settings(max_examples=200, deadline=None)
@given(st.dates())
def test_every_real_date_is_a_good_birthdate(day: Any) -> None:
    assert RuleSet(pool_profile()).check(candidate(birthdate=day.isoformat())) == []


SCHEMAS = [
    *CUSTOM,
    schema("email"),
    schema("phone_number"),
    schema("birthdate", min_length=10, max_length=10),
    schema("updated_at", "Number", min_value=0),
    schema("email_verified", "Boolean"),
    schema("custom:code", min_length=3, max_length=5),
]
VALUES = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"-?[0-9]{1,4}|\+[0-9]{6,16}|[a-z]{1,5}@[a-z]{1,5}(\.[a-z]{1,3}){0,2}", fullmatch=True),
    st.sampled_from(["true", "false", "True", "1990-02-28", "1990-02-30", "0", "-0", "150", "151"]),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SCHEMAS), VALUES)
def test_the_quick_acceptance_tests_never_pass_what_the_checks_refuse(
    attribute: AttributeSchema, value: str
) -> None:
    quick, check = quick_accept(attribute), value_check(attribute)
    if quick is not None and quick(value):
        assert check is None or check(value) is None
