"""Mapping source fields to Cognito attributes: what a user writes in [attributes], and what comes out."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognito_migrate.config import parse_plan_text
from cognito_migrate.config.models import AttributeSpec
from cognito_migrate.errors import ConfigError
from cognito_migrate.mapping import (
    AttributeMapper,
    MappedUser,
    MappingProblem,
    TransformError,
    boolean,
    compile_transform,
    epoch_seconds,
    lower,
    strip,
    upper,
)
from cognito_migrate.sources.records import LegacyUser, PasswordHash

HEADER = """
[source]
type = "sql"
url = "sqlite:///users.db"
table = "users"

[target]
pool_id = "eu-west-1_AbCdEf123"
"""

COGNITO_HEADER = """
[source]
type = "cognito"
pool_id = "eu-west-1_Source1"

[target]
pool_id = "eu-west-1_AbCdEf123"
"""


def mapper_from(attributes: str, strategy: str = "", source: str = HEADER) -> AttributeMapper:
    text = source + "\n[attributes]\n" + textwrap.dedent(attributes) + "\n[strategy]\n" + strategy
    return AttributeMapper.from_config(parse_plan_text(text))


def user(source_id: str = "42", username: str = "ada", **fields: Any) -> LegacyUser:
    return LegacyUser(source_id=source_id, username=username, fields=fields, location="users.csv:2")


def apply(spec: str, value: Any) -> str:
    return compile_transform(spec)(value)


def cannot(spec: str, value: Any) -> str:
    with pytest.raises(TransformError) as caught:
        compile_transform(spec)(value)
    return str(caught.value)


# ── the plan file, end to end ───────────────────────────────────────────────────────────────────────


def test_a_plan_files_attributes_map_a_user() -> None:
    mapper = mapper_from(
        """
        email = { field = "mail", transforms = ["strip", "lower"] }
        email_verified = { literal = "true" }
        name = { template = "{given} {family}" }
        phone_number = { field = "phone", transforms = ["e164:GB"] }
        birthdate = { field = "born", transforms = ["date:%d.%m.%Y"] }
        locale = { field = "lang", default = "en" }
        "custom:team" = "team"
        """
    )
    mapped = mapper.map(
        user(
            mail=" Ada@Example.COM ", given="Ada", family="Lovelace", phone="020 7946 0958", born="10.12.1815"
        )
    )
    assert mapped == MappedUser(
        {
            "email_verified": "true",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "phone_number": "+442079460958",
            "birthdate": "1815-12-10",
            "locale": "en",
            "custom:legacy_id": "42",
        },
        (),
    )
    assert mapped.ok
    assert mapper.attribute_names == (
        "email",
        "email_verified",
        "name",
        "phone_number",
        "birthdate",
        "locale",
        "custom:team",
        "custom:legacy_id",
    )


def test_a_bad_value_is_a_problem_for_that_attribute_and_the_others_still_map() -> None:
    mapper = mapper_from(
        """
        email = { field = "mail", transforms = ["strip", "lower"] }
        phone_number = { field = "phone", transforms = ["e164"] }
        email_verified = { field = "verified", transforms = ["boolean"] }
        """
    )
    mapped = mapper.map(user(mail="ada@example.com", phone="020 7946 0958x", verified="maybe"))
    assert mapped.attributes == {"email": "ada@example.com", "custom:legacy_id": "42"}
    assert not mapped.ok
    assert [str(problem) for problem in mapped.problems] == [
        "phone_number: e164 cannot read '020 7946 0958x' as an international phone number "
        "(+ and the country code; or give a region: e164:GB)",
        "email_verified: boolean cannot read 'maybe' as a boolean "
        "(expected true/false, yes/no, 1/0, t/f or y/n)",
    ]
    assert mapped.problems[0] == MappingProblem("phone_number", "e164", mapped.problems[0].message)


def test_empty_values_are_left_out_and_defaults_fill_them() -> None:
    mapper = mapper_from(
        """
        nickname = "nick"
        locale = { field = "lang", default = "en" }
        zoneinfo = { field = "tz", transforms = ["strip"], default = "Europe/London" }
        """
    )
    mapped = mapper.map(user(nick="", lang=None, tz="   "))
    assert mapped.attributes == {"locale": "en", "zoneinfo": "Europe/London", "custom:legacy_id": "42"}


def test_values_that_are_not_text_become_text_as_cognito_reads_it() -> None:
    mapper = mapper_from('email_verified = "verified"\n"custom:score" = "score"\n"custom:nick" = "nick"')
    mapped = mapper.map(user(verified=True, score=7, nick=b"Ada"))
    assert mapped.attributes == {
        "email_verified": "true",
        "custom:score": "7",
        "custom:nick": "Ada",
        "custom:legacy_id": "42",
    }
    broken = mapper.map(user(nick=b"\xffAda"))
    assert [problem.rule for problem in broken.problems] == ["field"]
    assert "as UTF-8 text" in broken.problems[0].message


def test_username_and_source_id_fields_fall_back_to_the_records_own() -> None:
    mapper = mapper_from(
        'preferred_username = "username"\n"custom:old_id" = { template = "hub-{source_id}" }'
    )
    assert mapper.map(user()).attributes["preferred_username"] == "ada"
    assert mapper.map(user()).attributes["custom:old_id"] == "hub-42"
    # …but a source field of that name wins
    assert mapper.map(user(username="Ada L.")).attributes["preferred_username"] == "Ada L."


# ── templates ───────────────────────────────────────────────────────────────────────────────────────


def test_a_template_with_a_missing_field_leaves_the_attribute_missing_not_none() -> None:
    mapper = mapper_from(
        """
        name = { template = "{given} {family}" }
        nickname = { template = "{given} {family}", default = "friend" }
        """
    )
    for fields in ({"given": "Ada"}, {"given": "Ada", "family": None}, {"given": "Ada", "family": ""}):
        assert mapper.map(user(**fields)).attributes == {"nickname": "friend", "custom:legacy_id": "42"}


def test_templates_allow_literal_braces_and_simple_format_specs() -> None:
    mapper = mapper_from(
        """
        "custom:badge" = { template = "{{{team}}}#{number:>05}" }
        "custom:score" = { template = "{score:.1f}%" }
        """
    )
    mapped = mapper.map(user(team="red", number="42", score=97.25))
    assert mapped.attributes["custom:badge"] == "{red}#00042"
    assert mapped.attributes["custom:score"] == "97.2%"
    bad = mapper.map(user(team="red", number="42", score="high"))
    assert [str(problem) for problem in bad.problems] == [
        "custom:score: template cannot read 'high' with the format '.1f'"
    ]


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        ("{user.name}", "attribute access or indexing"),
        ("{names[0]}", "attribute access or indexing"),
        ("{0} {1}", "needs a field name"),
        ("{}", "needs a field name"),
        ("{name!r}", "conversions are not supported"),
        ("{name:{width}}", "only a simple format spec"),
        ("{name", "literal braces"),
    ],
)
def test_templates_that_do_more_than_name_fields_are_refused(template: str, complaint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        mapper_from(f"name = {{ template = '{template}' }}")
    assert str(caught.value).startswith(f"[attributes] name.template = {template!r}: ")
    assert complaint in str(caught.value)


# ── callable hooks ──────────────────────────────────────────────────────────────────────────────────

HOOKS = """
def full_name(user):
    parts = [user.fields.get("given"), user.fields.get("family")]
    return " ".join(p for p in parts if p) or None

