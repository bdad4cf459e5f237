"""The plan file: what a user writes, and the messages they get when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognito_migrate.config import SOURCE_TYPES, load_plan_file, parse_plan_text, write_example
from cognito_migrate.config.examples import example_text
from cognito_migrate.config.models import STANDARD_ATTRIBUTES, JupyterHubSource, SqlSource
from cognito_migrate.errors import ConfigError

GOOD = """
[source]
type = "jupyterhub"
database = "hub/jupyterhub.sqlite"
last_active_within_days = false

[target]
pool_id = "eu-west-1_AbCdEf123"
region = "eu-west-1"

[target.quotas]
UserCreation = 100

[attributes]
email = { field = "email", transforms = ["strip", "lower"] }
email_verified = { literal = "true" }
"custom:legacy_id" = "id"

[strategy]
method = "admin"
without_hash = "temporary-password"
credentials_file = "secrets/credentials.csv"
"""


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_plan_text(text)
    return str(caught.value)


def test_a_good_file_loads_into_typed_sections(tmp_path: Path) -> None:
    path = tmp_path / "migration.toml"
    path.write_text(GOOD)
    config = load_plan_file(path)
    assert isinstance(config.source, JupyterHubSource)
    assert config.source.last_active_within_days is False
    assert config.source.require_2fa is True  # defaults reproduce the portal rules
    assert config.target.quotas == {"UserCreation": 100}
    assert config.attributes["custom:legacy_id"].field == "id"  # a bare string names a field
    assert config.attributes["email"].transforms == ("strip", "lower")
    assert config.strategy.method == "admin"
    # Relative paths are taken from the plan file's folder, not from where the command runs.
    assert config.strategy.credentials_file is not None
    assert config.resolve(config.strategy.credentials_file) == tmp_path / "secrets/credentials.csv"
    assert config.checksum is not None
    assert len(config.checksum) == 64


def test_checksum_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "migration.toml"
    path.write_text(GOOD)
    first = load_plan_file(path).checksum
    path.write_text(GOOD.replace("UserCreation = 100", "UserCreation = 90"))
    assert load_plan_file(path).checksum != first


def test_a_misspelt_key_is_named_with_its_line_and_a_suggestion() -> None:
    message = problem(GOOD.replace('pool_id = "eu', 'pool_idd = "eu'))
    assert "migration.toml:8: [target] pool_idd is not a known key; did you mean 'pool_id'?" in message
    assert "[target] pool_id is missing: expected the target pool's id" in message


def test_a_bad_value_names_key_value_and_what_was_expected() -> None:
    message = problem(GOOD.replace('region = "eu-west-1"', 'region = "eu-west-1"\nmax_attempts = 0'))
    assert message == (
        "migration.toml:10: [target] max_attempts = 0: expected attempts per call, from 1 to 20 "
        "(input should be greater than or equal to 1)"
    )


def test_a_nested_table_value_points_at_its_own_line() -> None:
    message = problem(GOOD.replace("UserCreation = 100", "UserCreation = -5"))
    assert message.startswith("migration.toml:12: [target] quotas.UserCreation = -5: expected requests")


def test_an_unknown_source_type_suggests_the_closest() -> None:
    message = problem(GOOD.replace('type = "jupyterhub"', 'type = "jupyterhb"'))
    assert "[source] type = 'jupyterhb': expected one of cognito, csv, jsonl, jupyterhub, sql" in message
    assert "did you mean 'jupyterhub'?" in message


def test_every_problem_is_listed_at_once() -> None:
    text = GOOD.replace('method = "admin"', 'method = "fast"').replace(
        '"custom:legacy_id" = "id"', '"custom:legacy_id" = "id"\nsub = "id"\nnickname2 = "x"'
    )
    message = problem(text)
    assert message.startswith("migration.toml: 3 problems")
    assert "[strategy] method = 'fast': expected auto, csv-import, admin or jit" in message
    assert "[attributes] sub: 'sub' is assigned by Cognito" in message
    assert "[attributes] nickname2: expected a standard Cognito attribute" in message
    assert "did you mean 'nickname'?" in message


def test_an_attribute_needs_exactly_one_origin() -> None:
    message = problem(GOOD.replace('{ literal = "true" }', '{ literal = "true", field = "verified" }'))
    assert "[attributes] email_verified: give exactly one of field, literal, template or callable" in message


def test_unknown_transform_is_refused() -> None:
    message = problem(GOOD.replace('"strip", "lower"', '"strip", "titlecase"'))
    assert "unknown transform 'titlecase'" in message


def test_sql_source_needs_table_or_query_but_not_both() -> None:
    base = GOOD.replace(
        'type = "jupyterhub"\ndatabase = "hub/jupyterhub.sqlite"\nlast_active_within_days = false',
        'type = "sql"\nurl = "postgresql://127.0.0.1/test"',
    )
    assert "give exactly one of table or query" in problem(base)
    config = parse_plan_text(base.replace('url = "', 'table = "users"\nurl = "'))
    assert isinstance(config.source, SqlSource)
    assert config.source.table == "users"


def test_invalid_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    assert problem("[source\n").startswith("migration.toml: not valid TOML: ")
    with pytest.raises(ConfigError, match="no such plan file; `cognito-migrate init` writes"):
        load_plan_file(tmp_path / "nope.toml")


def test_a_bad_pool_id_is_refused() -> None:
    message = problem(GOOD.replace("eu-west-1_AbCdEf123", "my pool"))
    assert "[target] pool_id = 'my pool': expected a user pool id like us-east-1_AbCdEf123" in message


@pytest.mark.parametrize("source_type", SOURCE_TYPES)
def test_every_example_written_by_init_loads(tmp_path: Path, source_type: str) -> None:
    path = write_example(tmp_path / "migration.toml", source_type, pool_id="us-west-2_Example1")
    config = load_plan_file(path)
    assert config.source.type in {source_type, "csv", "jsonl"}
    assert config.target.pool_id == "us-west-2_Example1"
    assert path.read_text().count("#") > 10  # commented for a person reading it


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = write_example(tmp_path / "migration.toml", "sql")
    with pytest.raises(ConfigError, match="already exists; pass --force"):
        write_example(path, "sql")
    write_example(path, "csv", force=True)
    assert 'type = "csv"' in path.read_text()


@given(st.text(min_size=1, max_size=40))
def test_any_database_string_round_trips_through_the_example(database: str) -> None:
    # Quotes, backslashes and unicode in a path or URL must not break the written TOML.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in database):
        return  # control characters are not allowed in TOML basic strings at all
    config = parse_plan_text(example_text("jupyterhub", database=database))
    assert isinstance(config.source, JupyterHubSource)
    assert config.source.database == database.strip()


@given(st.sampled_from(sorted(STANDARD_ATTRIBUTES - {"sub"})))
def test_every_standard_attribute_is_accepted(name: str) -> None:
    text = example_text("csv", pool_id="us-east-1_Abc").replace(
        "[attributes]", f'[attributes]\n"{name}" = "x"', 1
    )
    if name in ("email", "email_verified"):
        text = text.replace(f"\n{name} = {{", f"\n# {name} = {{")
    config = parse_plan_text(text)
    assert name in config.attributes


def test_a_tab_is_a_valid_csv_delimiter() -> None:
    config = parse_plan_text(
        example_text("csv").replace('encoding = "utf-8"', 'encoding = "utf-8"\ndelimiter = "\\t"')
    )
    assert config.source.type == "csv"
    assert config.source.delimiter == "\t"
