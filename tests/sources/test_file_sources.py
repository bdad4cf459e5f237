"""User files as a source: plain CSV/JSONL, Cognito's import CSV, ListUsers JSON and backup JSON.

Every file is written by the test (ListUsers JSON by the real AWS CLI against the local Cognito), read
through ``open_file_source`` as ``open_source`` does, and judged by what a user would see: which users
come out with which values, and which lines are reported with which reason.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cognito_migrate.config.loader import load_plan_file
from cognito_migrate.config.models import FileSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito
from cognito_migrate.local.importjobs.csvfile import join_row, split_row
from cognito_migrate.passwords.formats import HashFormat
from cognito_migrate.sources import open_source
from cognito_migrate.sources.files import UserFile, open_file_source
from cognito_migrate.sources.formats.cognito_csv import split_cognito_row
from cognito_migrate.sources.records import IssueKind, LegacyUser, SourceIssue

BCRYPT = "$2b$12$" + "abcdefghijklmnopqrstuu" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
ARGON2 = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
AWS = str(Path(sys.executable).parent / "aws")


def open_file(path: Path, **settings: Any) -> UserFile:
    file_type = settings.pop("type", "csv" if path.suffix == ".csv" else "jsonl")
    return open_file_source(FileSource(type=file_type, path=path, **settings), path)


def read(path: Path, **settings: Any) -> tuple[dict[str, LegacyUser], dict[str, SourceIssue]]:
    """Users by source id and issues by location."""
    source = open_file(path, **settings)
    try:
        records = list(source.records())
    finally:
        source.close()
    users = {r.source_id: r for r in records if isinstance(r, LegacyUser)}
    issues = {r.location: r for r in records if isinstance(r, SourceIssue)}
    assert len(users) + len(issues) == len(records), "ids and locations are unique in these files"
    return users, issues


def reasons(issues: dict[str, SourceIssue]) -> dict[str, str]:
    assert all(issue.kind is IssueKind.MALFORMED for issue in issues.values())
    return {where: issue.reason for where, issue in issues.items()}


# ── plain CSV ────────────────────────────────────────────────────────────────────────────────────────


def test_plain_csv_reports_each_bad_row_by_line_and_reads_every_other(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,username,email,address,password_hash,active,groups\r\n"  # 1, with a BOM
        + f'1,alice,alice@example.org,"1 Main St, Springfield",{BCRYPT},true,"staff,admins"\r\n'.encode()
        + b'6,frank,frank@example.org,"Flat 2\r\n'  # 3: a quoted value over two lines
        + b'10 High St",,yes,\r\n'  # 4
        + b"2,bob,bob@example.org,,,false,\r\n"  # 5
        + b"3,carol,carol@example.org\r\n"  # 6: too few fields
        + b"4,d\xffave,dave@example.org,,,,\r\n"  # 7: not UTF-8
        + b'5,"erin,erin@example.org,,,,\r\n'  # 8: a quote never closed
        + b"7,,nobody@example.org,,,,\r\n"  # 9: no user name
        + b"8,grace,grace@example.org,,,maybe,\r\n"  # 10: not a boolean
        + b"\r\n"  # 11: blank
        + "9,héidi,heidi@example.org,,,,\r\n".encode()  # 12
    )
    users, issues = read(
        path, password_hash_field="password_hash", enabled_field="active", groups_field="groups"
    )

    assert sorted(users) == ["1", "2", "6", "9"]
    alice = users["1"]
    assert alice.username == "alice"
    assert alice.fields["address"] == "1 Main St, Springfield"
    assert alice.groups == ("staff", "admins")
    assert alice.password_hash is not None
    assert alice.password_hash.format == HashFormat.BCRYPT
    assert alice.password_hash.value == BCRYPT
    assert "password_hash" not in alice.fields
    assert BCRYPT not in repr(alice)
    assert alice.location == "users.csv:2"
    assert alice.enabled
    assert users["6"].fields["address"].splitlines() == ["Flat 2", "10 High St"]
    assert users["2"].enabled is False
    assert users["2"].password_hash is None
    assert users["9"].username == "héidi"
    assert users["9"].location == "users.csv:12"

    found = reasons(issues)
    assert sorted(found) == [f"users.csv:{n}" for n in (10, 6, 7, 8, 9)]
    assert "3 fields but the header has 7" in found["users.csv:6"]
    assert "not valid utf-8" in found["users.csv:7"]
    assert issues["users.csv:7"].source_id == "4"  # the readable id helps find the row
    assert "never closed" in found["users.csv:8"]
    assert "'username'" in found["users.csv:9"]
    assert issues["users.csv:9"].source_id == "7"
    assert "'active'" in found["users.csv:10"]


def test_plain_csv_with_another_delimiter_encoding_and_field_names(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes('uid;login;name\n10;zoe;Zoë Ölund\n11;"jo;ann";Jo\n'.encode("latin-1"))
    users, issues = read(path, delimiter=";", encoding="latin-1", id_field="uid", username_field="login")
    assert not issues
    assert users["10"].fields == {"uid": "10", "login": "zoe", "name": "Zoë Ölund"}
    assert users["11"].username == "jo;ann"


def test_a_setting_the_file_cannot_satisfy_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("user_id,username\n1,a\n")
    with pytest.raises(ConfigError, match=r"\[source\] id_field 'id': .*user_id, username"):
        open_file(path)
    with pytest.raises(ConfigError, match=r"\[source\] path '.*nowhere\.csv': no such file"):
        open_file(tmp_path / "nowhere.csv")
    with pytest.raises(ConfigError, match=r"\[source\] encoding 'klingon'"):
        open_file(path, id_field="user_id", encoding="klingon")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ConfigError, match="the file is empty"):
        open_file(tmp_path / "empty.csv")


@settings(max_examples=60, deadline=None)
@given(
    delimiter=st.sampled_from([",", ";", "|"]),
    line_end=st.sampled_from(["\n", "\r\n"]),
    rows=st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=["Cs"]), min_size=1).filter(str.strip),
            st.text(st.characters(blacklist_categories=["Cs"]), min_size=1).filter(str.strip),
            st.text(st.characters(blacklist_categories=["Cs"])),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda row: row[0].strip(),
    ),
)
def test_any_csv_that_pythons_writer_produces_reads_back_the_same(
    delimiter: str, line_end: str, rows: list[tuple[str, str, str]]
) -> None:
    # csv.writer quotes only the characters of its own line terminator: with "\n" it leaves a "\r"
    # bare, which no CSV reader can tell from a line ending.
    assume(line_end == "\r\n" or not any("\r" in value for row in rows for value in row))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(["id", "username", "note"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "users.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        users, issues = read(path, delimiter=delimiter)
    assert not issues
    assert [(u.fields["id"], u.fields["username"], u.fields["note"]) for u in users.values()] == rows
    assert [(u.source_id, u.username) for u in users.values()] == [(i.strip(), n.strip()) for i, n, _ in rows]


# ── plain JSON Lines ─────────────────────────────────────────────────────────────────────────────────


def test_plain_jsonl_reports_bad_lines_and_keeps_nested_values(tmp_path: Path) -> None:
    path = tmp_path / "users.jsonl"
    lines = [
        json.dumps({"id": 42, "username": "ann", "profile": {"city": "Oslo", "tags": ["a"]}, "pw": ARGON2}),
        '{"id": 43, "username": "ben"',  # 2: not JSON
        '["not", "an", "object"]',  # 3
        '{"id": 45, "username": "cy\xff"}',  # 4: bad bytes (written below)
        json.dumps({"username": "no-id"}),  # 5
        "",  # 6: blank
        json.dumps({"id": "47", "username": "dee", "groups": ["x", "y"], "enabled": False}),  # 7
        json.dumps({"id": "48", "username": "eve", "groups": "x, z", "enabled": "yes"}),  # 8
    ]
    path.write_bytes(
        b"\n".join(line.encode("latin-1") if "\xff" in line else line.encode("utf-8") for line in lines)
        + b"\n"
    )
    users, issues = read(path, password_hash_field="pw", groups_field="groups", enabled_field="enabled")

    assert sorted(users) == ["42", "47", "48"]
    ann = users["42"]
    assert ann.fields["profile"] == {"city": "Oslo", "tags": ["a"]}
    assert ann.password_hash is not None
    assert ann.password_hash.format == HashFormat.ARGON2
    assert "pw" not in ann.fields
    assert users["47"].groups == ("x", "y")
    assert users["47"].enabled is False
    assert users["48"].groups == ("x", "z")
    assert users["48"].enabled is True
    found = reasons(issues)
    assert sorted(found) == ["users.jsonl:2", "users.jsonl:3", "users.jsonl:4", "users.jsonl:5"]
    assert "not JSON" in found["users.jsonl:2"]
    assert "not a JSON object" in found["users.jsonl:3"]
    assert "not valid utf-8" in found["users.jsonl:4"]
    assert "'id'" in found["users.jsonl:5"]


def test_a_plain_json_array_is_read_item_by_item(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps([{"id": 1, "username": "a"}, {"id": 2, "username": "b"}], indent=2))
    users, issues = read(path)
    assert sorted(users) == ["1", "2"]
    assert not issues
    assert open_file(path).format == "plain"


# ── Cognito's import CSV ─────────────────────────────────────────────────────────────────────────────


def new_pool(local: LocalCognito, **settings: Any) -> str:
    idp = local.client("cognito-idp")
    pool: str = idp.create_user_pool(
        PoolName=f"files-{uuid.uuid4().hex[:8]}",
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
        **settings,
    )["UserPool"]["Id"]
    return pool


def test_cognito_import_csv_reads_escaped_commas_and_keeps_the_raw_birthdate(
    tmp_path: Path, local_cognito: LocalCognito
) -> None:
    idp = local_cognito.client("cognito-idp")
    header = idp.get_csv_header(UserPoolId=new_pool(local_cognito))["CSVHeader"] + ["password_hash"]
    assert "custom:legacy_id" in header
    assert "cognito:username" in header

    def row(**values: str) -> str:
        return ",".join(values.get(column.replace(":", "_"), "").replace(",", "\\,") for column in header)

    path = tmp_path / "import.csv"
    path.write_text(
        ",".join(header)
        + "\n"
        + row(
            cognito_username="jdoe",
            name="Doe, Jane",
            email="jane@example.org",
            email_verified="TRUE",
            birthdate="12/31/1990",
            custom_legacy_id="1001",
            cognito_mfa_enabled="FALSE",
            password_hash=BCRYPT,
        )
        + "\n"
        + row(cognito_username="nolegacy", email="n@example.org", cognito_mfa_enabled="true")  # 3
        + "\n"
        + row(cognito_username="comma", name="NAME").replace("NAME", "Smith, Al")  # 4: comma not escaped
        + "\n"
        + row(email="nobody@example.org", custom_legacy_id="1004")  # 5: no username
        + "\n"
        + row(cognito_username="x").replace("x", "x\udcff", 1)  # 6: undecodable (written as bytes)
        + "\n",
        encoding="utf-8",
        errors="surrogateescape",
    )
    users, issues = read(path, id_field="custom:legacy_id")
    assert open_file(path).describe() == f"Cognito import CSV {path}"

    jdoe = users["1001"]
    assert jdoe.username == "jdoe"
    assert jdoe.fields == {
        "name": "Doe, Jane",
        "email": "jane@example.org",
        "email_verified": "TRUE",
        "birthdate": "12/31/1990",  # the CSV's mm/dd/yyyy, for the mapping to convert
        "custom:legacy_id": "1001",
    }
    assert jdoe.mfa_enabled is False
    assert jdoe.password_hash is not None
    assert jdoe.password_hash.format == HashFormat.BCRYPT
    found = reasons(issues)
    assert sorted(found) == [f"import.csv:{n}" for n in (3, 4, 5, 6)]
    assert "no custom:legacy_id" in found["import.csv:3"]
    assert issues["import.csv:3"].username == "nolegacy"
    assert "written \\," in found["import.csv:4"]
    assert "no cognito:username" in found["import.csv:5"]
    assert "not valid utf-8" in found["import.csv:6"]

    with pytest.raises(ConfigError, match=r"\[source\] enabled_field = 'active': not used with Cognito"):
        open_file(path, enabled_field="active")

    # Without an id_field the header has, the Cognito username is the id.
    users, _ = read(path)
    assert users["nolegacy"].mfa_enabled is True
    assert users["jdoe"].source_id == "jdoe"


line_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"))


@given(st.lists(line_text.filter(lambda v: v == v.strip(" \t") and not v.endswith("\\")), min_size=1))
def test_cognito_csv_values_read_back_as_aws_tool_writes_them(values: list[str]) -> None:
    assert split_cognito_row(join_row(values)) == values


@given(line_text)
def test_cognito_csv_splitting_matches_the_local_cognitos_import_jobs(line: str) -> None:
    assert split_cognito_row(line) == split_row(line)


# ── ListUsers JSON, from the real AWS CLI ────────────────────────────────────────────────────────────


def aws_cli(local: LocalCognito, *args: str) -> str:
    env = {**os.environ, **local.environment()}
    done = subprocess.run([AWS, "cognito-idp", *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def listed_pool(local_cognito: LocalCognito) -> tuple[str, dict[str, str]]:
    """A pool of five users (the third disabled); returns its id and each username's sub."""
    idp = local_cognito.client("cognito-idp")
    pool = new_pool(local_cognito)
    for n in range(5):
        idp.admin_create_user(
            UserPoolId=pool, Username=f"user{n}", MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": f"user{n}@example.org"},
                {"Name": "custom:legacy_id", "Value": str(100 + n)},
            ],
        )  # fmt: skip
    idp.admin_disable_user(UserPoolId=pool, Username="user2")
    subs = {}
    for n in range(5):
        attributes = idp.admin_get_user(UserPoolId=pool, Username=f"user{n}")["UserAttributes"]
        subs[f"user{n}"] = next(a["Value"] for a in attributes if a["Name"] == "sub")
    return pool, subs


