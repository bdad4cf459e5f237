"""``export`` end to end through the CLI against the local Cognito (and its S3).

One source pool, read by every test: users with attributes (one with a comma in a value), a disabled
user, an unconfirmed one (signed up, never confirmed), one waiting for its first password change, more
users than one ListUsers page (60), and three groups with memberships.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.cli import main
from cognito_migrate.config.loader import load_plan_file
from cognito_migrate.config.models import FileSource
from cognito_migrate.export.destinations import MIN_PART_SIZE, S3Destination
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.sources import open_source
from cognito_migrate.sources.files import open_file_source
from cognito_migrate.sources.records import GroupDefinition, LegacyUser

BULK = 64  # with the named users, two ListUsers pages
ADMINS_ROLE = "arn:aws:iam::123456789012:role/pool-admins"
GROUPS = [
    GroupDefinition("admins", "Administrators", 1, ADMINS_ROLE),
    GroupDefinition("staff", "Staff, all of them", 10),
    GroupDefinition("readers"),
]
MEMBERS = {"ada": ["admins", "staff"], "grace": ["staff"], "ben": ["readers"], "bulk007": ["readers"]}


@dataclass(frozen=True)
class SourcePool:
    id: str
    users: dict[str, dict[str, Any]]  # username → ListUsers' UserType
    groups: dict[str, list[str]]  # username → group names (members only)

    @property
    def memberships(self) -> int:
        return sum(len(names) for names in self.groups.values())


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():  # what `local serve` prints
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def pool(local_cognito: LocalCognito) -> SourcePool:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"export-{uuid.uuid4().hex[:8]}",
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]

    def create(username: str, /, **attributes: str) -> None:
        idp.admin_create_user(
            UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": k.replace("__", ":"), "Value": v} for k, v in attributes.items()],
        )  # fmt: skip

    create("ada", email="ada@example.org", email_verified="true", name="Lovelace, Ada",
           given_name="Ada", custom__legacy_id="1815")  # fmt: skip
    create("grace", email="grace@example.org", email_verified="true", custom__legacy_id="1906")
    create("ben", email="ben@example.org", custom__legacy_id="7")
    create("newbie", email="newbie@example.org", custom__legacy_id="8")  # FORCE_CHANGE_PASSWORD
    for n in range(BULK):
        create(f"bulk{n:03d}", email=f"bulk{n:03d}@example.org", custom__legacy_id=str(100 + n))
    for name in ("ada", "grace"):
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=name, Password="Correct-Horse-9", Permanent=True
        )
    idp.admin_disable_user(UserPoolId=pool_id, Username="ben")
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="signup")["UserPoolClient"][
        "ClientId"
    ]
    idp.sign_up(ClientId=client_id, Username="una", Password="Correct-Horse-9",
                UserAttributes=[{"Name": "email", "Value": "una@example.org"}])  # fmt: skip
    for group in GROUPS:
        extra = {"Description": group.description, "Precedence": group.precedence, "RoleArn": group.role_arn}
        idp.create_group(UserPoolId=pool_id, GroupName=group.name, **{k: v for k, v in extra.items() if v})
    for username, names in MEMBERS.items():
        for name in names:
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=name)
    users: dict[str, dict[str, Any]] = {}
    token = None
    while True:
        page = idp.list_users(UserPoolId=pool_id, Limit=60, **({"PaginationToken": token} if token else {}))
        users.update({user["Username"]: user for user in page["Users"]})
        token = page.get("PaginationToken")
        if not token:
            break
    assert users["una"]["UserStatus"] == "UNCONFIRMED"
    assert users["newbie"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    return SourcePool(pool_id, users, MEMBERS)


def export(local: LocalCognito, pool: SourcePool, *args: str, as_json: bool = False) -> int:
    json_flag = ["--json"] if as_json else []
    return main([*json_flag, "--endpoint-url", local.endpoint_url, "export", "--pool-id", pool.id, *args])


def attributes(user: dict[str, Any]) -> dict[str, str]:
    return {attribute["Name"]: attribute["Value"] for attribute in user["Attributes"]}


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ── JSON Lines ───────────────────────────────────────────────────────────────────────────────────────


def test_jsonl_export_holds_every_user_group_and_membership_in_a_private_file(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "backup.jsonl"
    out.write_text("an older export\n")
    out.chmod(0o644)
    assert export(local_cognito, pool, "--out", str(out)) == 0

    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # replaced by a private file, not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.jsonl"]  # no .part left behind
    summary = capsys.readouterr().out
    assert f"Exported {len(pool.users)} users, 3 groups and {pool.memberships} memberships" in summary
    assert str(out) in summary

    lines = lines_of(out)
    groups = [line for line in lines if line["type"] == "group"]
    users = {line["Username"]: line for line in lines if line["type"] == "user"}
    assert [line["type"] for line in lines[: len(groups)]] == ["group"] * 3  # groups come first
    assert groups == [
        {"type": "group", "GroupName": "admins", "Description": "Administrators", "Precedence": 1,
         "RoleArn": ADMINS_ROLE},
        {"type": "group", "GroupName": "staff", "Description": "Staff, all of them", "Precedence": 10},
        {"type": "group", "GroupName": "readers"},
    ]  # fmt: skip
    assert set(users) == set(pool.users)
    for name, listed in pool.users.items():
        exported = users[name]
        assert attributes(exported) == attributes(listed), name
        assert exported["UserStatus"] == listed["UserStatus"]
        assert exported["Enabled"] == listed["Enabled"]
        assert exported["UserCreateDate"] == listed["UserCreateDate"].isoformat()
        assert exported["UserLastModifiedDate"] == listed["UserLastModifiedDate"].isoformat()
        assert exported["MFAEnabled"] is False  # the pool's MFA is OFF
        assert sorted(exported["Groups"]) == sorted(pool.groups.get(name, [])), name
    assert users["ben"]["Enabled"] is False
    assert users["una"]["UserStatus"] == "UNCONFIRMED"
    assert "Correct-Horse-9" not in out.read_text()  # Cognito never gives passwords out; nor does export


def test_no_groups_leaves_memberships_out_rather_than_claiming_none(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "users.jsonl"
    assert export(local_cognito, pool, "--out", str(out), "--no-groups", as_json=True) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert (result["users"], result["groups"], result["memberships"]) == (len(pool.users), 0, 0)
    lines = lines_of(out)
    assert {line["type"] for line in lines} == {"user"}
    assert not any("Groups" in line for line in lines)


def test_the_jsonl_export_plans_into_another_pool_with_groups(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path
) -> None:
    out = tmp_path / "backup.jsonl"
    assert export(local_cognito, pool, "--out", str(out)) == 0
    idp = local_cognito.client("cognito-idp")
    target = idp.create_user_pool(
        PoolName=f"restore-{uuid.uuid4().hex[:8]}",
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    plan_file = tmp_path / "migration.toml"
    plan_file.write_text(
        # format "auto": the export is recognised as Cognito's own shape, attributes copied as they are.
        f'[source]\ntype = "jsonl"\npath = "{out.name}"\n'
        f'[target]\npool_id = "{target}"\nregion = "{local_cognito.region}"\n'
        f'endpoint_url = "{local_cognito.endpoint_url}"\n'
        # The admin API: an import job would need every email verified, which not all are here.
        '[strategy]\nmethod = "admin"\n'
    )
    # The group lines are the source's group definitions, with all Cognito keeps about a group.
    with open_source(load_plan_file(plan_file)) as source:
        assert source.group_definitions() == GROUPS

    assert main(["plan", "--plan", str(plan_file)]) == 0
    plan_dir = tmp_path / "migration.plan"
    report = {line["username"]: line for line in lines_of(plan_dir / "users.jsonl")}
    assert set(report) == set(pool.users)
    assert {line["decision"] for line in report.values()} == {"migrate"}
    for name in pool.users:
        assert sorted(report[name]["groups"]) == sorted(pool.groups.get(name, [])), name
    assert report["ben"]["enabled"] is False
    saved_groups = SavedPlan.load(plan_dir).groups  # to create with description, precedence, role
    assert sorted(saved_groups, key=lambda group: group.name) == sorted(GROUPS, key=lambda group: group.name)


def test_auto_detection_reads_the_export_as_cognito_users(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path
) -> None:
    out = tmp_path / "backup.jsonl"
    assert export(local_cognito, pool, "--out", str(out)) == 0
    source = open_file_source(FileSource(type="jsonl", path=out), out)
    assert source.format == "cognito-list-users"
    users = {record.username: record for record in source.records()}
    source.close()
    assert all(isinstance(record, LegacyUser) for record in users.values())
    assert set(users) == set(pool.users)
    ada = users["ada"]
    assert isinstance(ada, LegacyUser)
    assert (ada.groups, ada.mfa_enabled, ada.status) == (("admins", "staff"), False, "CONFIRMED")
    assert ada.source_id == attributes(pool.users["ada"])["sub"]


def test_stdout_gets_the_users_and_stderr_the_summary(
    local_cognito: LocalCognito, pool: SourcePool, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert export(local_cognito, pool, "--out", "-") == 0
    captured = capsysbinary.readouterr()
    lines = [json.loads(line) for line in captured.out.decode().splitlines()]
    assert len([line for line in lines if line["type"] == "user"]) == len(pool.users)
    assert b"Exported" in captured.err
    assert b"to standard output" in captured.err


def test_mfa_in_an_optional_pool_is_left_unknown_unless_read(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"mfa-{uuid.uuid4().hex[:8]}", MfaConfiguration="OPTIONAL",
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sns", "ExternalId": "export"},
    )["UserPool"]["Id"]  # fmt: skip
    for name in ("sms-user", "no-mfa"):
        idp.admin_create_user(
            UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"},
                            {"Name": "phone_number_verified", "Value": "true"}],
        )  # fmt: skip
    idp.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="sms-user", SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    out = tmp_path / "mfa.jsonl"
    base = ["--endpoint-url", local_cognito.endpoint_url, "export", "--pool-id", pool_id, "--out", str(out)]

    assert main(base) == 0
    assert "MFA is unknown for 2 users" in capsys.readouterr().out
    assert not any("MFAEnabled" in line for line in lines_of(out))

    assert main([*base, "--read-mfa"]) == 0
    assert "MFA is unknown" not in capsys.readouterr().out
    assert {line["Username"]: line["MFAEnabled"] for line in lines_of(out)} == {
        "sms-user": True,
        "no-mfa": False,
    }


def test_a_reader_leaving_early_is_an_error_not_a_traceback(
    local_cognito: LocalCognito, pool: SourcePool
) -> None:
    env = {**os.environ, **local_cognito.environment()}
    command = [sys.executable, "-m", "cognito_migrate", "export", "--pool-id", pool.id, "--out", "-"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # as `| head -0` would, before the first user is written
    assert process.stderr is not None
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1, err
    assert "standard output was closed before the export was complete" in err
    assert "Traceback" not in err


def test_json_and_stdout_cannot_share_stdout(
    local_cognito: LocalCognito, pool: SourcePool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(local_cognito, pool, "--out", "-", as_json=True) == 2
    assert "--json and --out -" in capsys.readouterr().err


# ── CSV ──────────────────────────────────────────────────────────────────────────────────────────────


def csv_header(local: LocalCognito, pool: SourcePool) -> list[str]:
    header: list[str] = local.client("cognito-idp").get_csv_header(UserPoolId=pool.id)["CSVHeader"]
    return header


def test_cognito_csv_has_exactly_the_pools_import_columns(
    local_cognito: LocalCognito,
    pool: SourcePool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert export(local_cognito, pool, "--format", "cognito-csv") == 0
    out = tmp_path / f"{pool.id}.import.csv"  # the default name
    assert "no passwords" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = out.read_text(encoding="utf-8").splitlines()
    header = csv_header(local_cognito, pool)
    assert rows[0].split(",") == header
    assert len(rows) == 1 + len(pool.users)
    assert r"Lovelace\, Ada" in out.read_text()  # the import CSV's comma escape, never quotes
    # Cognito's own rules read it back: every user, each attribute as the pool has it.
    source = open_file_source(FileSource(type="csv", path=out), out)
    assert source.format == "cognito-csv"
    users = {record.username: record for record in source.records() if isinstance(record, LegacyUser)}
    source.close()
    assert set(users) == set(pool.users)
    assert users["ada"].fields["name"] == "Lovelace, Ada"
    assert users["ada"].fields["custom:legacy_id"] == "1815"
    assert "sub" not in users["ada"].fields  # Cognito gives imported users a new sub


def test_a_user_an_import_csv_cannot_hold_is_named_and_the_rest_exported(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName=f"lines-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    for name, address in (("ok", "1 Main St"), ("two-lines", "1 Main St\nSpringfield")):
        idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "address", "Value": address}])  # fmt: skip
    out = tmp_path / "import.csv"
    code = main(["--endpoint-url", local_cognito.endpoint_url, "export", "--pool-id", pool_id,
                 "--format", "cognito-csv", "--out", str(out)])  # fmt: skip
    assert code == 1  # finished, but not everyone is in the file
    printed = capsys.readouterr().out
    assert "Exported 1 users" in printed
    assert "two-lines: csv.newline" in printed
    rows = out.read_text().splitlines()
    assert len(rows) == 2
    assert rows[1].split(",")[rows[0].split(",").index("cognito:username")] == "ok"


def test_flat_csv_has_a_column_per_attribute_and_the_groups(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path
) -> None:
    import csv

    out = tmp_path / "users.csv"
    assert export(local_cognito, pool, "--format", "csv", "--out", str(out)) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = {row["username"]: row for row in csv.DictReader(handle)}
        handle.seek(0)
        columns = next(csv.reader(handle))
    import_attributes = {c for c in csv_header(local_cognito, pool) if not c.startswith("cognito:")}
    assert import_attributes | {"sub"} <= set(columns)
    assert columns[-6:] == ["enabled", "status", "created", "modified", "mfa_enabled", "groups"]
    assert set(rows) == set(pool.users)
    for name, listed in pool.users.items():
        row = rows[name]
        assert {k: v for k, v in row.items() if k in attributes(listed)} == attributes(listed), name
        assert sorted(json.loads(row["groups"])) == sorted(pool.groups.get(name, [])), name
    assert (rows["ben"]["enabled"], rows["una"]["status"]) == ("false", "UNCONFIRMED")
    # It reads back as a plain CSV source with the documented settings.
    config = FileSource(type="csv", path=out, id_field="sub", enabled_field="enabled", groups_field="groups")
    source = open_file_source(config, out)
    users = {record.username: record for record in source.records() if isinstance(record, LegacyUser)}
    source.close()
    assert (users["ada"].groups, users["ben"].enabled) == (("admins", "staff"), False)


# ── S3 ───────────────────────────────────────────────────────────────────────────────────────────────


def new_bucket(local: LocalCognito) -> str:
    bucket = f"exports-{uuid.uuid4().hex[:8]}"
    local.client("s3").create_bucket(Bucket=bucket)
    return bucket


def test_export_to_s3_is_the_same_content_encrypted_with_kms(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = new_bucket(local_cognito)
    out = tmp_path / "backup.jsonl"
    assert export(local_cognito, pool, "--out", str(out)) == 0
    key_id = local_cognito.client("kms").create_key()["KeyMetadata"]["KeyId"]
    assert (
        export(local_cognito, pool, "--out", f"s3://{bucket}/pools/backup.jsonl", "--kms-key-id", key_id) == 0
    )
    assert f"s3://{bucket}/pools/backup.jsonl" in capsys.readouterr().out
    s3 = local_cognito.client("s3")
    stored = s3.get_object(Bucket=bucket, Key="pools/backup.jsonl")
    assert stored["Body"].read() == out.read_bytes()
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert key_id in stored["SSEKMSKeyId"]


def test_a_missing_bucket_is_a_usage_error_and_nothing_is_left(
    local_cognito: LocalCognito, pool: SourcePool, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = f"missing-{uuid.uuid4().hex[:8]}"
    assert export(local_cognito, pool, "--out", f"s3://{bucket}/backup.jsonl") == 2
    assert f"s3://{bucket}/backup.jsonl: no such bucket" in capsys.readouterr().err
    names = [b["Name"] for b in local_cognito.client("s3").list_buckets()["Buckets"]]
    assert bucket not in names


def test_s3_parts_stream_and_an_error_midway_aborts_the_upload(local_cognito: LocalCognito) -> None:
    bucket = new_bucket(local_cognito)
    s3 = local_cognito.client("s3")
    chunk = b"x" * (1024 * 1024)
    whole = S3Destination(f"s3://{bucket}/whole.jsonl", local_cognito.settings(), content_type="text/plain",
                          part_size=MIN_PART_SIZE)  # fmt: skip
    for _ in range(11):  # two full parts and a last, smaller one
        whole.write(chunk)
    whole.commit()
    stored = s3.head_object(Bucket=bucket, Key="whole.jsonl")
    assert stored["ContentLength"] == 11 * len(chunk)
    assert stored["ServerSideEncryption"] == "aws:kms"

    broken = S3Destination(f"s3://{bucket}/broken.jsonl", local_cognito.settings(), content_type="text/plain",
                           part_size=MIN_PART_SIZE)  # fmt: skip
    for _ in range(6):  # one part uploaded
        broken.write(chunk)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    broken.discard()  # what export does on any error or Ctrl-C
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["whole.jsonl"]


# ── failures ─────────────────────────────────────────────────────────────────────────────────────────


def test_a_missing_pool_is_a_usage_error(
    local_cognito: LocalCognito, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "backup.jsonl"
    code = main(["--endpoint-url", local_cognito.endpoint_url, "export", "--pool-id", "us-east-1_Nope1234",
                 "--out", str(out)])  # fmt: skip
    assert code == 2
    assert "--pool-id 'us-east-1_Nope1234': no such user pool" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["file", "s3"])
def test_ctrl_c_midway_leaves_no_export(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path, where: str
) -> None:
    bucket = new_bucket(local_cognito)
    out = str(tmp_path / "backup.jsonl") if where == "file" else f"s3://{bucket}/backup.jsonl"
    env = {**os.environ, **local_cognito.environment()}
    # One ListUsers/ListUsersInGroup call every 5 s: the export is still reading when interrupted.
    command = [sys.executable, "-m", "cognito_migrate", "export", "--pool-id", pool.id, "--out", out,
               "--quota", "UserList=0.2"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stderr is not None
    # The progress line that comes after ListGroups: the export has begun and has the members to read.
    assert "reading the members of 3 groups" in process.stderr.readline().decode()
    if where == "file":
        assert (tmp_path / ".backup.jsonl.part").exists()  # being written, not yet in place
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 3, err
    assert list(tmp_path.iterdir()) == []
    s3 = local_cognito.client("s3")
    assert not s3.list_objects_v2(Bucket=bucket).get("Contents")
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_the_summary_digest_matches_the_file(
    local_cognito: LocalCognito, pool: SourcePool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "backup.jsonl"
    assert export(local_cognito, pool, "--out", str(out), as_json=True) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert result["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert result["bytes"] == out.stat().st_size
    assert result["destination"] == str(out)
