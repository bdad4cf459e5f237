"""Each rule rejects a bad record with its rule id and a message naming the problem, while the good
neighbours checked by the same ``RuleSet`` pass. Usernames, email, phone, MFA, auto-verified."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_pools import BCRYPT_HASH, candidate, pool_profile, schema

from cognito_migrate.errors import ConfigError
from cognito_migrate.planner.rules import CSV_IMPORT, RULE_IDS, Candidate, Finding, RuleSet
from cognito_migrate.planner.rules.contact import email_problem, phone_problem
from cognito_migrate.planner.rules.username import username_shape


def rules_of(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


def check_between_neighbours(rules: RuleSet, bad: Candidate) -> list[Finding]:
    """Check a good user, ``bad``, and another good user, in that order: the good ones must pass."""
    signs_in_with = rules.profile.username_attributes
    if "email" in signs_in_with:
        before, after = candidate("before@example.org", "n-1"), candidate("after@example.org", "n-2")
    elif "phone_number" in signs_in_with:
        before, after = candidate("+442079460001", "n-1"), candidate("+442079460002", "n-2")
    else:
        before, after = candidate("neighbour_before", "n-1"), candidate("neighbour_after", "n-2")
    assert rules.check(before) == []
    findings = rules.check(bad)
    assert rules.check(after) == []
    return findings


# (case id, pool settings, the bad candidate, rule id, words the message must hold)
BAD_RECORDS: list[tuple[str, dict[str, Any], Candidate, str, str]] = [
    ("space", {}, candidate("ada lovelace"), "username.whitespace", "'ada lovelace' contains whitespace"),
    ("tab", {}, candidate("ada\tl"), "username.whitespace", "'ada\\tl' contains whitespace"),
    ("nbsp", {}, candidate("ada\u00a0l"), "username.whitespace", "whitespace"),
    ("empty", {}, candidate("", email="e@example.org"), "username.length", "the username is empty"),
    ("129 chars", {}, candidate("a" * 129), "username.length", "is 129 characters long"),
    ("zero-width", {}, candidate("ada\u200b"), "username.characters", "U+200B"),
    ("control", {}, candidate("ada\x07"), "username.characters", "U+0007"),
    (
        "email alias",
        {"alias_attributes": ("email",)},
        candidate("ada@example.org"),
        "username.alias-format",
        "'ada@example.org' looks like an email address",
    ),
    (
        "phone alias",
        {"alias_attributes": ("phone_number",)},
        candidate("+442079460958"),
        "username.alias-format",
        "looks like a phone number",
    ),
    (
        "sign in by email",
        {"username_attributes": ("email",)},
        candidate("ada", email="ada@example.org"),
        "username.sign-in-format",
        "'ada' is not an email address",
    ),
    (
        "sign in by phone",
        {"username_attributes": ("phone_number",), "auto_verified_attributes": ("email",)},
        candidate("ada@example.org"),
        "username.sign-in-format",
        "is not a phone number",
    ),
    ("email no domain", {}, candidate("ada", email="ada@"), "email.invalid", "'ada@' is not a valid address"),
    ("email no dot", {}, candidate("ada", email="ada@example"), "email.invalid", "the domain has no dot"),
    ("email two @", {}, candidate("ada", email="a@b@example.org"), "email.invalid", "exactly one @"),
    ("email space", {}, candidate("ada", email="a da@example.org"), "email.invalid", "whitespace"),
    ("email no local", {}, candidate("ada", email="@example.org"), "email.invalid", "before the @ is empty"),
    ("email dots", {}, candidate("ada", email="ada@example..org"), "email.invalid", "empty part"),
    ("email 65", {}, candidate("ada", email="a" * 65 + "@example.org"), "email.invalid", "64"),
    ("phone spaces", {}, candidate("ada", phone_number="020 7946 0958"), "phone.invalid", "E.164"),
    ("phone short", {}, candidate("ada", phone_number="+1234567"), "phone.invalid", "'+1234567'"),
    ("phone 16", {}, candidate("ada", phone_number="+" + "1" * 16), "phone.invalid", "8 to 15 digits"),
    ("mfa off", {"mfa_configuration": "OFF"}, candidate(mfa=True), "mfa.mismatch", "MFA is OFF"),
    ("mfa on", {"mfa_configuration": "ON"}, candidate(mfa=False), "mfa.mismatch", "requires MFA (ON)"),
    (
        "not verified",
        {},
        candidate(email_verified="false"),
        "auto-verified.none",
        "email_verified = true with an email",
    ),
    (
        "no email",
        {},
        candidate(email="", email_verified=""),
        "auto-verified.none",
        "the user has no email",
    ),
    (
        "verified without value",
        {},
        candidate(phone_number_verified="true"),
        "auto-verified.without-value",
        "phone_number_verified is true but the user has no phone_number",
    ),
    (
        "policy",
        {"username_policy": "[a-z][a-z0-9_]*"},
        candidate("Ada-1"),
        "username.policy",
        "'Ada-1' does not match the username policy '[a-z][a-z0-9_]*'",
    ),
]


@pytest.mark.parametrize(
    ("settings_", "bad", "rule", "words"),
    [case[1:] for case in BAD_RECORDS],
    ids=[case[0] for case in BAD_RECORDS],
)
def test_a_bad_record_is_rejected_by_its_rule_and_its_neighbours_pass(
    settings_: dict[str, Any], bad: Candidate, rule: str, words: str
) -> None:
    settings_ = dict(settings_)
    policy = settings_.pop("username_policy", None)
    profile = pool_profile(**settings_)
    findings = check_between_neighbours(RuleSet(profile, username_policy=policy), bad)
    assert rules_of(findings) == [rule]
    assert words in findings[0].message
    assert rule in RULE_IDS


def test_messages_name_the_value_not_the_record() -> None:
    finding = RuleSet(pool_profile()).check(candidate("ada", "42", email="ada@"))[0]
    assert str(finding) == "email.invalid: email 'ada@' is not a valid address: the domain is missing"
    assert "42" not in finding.message


def test_the_auto_verified_rule_stops_csv_import_only() -> None:
    (finding,) = RuleSet(pool_profile()).check(candidate(email_verified="false"))
    assert finding.only_for == CSV_IMPORT
    assert finding.blocks("csv-import")
    assert not finding.blocks("admin")
    (other,) = RuleSet(pool_profile()).check(candidate(email="ada@"))
    assert all(other.blocks(strategy) for strategy in ("csv-import", "admin", "jit"))


def test_a_pool_that_auto_verifies_nothing_can_import_nobody() -> None:
    rules = RuleSet(pool_profile(auto_verified_attributes=()))
    first, second = rules.check(candidate("ada", "1")), rules.check(candidate("bob", "2"))
    assert rules_of(first) == ["auto-verified.none"]
    assert "no import job can start" in first[0].message
    assert first[0] is second[0]  # one shared finding: the planner can say it once


def test_a_phone_verified_user_passes_a_pool_that_auto_verifies_phones() -> None:
    rules = RuleSet(pool_profile(auto_verified_attributes=("phone_number",)))
    phone_user = candidate(
        email="", email_verified="", phone_number="+442079460958", phone_number_verified="true"
    )
    assert rules.check(phone_user) == []
    assert rules_of(rules.check(candidate("bob", "2"))) == ["auto-verified.none"]


@pytest.mark.parametrize("configuration", ["OFF", "ON", "OPTIONAL"])
def test_unknown_mfa_is_never_a_mismatch_and_optional_pools_take_anything(configuration: str) -> None:
    rules = RuleSet(pool_profile(mfa_configuration=configuration))
    assert rules.check(candidate("a", "1", mfa=None)) == []
    if configuration == "OPTIONAL":
        assert rules.check(candidate("b", "2", mfa=True)) == []
        assert rules.check(candidate("c", "3", mfa=False)) == []


def test_email_shaped_usernames_are_fine_without_an_email_alias() -> None:
    assert RuleSet(pool_profile()).check(candidate("ada@example.org")) == []
    # Not a valid address, so not "of email format": the alias pool takes it.
    assert (
        RuleSet(pool_profile(alias_attributes=("email",))).check(candidate("ada@home", email="a@x.org")) == []
    )


def test_a_sign_in_by_email_pool_takes_an_email_username_as_the_required_email() -> None:
    profile = pool_profile(username_attributes=("email",), required=("email",))
    user = Candidate("1", "ada@example.org", {"email_verified": "true", "custom:legacy_id": "1"})
    assert rules_of(RuleSet(profile).check(user)) == ["auto-verified.none"]  # verified, but no email value
    assert RuleSet(profile).check(candidate("ada@example.org")) == []


def test_grandfathered_names_escape_the_policy_compared_as_the_pool_compares() -> None:
    profile = pool_profile(case_sensitive=False)
    rules = RuleSet(profile, username_policy="[a-z]+", grandfathered=["Old_Admin"])
    assert rules.check(candidate("old_admin")) == []
    assert rules_of(rules.check(candidate("other_admin", "2"))) == ["username.policy"]
    strict = RuleSet(pool_profile(case_sensitive=True), username_policy="[a-z]+", grandfathered=["Old_Admin"])
    assert rules_of(strict.check(candidate("old_admin"))) == ["username.policy"]


def test_the_policy_must_match_the_whole_username() -> None:
    rules = RuleSet(pool_profile(), username_policy="[a-z]+")
    assert rules_of(rules.check(candidate("ada99"))) == ["username.policy"]


def test_a_broken_policy_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"username_policy = '\[a-z' is no regular expression"):
        RuleSet(pool_profile(), username_policy="[a-z")


def test_messages_never_show_a_password_hash_mapped_by_mistake() -> None:
    profile = pool_profile(custom=[schema("custom:note", max_length=20)])
    user = candidate(
        custom__password=BCRYPT_HASH,  # unknown attribute
        custom__note=BCRYPT_HASH,  # too long for the pool's constraint
        nickname=BCRYPT_HASH * 40,  # over 2048 bytes
    )
    findings = RuleSet(profile).check(user)
    assert rules_of(findings) == ["attribute.unknown", "attribute.constraint", "attribute.too-long"]
    for finding in findings:
        assert BCRYPT_HASH[:20] not in finding.message


# ── properties ───────────────────────────────────────────────────────────────────────────────────────

USERNAME_CHARACTERS = st.characters(categories=["L", "M", "S", "N", "P"])
WHITESPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]


@settings(max_examples=300, deadline=None)
@given(st.text(USERNAME_CHARACTERS, min_size=1, max_size=128))
def test_usernames_of_letters_marks_symbols_numbers_and_punctuation_pass(username: str) -> None:
    assert username_shape(username) is None
    assert RuleSet(pool_profile()).check(candidate(username, email="u@example.org")) == []


@settings(max_examples=300, deadline=None)
@given(
    st.text(USERNAME_CHARACTERS, max_size=60),
    st.sampled_from(WHITESPACE),
    st.text(USERNAME_CHARACTERS, max_size=60),
)
def test_any_whitespace_anywhere_rejects_a_username(before: str, space: str, after: str) -> None:
    finding = username_shape(before + space + after)
    assert finding is not None
    assert finding.rule == "username.whitespace"


@settings(max_examples=200, deadline=None)
@given(st.emails())
def test_valid_email_addresses_pass(address: str) -> None:
    assert email_problem(address) is None


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_e164_numbers_pass(number: str) -> None:
    assert phone_problem(number) is None