def check_listed(users: dict[str, LegacyUser], subs: dict[str, str]) -> None:
    assert {user.username: user.source_id for user in users.values()} == subs
    user2 = users[subs["user2"]]
    assert user2.enabled is False
    assert users[subs["user0"]].enabled is True
    assert user2.status == "FORCE_CHANGE_PASSWORD"
    assert user2.fields["email"] == "user2@example.org"
    assert user2.fields["custom:legacy_id"] == "102"


def test_list_users_output_of_the_aws_cli_in_every_shape(
    tmp_path: Path, local_cognito: LocalCognito, listed_pool: tuple[str, dict[str, str]]
) -> None:
    pool, subs = listed_pool
    whole = tmp_path / "users.json"
    whole.write_text(aws_cli(local_cognito, "list-users", "--user-pool-id", pool))
    assert json.loads(whole.read_text())["Users"][0]["Attributes"]  # the CLI's own indented JSON

    # Pages fetched by hand with --max-items/--starting-token, saved one after another.
    pages, token = [], None
    while True:
        extra = ["--starting-token", token] if token else []
        page = aws_cli(local_cognito, "list-users", "--user-pool-id", pool, "--max-items", "2", *extra)
        pages.append(page)
        token = json.loads(page).get("NextToken")
        if not token:
            break
    assert len(pages) == 3
    paged = tmp_path / "pages.json"
    paged.write_text("".join(pages))

    # JSON Lines: one compact user per line (as `jq -c '.Users[]'` writes them).
    lines = tmp_path / "users.jsonl"
    lines.write_text("".join(json.dumps(user) + "\n" for user in json.loads(whole.read_text())["Users"]))

    for path in (whole, paged, lines):
        source = open_file(path)
        assert source.format == "cognito-list-users", path
        users, issues = read(path)
        assert not issues, path
        check_listed(users, subs)
    assert open_file(whole).describe() == f"Cognito ListUsers JSON {whole}"


