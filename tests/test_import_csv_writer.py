"""The import CSV as Cognito reads it: every column, escapes, booleans, dates, MFA, limits, 0600 files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_migrate.sources.formats.cognito_csv import split_cognito_row
from cognito_migrate.strategies.csv_import import ImportCsvWriter, RowRejected

HEADER = ("name", "email", "email_verified", "birthdate", "phone_number", "phone_number_verified",
          "cognito:mfa_enabled", "cognito:username", "custom:legacy_id")  # fmt: skip


def rows(path: Path) -> list[dict[str, str]]:
    # Split on \n only: str.splitlines() would also split on U+2028 and friends, which are data here.
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    header = split_cognito_row(lines[0])
    return [dict(zip(header, split_cognito_row(line), strict=True)) for line in lines[1:]]


def test_rows_follow_cognitos_rules(tmp_path: Path) -> None:
    writer = ImportCsvWriter(tmp_path, HEADER, algorithm="BCRYPT", mfa_configuration="OPTIONAL")
    name, line = writer.add(
        "ada",
        {"name": "Lovelace, Ada", "email": "ada@example.org", "email_verified": "true",
         "birthdate": "1815-12-10", "custom:legacy_id": "42"},
        mfa_enabled=True, password_hash="$2b$10$abc",
    )  # fmt: skip
    writer.add("bob", {"email": "bob@example.org", "email_verified": "false"})
    (file,) = writer.close()
    assert (name, line, file.users) == ("import-bcrypt-001.csv", 1, 2)
    path = tmp_path / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    assert raw.splitlines()[0].decode() == ",".join(HEADER) + ",password_hash"
    assert "Lovelace\\, Ada" in raw.decode()  # commas escaped, not quoted
    ada, bob = rows(path)
    assert ada["name"] == "Lovelace, Ada"
    assert (ada["email_verified"], ada["birthdate"], ada["cognito:mfa_enabled"]) == (
        "TRUE",
        "12/10/1815",
        "TRUE",
    )
    assert ada["password_hash"] == "$2b$10$abc"
    assert (bob["email_verified"], bob["cognito:mfa_enabled"], bob["password_hash"]) == ("FALSE", "FALSE", "")
    assert bob["phone_number"] == ""  # every column present, empty where the user has no value


@pytest.mark.parametrize(("pool", "user", "written"), [("ON", None, "TRUE"), ("OFF", True, "FALSE")])
def test_mfa_column_matches_the_pool(tmp_path: Path, pool: str, user: bool | None, written: str) -> None:
    writer = ImportCsvWriter(tmp_path, HEADER, algorithm=None, mfa_configuration=pool)
    writer.add("ada", {"email": "a@example.org"}, mfa_enabled=user)
    writer.close()
    assert rows(tmp_path / "import-reset-required-001.csv")[0]["cognito:mfa_enabled"] == written


def test_rows_cognito_would_refuse_are_rejected_and_not_written(tmp_path: Path) -> None:
    writer = ImportCsvWriter(tmp_path, HEADER, algorithm=None, mfa_configuration="OFF")
    with pytest.raises(RowRejected) as newline:
        writer.add("ada", {"name": "two\nlines"})
    assert newline.value.rule == "csv.newline"
    with pytest.raises(RowRejected) as long:
        writer.add("ada", {"name": "x" * 16_001})
    assert long.value.rule == "csv.row-too-long"
    writer.add("bob", {"email": "b@example.org"})
    (file,) = writer.close()
    assert file.users == 1


def test_files_split_at_the_user_limit_and_lines_restart(tmp_path: Path) -> None:
    writer = ImportCsvWriter(tmp_path, HEADER, algorithm=None, mfa_configuration="OFF", max_users=2)
    places = [writer.add(f"user{i}", {"email": f"u{i}@example.org"}) for i in range(5)]
    files = writer.close()
    assert [f.users for f in files] == [2, 2, 1]
    assert places[2] == ("import-reset-required-002.csv", 1)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40))
def test_any_value_round_trips_through_cognitos_escaping(
    tmp_path_factory: pytest.TempPathFactory, value: str
) -> None:
    if value != value.strip() or "\\" in value:
        return  # Cognito trims values; how it reads backslashes other than \\, is not documented
    directory = tmp_path_factory.mktemp("rt")
    writer = ImportCsvWriter(directory, HEADER, algorithm=None, mfa_configuration="OFF")
    writer.add("ada", {"name": value})
    writer.close()
    assert rows(directory / "import-reset-required-001.csv")[0]["name"] == value