def explode(user):
    raise RuntimeError("no name for " + user.username)

def number(user):
    return 7

GREETING = "hello"

class Names:
    @staticmethod
    def upper_username(user):
        return user.username.upper()
"""


@pytest.fixture
def hook_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    package = tmp_path / "mappinghooks_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "names.py").write_text(HOOKS)
    (tmp_path / "mappinghooks_broken.py").write_text("raise ImportError('needs the ldap extra')\n")
    (tmp_path / "mappinghooks_crashes.py").write_text("1 / 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "mappinghooks_pkg.names"


def test_a_callable_hook_gets_the_whole_user(hook_module: str) -> None:
    mapper = mapper_from(
        f"""
        name = {{ callable = "{hook_module}:full_name" }}
        nickname = {{ callable = "{hook_module}:Names.upper_username", transforms = ["lower"] }}
        """
    )
    assert mapper.map(user(given="Ada", family="Lovelace")).attributes == {
        "name": "Ada Lovelace",
        "nickname": "ada",
        "custom:legacy_id": "42",
    }
    assert "name" not in mapper.map(user()).attributes  # the hook returned None


def test_a_hook_that_fails_on_one_user_is_a_problem_for_that_user(hook_module: str) -> None:
    mapper = mapper_from(
        f"""
        name = {{ callable = "{hook_module}:explode" }}
        nickname = {{ callable = "{hook_module}:number" }}
        email = "mail"
        """
    )
    mapped = mapper.map(user(mail="ada@example.com"))
    assert mapped.attributes == {"email": "ada@example.com", "custom:legacy_id": "42"}
    assert [str(problem) for problem in mapped.problems] == [
        f"name: callable {hook_module}:explode raised RuntimeError: no name for ada",
        f"nickname: callable {hook_module}:number returned 7; expected text or None",
    ]


@pytest.mark.parametrize(
    ("path", "complaint"),
    [
        (
            "mappinghooks_pkg.names:missing",
            "cannot import it: module 'mappinghooks_pkg.names' has no attribute",
        ),
        (
            "mappinghooks_pkg.nowhere:full_name",
            "cannot import it: No module named 'mappinghooks_pkg.nowhere'",
        ),
        ("mappinghooks_broken:anything", "cannot import it: needs the ldap extra"),
        ("mappinghooks_crashes:anything", "importing it raised ZeroDivisionError"),
        ("mappinghooks_pkg.names:GREETING", "GREETING is a str, not a function"),
    ],
)
def test_a_hook_that_cannot_be_imported_is_a_config_error_naming_the_attribute(
    hook_module: str, path: str, complaint: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        mapper_from(f'"custom:team" = {{ callable = "{path}" }}')
    assert str(caught.value).startswith(f"[attributes] custom:team.callable = {path!r}: ")
    assert complaint in str(caught.value)


# ── the legacy id and sub ───────────────────────────────────────────────────────────────────────────


def test_the_legacy_id_is_kept_by_default_in_a_configurable_attribute_or_not_at_all() -> None:
    assert mapper_from("").map(user()).attributes == {"custom:legacy_id": "42"}
    moved = mapper_from("", strategy='legacy_id_attribute = "custom:hub_id"')
    assert moved.map(user()).attributes == {"custom:hub_id": "42"}
    assert mapper_from("", strategy="legacy_id_attribute = false").map(user()).attributes == {}
    # An explicit mapping of that attribute wins over the source id.
    explicit = mapper_from('"custom:legacy_id" = "employee_no"')
    assert explicit.map(user(employee_no="E-7")).attributes == {"custom:legacy_id": "E-7"}


def test_sub_is_never_written() -> None:
    with pytest.raises(ConfigError, match="'sub' is assigned by Cognito"):
        AttributeMapper({"sub": AttributeSpec(field="id")})
    identity = AttributeMapper.identity_for_cognito_fields()
    assert "sub" not in identity.map(user(sub="8a1b-…", email="ada@example.com")).attributes


def test_identity_mapping_for_cognito_shaped_sources() -> None:
    mapper = mapper_from("", source=COGNITO_HEADER)
    record = user(
        "8a1b2c3d",
        "ada",
        sub="8a1b2c3d",
        email="ada@example.com",
        email_verified="true",
        **{"custom:team": "red", "cognito:username": "ada", "cognito:mfa_enabled": "false", "favourite": "x"},
    )
    assert mapper.map(record).attributes == {
        "email": "ada@example.com",
        "email_verified": "true",
        "custom:team": "red",
        "custom:legacy_id": "8a1b2c3d",
    }
    # With [attributes] given, the plan file says exactly what is written.
    explicit = mapper_from('email = { field = "email", transforms = ["upper"] }', source=COGNITO_HEADER)
    assert explicit.map(record).attributes == {"email": "ADA@EXAMPLE.COM", "custom:legacy_id": "8a1b2c3d"}
    # A plain SQL source is not Cognito-shaped: nothing is copied unasked.
    assert mapper_from("").map(record).attributes == {"custom:legacy_id": "8a1b2c3d"}


def test_a_password_hash_is_never_quoted_in_a_problem() -> None:
    stored = "$2b$04$sB8MueJAZQl7T7pD4MfjTOBSsv0ANBerjYrDS710vu.We11E3ffNi"
    mapper = mapper_from('"custom:secret" = { field = "password", transforms = ["boolean"] }')
    record = LegacyUser("42", "ada", {"password": stored}, password_hash=PasswordHash(stored, "bcrypt"))
    (problem,) = mapper.map(record).problems
    assert stored not in str(problem)
    assert "cannot read a hidden value as a boolean" in str(problem)
    other = mapper.map(
        user(password="pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=")
    )
    assert "seasalt" not in str(other.problems[0])


# ── configuration mistakes found before any user is read ────────────────────────────────────────────


@pytest.mark.parametrize(
    ("attributes", "complaint"),
    [
        (
            'phone_number = { field = "p", transforms = ["e164:XX"] }',
            "phone_number.transforms = 'e164:XX': unknown region",
        ),
        (
            'email = { field = "e", transforms = ["strip:all"] }',
            "email.transforms = 'strip:all': strip takes no argument",
        ),
        ('birthdate = { field = "b", transforms = ["date:%d.%m"] }', "must hold a day, a month and a year"),
        ('birthdate = { field = "b", transforms = ["date:%Q"] }', "not a usable strptime format"),
        ('birthdate = { field = "b", transforms = ["date:"] }', "nothing after 'date:'"),
        (
            'email_verified = { literal = "maybe", transforms = ["boolean"] }',
            "email_verified.literal = 'maybe': boolean",
        ),
    ],
)
def test_configuration_mistakes_are_config_errors_naming_the_attribute(
    attributes: str, complaint: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        mapper_from(attributes)
    assert str(caught.value).startswith("[attributes] ")
    assert complaint in str(caught.value)


def test_a_literal_is_transformed_once() -> None:
    mapper = mapper_from('email_verified = { literal = " Yes ", transforms = ["boolean"] }')
    assert mapper.map(user()).attributes["email_verified"] == "true"


_EVERYTHING = AttributeMapper(
    {
        "email": AttributeSpec(field="mail", transforms=("strip", "lower")),
        "phone_number": AttributeSpec(field="phone", transforms=("e164:US",)),
        "birthdate": AttributeSpec(field="born", transforms=("date",)),
        "name": AttributeSpec(template="{given} {family}"),
        "email_verified": AttributeSpec(field="flag", transforms=("boolean",), default="false"),
        "updated_at": AttributeSpec(field="when", transforms=("epoch-seconds",)),
    }
)


@given(
    st.dictionaries(
        st.sampled_from(["mail", "phone", "born", "given", "family", "flag", "when"]),
        st.one_of(
            st.none(), st.text(max_size=30), st.integers(), st.booleans(), st.binary(max_size=8), st.dates()
        ),
    )
)
def test_mapping_never_raises_and_yields_only_text(fields: dict[str, Any]) -> None:
    mapped = _EVERYTHING.map(user(**fields))
    assert all(isinstance(value, str) and value for value in mapped.attributes.values())
    assert {problem.attribute for problem in mapped.problems}.isdisjoint(mapped.attributes)


# ── transforms, one by one ──────────────────────────────────────────────────────────────────────────


@given(st.text())
def test_strip_lower_upper_are_idempotent(text: str) -> None:
    for transform in (strip, lower, upper):
        assert transform(transform(text)) == transform(text)
    assert strip(f"  {text.strip()}\t\n") == text.strip()


_TRUTHS = {"true": True, "1": True, "yes": True, "t": True, "y": True}
_FALSEHOODS = {"false": False, "0": False, "no": False, "f": False, "n": False}


@given(st.sampled_from(sorted({**_TRUTHS, **_FALSEHOODS}.items())), st.randoms(use_true_random=False))
def test_boolean_reads_every_spelling_in_any_case(word_and_truth: tuple[str, bool], rnd: Any) -> None:
    word, truth = word_and_truth
    spelled = "".join(c.upper() if rnd.random() < 0.5 else c for c in word)
    assert boolean(f" {spelled} ") == ("true" if truth else "false")
    assert boolean(boolean(spelled)) == boolean(spelled)  # its output reads back the same


def test_boolean_values_from_databases() -> None:
    assert [boolean(v) for v in (True, False, 1, 0, b"yes")] == ["true", "false", "true", "false", "true"]
    for bad in ("maybe", "", "yes please", 2, -1, 1.0, None):
        with pytest.raises(TransformError, match="as a boolean"):
            boolean(bad)


_REGIONS = ["GB", "US", "DE", "FR", "IN", "AU", "JP", "BR", "ZA", "CH", "SG", "NG"]
_TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]


@given(st.sampled_from(_REGIONS), st.sampled_from(_TYPES))
def test_e164_reads_national_and_international_numbers(region: str, kind: int) -> None:
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert apply(f"e164:{region}", national) == expected
    assert apply(f"e164:{region.lower()}", international) == expected
    assert apply("e164", international) == expected
    assert apply("e164", expected) == expected  # E.164 in, the same out
    assert apply("e164:GB", expected) == expected  # an international number ignores the region


def test_e164_refuses_what_it_cannot_read() -> None:
    assert "as an international phone number" in cannot("e164", "020 7946 0958")
    assert (
        cannot("e164:GB", "12345") == "cannot read '12345' as a phone number in region GB: not a valid number"
    )
    assert "as a phone number in region GB" in cannot("e164:GB", "call me")
    assert "no room for the extension" in cannot("e164:GB", "020 7946 0958 ext. 123")
    assert apply("e164:GB", 2079460958) == "+442079460958"  # a number stored as an integer


@given(st.dates())
def test_date_reads_iso_us_and_date_objects(day: date) -> None:
    iso = day.isoformat()
    assert apply("date", iso) == iso
    assert apply("date", day) == iso
    assert apply("date", datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC)) == iso
    assert apply("date", f"{iso}T23:30:00-05:00") == iso  # the date as written, not in UTC
    assert apply("date", f"{day.month:02}/{day.day:02}/{day.year:04}") == iso  # Cognito's CSV form
    assert apply("date", apply("date", iso)) == iso


@given(st.dates(min_value=date(1000, 1, 1)), st.sampled_from(["%d.%m.%Y", "%Y/%m/%d", "%d %B %Y", "%Y%m%d"]))
def test_date_with_a_format_round_trips(day: date, fmt: str) -> None:
    assert apply(f"date:{fmt}", day.strftime(fmt)) == day.isoformat()


def test_date_refuses_what_it_cannot_read() -> None:
    assert (
        cannot("date:%d.%m.%Y", "31.02.2020") == "cannot read '31.02.2020' as a date in the format %d.%m.%Y"
    )
    for bad in ("2020-13-01", "13/01/2020", "yesterday", "2020-02-30"):
        assert "as a date (expected YYYY-MM-DD" in cannot("date", bad)


@given(
    st.datetimes(
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])
    )
)
def test_epoch_seconds_of_aware_times(moment: datetime) -> None:
    # Exact arithmetic: datetime.timestamp() is a float, which rounds 0.999997 s up far from 1970.
    expected = str((moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1))
    assert epoch_seconds(moment) == expected
    assert epoch_seconds(moment.isoformat()) == expected
    assert epoch_seconds(epoch_seconds(moment)) == expected


def test_epoch_seconds_of_other_values() -> None:
    assert epoch_seconds(datetime(2023, 11, 14, 22, 13, 20)) == "1700000000"  # naive: UTC
    assert epoch_seconds("2023-11-14T22:13:20Z") == "1700000000"
    assert epoch_seconds(date(2023, 11, 14)) == "1699920000"
    assert epoch_seconds(1700000000.9) == "1700000000"
    assert epoch_seconds(" 1700000000 ") == "1700000000"
    assert epoch_seconds(-1.5) == "-2"
    with pytest.raises(TransformError, match=r"milliseconds, perhaps\?"):
        epoch_seconds(1700000000000)
    for bad in (True, "yesterday", float("nan"), ""):
        with pytest.raises(TransformError, match="as a time"):
            epoch_seconds(bad)


_FIELD_VALUES = st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 5), st.booleans())


@given(st.lists(st.tuples(_FIELD_VALUES, _FIELD_VALUES, _FIELD_VALUES), min_size=1, max_size=20))
def test_mapping_columns_gives_what_mapping_each_user_gives(rows: list[tuple[Any, Any, Any]]) -> None:
    # The batch planner maps columns; for users it plans in batches it must see map()'s attributes.
    mapper = AttributeMapper({
        "email": AttributeSpec(field="mail", transforms=("strip", "lower")),
        "given_name": AttributeSpec(field="first"),
        "family_name": AttributeSpec(field="last", default="Unknown"),
        "email_verified": AttributeSpec(literal="true"),
    })  # fmt: skip
    users = [
        LegacyUser(str(i), f"u{i}", {"mail": mail, "first": first, "last": last})
        for i, (mail, first, last) in enumerate(rows)
    ]
    columns = mapper.map_columns(
        {name: [user.fields[name] for user in users] for name in ("mail", "first", "last")},
        [user.source_id for user in users],
    )
    mapped = [mapper.map(user) for user in users]
    if columns is None:  # a value map() cannot read either: the batch planner leaves all to map()
        assert any(m.problems for m in mapped)
        return
    names = [name for name, _ in columns]
    for position, expected in enumerate(mapped):
        assert not expected.problems
        got = {name: column[position] for name, column in columns if column[position]}
        assert list(got.items()) == list(expected.attributes.items())
        assert set(expected.attributes) <= set(names)