def test_a_broken_user_in_indented_list_users_json_is_reported_and_the_next_ones_read(
    tmp_path: Path,
) -> None:
    users = [
        {"Username": f"u{n}", "Attributes": [{"Name": "sub", "Value": f"sub-{n}"}], "Enabled": True}
        for n in range(4)
    ]
    text = json.dumps({"Users": users}, indent=4)
    broken_line = text.splitlines().index('                    "Value": "sub-1"') + 1
    path = tmp_path / "users.json"
    path.write_text(text.replace('"Value": "sub-1"', '"Value": sub-1'))
    found, issues = read(path, format="cognito-list-users")
    assert sorted(found) == ["sub-0", "sub-2", "sub-3"]
    assert list(reasons(issues)) == [f"users.json:{broken_line}"]


def test_a_broken_user_in_json_lines_of_pages_costs_only_its_line(tmp_path: Path) -> None:
    def page(*numbers: int) -> str:
        users = [{"Username": f"u{n}", "Attributes": [{"Name": "sub", "Value": f"sub-{n}"}]} for n in numbers]
        return json.dumps({"Users": users, "PaginationToken": "abc"})

    path = tmp_path / "pages.jsonl"
    path.write_text(page(0, 1) + "\n" + page(2, 3).replace('"sub-3"', "sub-3") + "\n" + page(4, 5) + "\n")
    found, issues = read(path)
    # The page on line 2 is cut short at its broken user; the next line is read as usual.
    assert sorted(found) == ["sub-0", "sub-1", "sub-2", "sub-4", "sub-5"]
    assert list(issues) == ["pages.jsonl:2"]


# ── backup tools ─────────────────────────────────────────────────────────────────────────────────────


def jsonstream_array(items: list[Any]) -> str:
    """What JSONStream.stringify() writes (both backup tools use it): JSON.stringify of each item,
    opened by "[\\n", separated by "\\n,\\n", closed by "\\n]\\n"."""
    return "[\n" + "\n,\n".join(json.dumps(item, separators=(",", ":")) for item in items) + "\n]\n"


def sdk_user(n: int, **extra: Any) -> dict[str, Any]:
    """A user as the JavaScript SDK returns it from ListUsers (dates become ISO strings in JSON)."""
    return {
        "Username": f"member{n}",
        "Attributes": [
            {"Name": "sub", "Value": f"0000000{n}-aaaa-bbbb-cccc-dddddddddddd"},
            {"Name": "email", "Value": f"member{n}@example.org"},
        ],
        "UserCreateDate": "2023-04-05T06:07:08.910Z",
        "UserLastModifiedDate": "2023-04-05T06:07:08.910Z",
        "Enabled": n != 1,
        "UserStatus": "CONFIRMED" if n != 2 else "RESET_REQUIRED",
        **extra,
    }


def test_cognito_backup_restore_json(tmp_path: Path) -> None:
    path = tmp_path / "us-east-1_AbCdEf123.json"
    items = jsonstream_array([sdk_user(n) for n in range(4)]).splitlines(keepends=True)
    # Line 4 is the second user: break it, and drop the Username of the fourth (line 8).
    items[3] = items[3][:40] + "\n"
    items[7] = items[7].replace('"Username":"member3",', "")
    path.write_text("".join(items))

    source = open_file(path)
    assert source.format == "cognito-backup-restore"
    assert source.group_definitions() == []
    users, issues = read(path)
    assert [u.username for u in users.values()] == ["member0", "member2"]
    assert users["00000002-aaaa-bbbb-cccc-dddddddddddd"].status == "RESET_REQUIRED"
    assert users["00000000-aaaa-bbbb-cccc-dddddddddddd"].fields["email"] == "member0@example.org"
    found = reasons(issues)
    assert sorted(found) == [f"{path.name}:4", f"{path.name}:8"]
    assert "not valid JSON" in found[f"{path.name}:4"]
    assert "no Username" in found[f"{path.name}:8"]


def test_an_empty_or_cut_off_backup(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(jsonstream_array([]))
    assert read(empty) == ({}, {})
    cut = tmp_path / "cut.json"
    cut.write_text(jsonstream_array([sdk_user(0), sdk_user(2), sdk_user(3)])[:-30])  # the writer died
    users, issues = read(cut)
    assert [u.username for u in users.values()] == ["member0", "member2"]
    assert list(issues) == ["cut.json:6"]


def test_cognito_backup_json_brings_groups_and_their_definitions(tmp_path: Path) -> None:
    path = tmp_path / "us-east-1_AbCdEf123.json"
    path.write_text(
        jsonstream_array(
            [sdk_user(0, Groups=["admins", "staff"]), sdk_user(1, Groups=[]), sdk_user(2, Groups="x")]
        )
    )
    # `cognito-backup backup-groups` writes ListGroups' GroupType objects next to the users.
    (tmp_path / "us-east-1_AbCdEf123_groups.json").write_text(
        jsonstream_array(
            [
                {
                    "GroupName": "admins",
                    "UserPoolId": "us-east-1_AbCdEf123",
                    "Description": "Admins",
                    "RoleArn": "arn:aws:iam::123456789012:role/admins",
                    "Precedence": 1,
                    "LastModifiedDate": "2023-04-05T06:07:08.910Z",
                    "CreationDate": "2023-04-05T06:07:08.910Z",
                },
                {
                    "GroupName": "staff",
                    "UserPoolId": "us-east-1_AbCdEf123",
                    "CreationDate": "2023-04-05T06:07:08.910Z",
                },
            ]
        )
    )
    source = open_file(path)
    assert source.format == "cognito-backup"
    admins, staff = source.group_definitions()
    assert (admins.name, admins.description, admins.precedence) == ("admins", "Admins", 1)
    assert admins.role_arn == "arn:aws:iam::123456789012:role/admins"
    assert (staff.name, staff.description, staff.precedence, staff.role_arn) == ("staff", None, None, None)
    users, issues = read(path)
    by_name = {user.username: user for user in users.values()}
    assert by_name["member0"].groups == ("admins", "staff")
    assert by_name["member1"].groups == ()
    assert by_name["member1"].enabled is False
    assert reasons(issues) == {f"{path.name}:6": "Groups is not a list of names"}


# ── streaming and the plan file ──────────────────────────────────────────────────────────────────────


def peak_while_reading(path: Path, **settings: Any) -> tuple[int, int]:
    """(users read, peak bytes allocated while reading them one at a time)."""
    source = open_file(path, **settings)
    count = 0
    tracemalloc.start()
    try:
        for record in source.records():
            count += isinstance(record, LegacyUser)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        source.close()
    return count, peak


@pytest.mark.parametrize("layout", ["backup", "csv", "jsonl"])
def test_big_files_stream_in_bounded_memory(tmp_path: Path, layout: str) -> None:
    count = 20_000
    path = tmp_path / ("users.csv" if layout == "csv" else "users.json")
    with path.open("w") as out:
        if layout == "backup":
            out.write("[\n" + "\n,\n".join(json.dumps(sdk_user(n)) for n in range(count)) + "\n]\n")
        elif layout == "csv":
            out.write(
                "id,username,email\n" + "".join(f"{n},user{n},user{n}@example.org\n" for n in range(count))
            )
        else:
            out.write("".join(json.dumps({"id": n, "username": f"user{n}"}) + "\n" for n in range(count)))
    read_count, peak = peak_while_reading(path)
    assert read_count == count
    # The files are 1–5 MB; holding them (let alone their decoded users) would take far more.
    assert path.stat().st_size > 600_000
    assert peak < 1_000_000, f"{peak} bytes at the peak"


def test_open_source_reads_the_plan_files_file_relative_to_the_plan(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "users.jsonl").write_text('{"uid": "7", "login": "sam"}\n')
    plan = tmp_path / "migration.toml"
    plan.write_text(
        '[source]\ntype = "jsonl"\npath = "data/users.jsonl"\nid_field = "uid"\nusername_field = "login"\n'
        '[target]\npool_id = "us-east-1_AbCdEf123"\n'
    )
    with open_source(load_plan_file(plan)) as source:
        assert source.describe() == f"JSON Lines file {tmp_path / 'data' / 'users.jsonl'}"
        (user,) = source.records()
    assert isinstance(user, LegacyUser)
    assert (user.source_id, user.username) == ("7", "sam")
