"""Import jobs in the local Cognito, driven as a user drives Cognito's: boto3 over HTTP, a PUT to the
pre-signed URL, CloudWatch Logs to read each row's outcome."""

from __future__ import annotations

import pickle
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from cognito_migrate.local import LocalCognito
from cognito_migrate.local.importjobs import ImportJobService, service_for
from cognito_migrate.local.importjobs.csvfile import join_row, split_row

ROLE = "arn:aws:iam::123456789012:role/CognitoImportLogs"
TERMINAL = {"Succeeded", "Failed", "Stopped", "Expired"}
DOC_HEADER = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "cognito:mfa_enabled",
    "cognito:username",
]  # fmt: skip  (the sample response in Cognito's guide)
EXISTS = "The user already exists."
OK = "The import succeeded."
NO_AUTO_VERIFIED = "The User Record does not set any of the auto verified attributes to true."
EMAIL_USERNAME = "Username cannot be of email format, since user pool is configured for email alias."


# ── helpers: what a user's script would do ─────────────────────────────────────────────────────────


def new_pool(idp: Any, **settings: Any) -> tuple[str, str]:
    name = f"import-{uuid.uuid4().hex[:8]}"
    settings.setdefault("AutoVerifiedAttributes", ["email"])
    return idp.create_user_pool(PoolName=name, **settings)["UserPool"]["Id"], name


def csv_line(header: list[str], values: dict[str, str]) -> str:
    """One row as Cognito reads it: no quoting, commas written as \\, ."""
    return ",".join(values.get(column, "").replace(",", "\\,") for column in header)


def csv_file(header: list[str], rows: list[dict[str, str] | str]) -> bytes:
    lines = [",".join(header)] + [row if isinstance(row, str) else csv_line(header, row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def user_row(username: str, **values: str) -> dict[str, str]:
    row = {"cognito:username": username, "email": f"{username}@example.com", "email_verified": "TRUE",
           "cognito:mfa_enabled": "FALSE", "name": username.title()}  # fmt: skip
    row.update({key.replace("__", ":"): value for key, value in values.items()})
    return row


def put(url: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    assert url.startswith("http://127.0.0.1:")  # loopback only
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def upload(url: str, data: bytes) -> None:
    assert put(url, data, {"x-amz-server-side-encryption": "aws:kms"})[0] == 200


def create_job(idp: Any, pool_id: str, name: str = "migration", **extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = idp.create_user_import_job(
        UserPoolId=pool_id, JobName=name, CloudWatchLogsRoleArn=ROLE, **extra
    )["UserImportJob"]
    return job


def wait_for_end(idp: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = idp.describe_user_import_job(UserPoolId=pool_id, JobId=job_id)["UserImportJob"]
        if job["Status"] in TERMINAL:
            return job
        time.sleep(0.05)
    raise AssertionError(f"import job {job_id} did not end")


def run_job(idp: Any, pool_id: str, data: bytes, **extra: Any) -> dict[str, Any]:
    job = create_job(idp, pool_id, **extra)
    upload(job["PreSignedUrl"], data)
    idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    return wait_for_end(idp, pool_id, job["JobId"])


def log_lines(local: LocalCognito, pool_id: str, pool_name: str, job: dict[str, Any]) -> list[str]:
    events = local.client("logs").get_log_events(
        logGroupName=f"/aws/cognito/userpools/{pool_id}/{pool_name}",
        logStreamName=f"{job['JobId']}/{job['JobName']}",
        startFromHead=True,
    )["events"]
    return [event["message"] for event in events]


def service(local: LocalCognito) -> ImportJobService:
    assert local.app is not None
    return service_for(local.app)


def status_of(idp: Any, pool_id: str, username: str) -> str:
    return str(idp.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"])


# ── the header and the upload URL ──────────────────────────────────────────────────────────────────


def test_csv_header_is_the_standard_columns_plus_custom_attributes(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp, Schema=[
        {"Name": "tenant", "AttributeDataType": "String", "Mutable": True},
        {"Name": "legacy_id", "AttributeDataType": "Number", "Mutable": True},
    ])  # fmt: skip

    answer = idp.get_csv_header(UserPoolId=pool_id)

    assert answer["UserPoolId"] == pool_id
    assert answer["CSVHeader"] == [*DOC_HEADER, "custom:tenant", "custom:legacy_id"]
    assert "sub" not in answer["CSVHeader"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        idp.get_csv_header(UserPoolId="us-east-1_doesnotexist")


def test_upload_without_the_kms_header_or_with_a_changed_url_is_refused(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)
    job = create_job(idp, pool_id)
    url = job["PreSignedUrl"]
    assert url.startswith(local_cognito.endpoint_url + "/")
    assert "X-Amz-Expires=900" in url
    assert "x-amz-server-side-encryption" in url
    data = csv_file(DOC_HEADER, [user_row("ada")])

    status, body = put(url, data)
    assert status == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in body
    assert put(url, data, {"x-amz-server-side-encryption": "AES256"})[0] == 403
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert put(tampered, data, {"x-amz-server-side-encryption": "aws:kms"})[0] == 403
    # Nothing was stored by the refused uploads.
    with pytest.raises(ClientError, match="No csv file was uploaded"):
        idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])

    assert put(url, data, {"x-amz-server-side-encryption": "aws:kms"})[0] == 200


def test_upload_url_expires_after_15_minutes(
    local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)
    url = create_job(idp, pool_id)["PreSignedUrl"]
    jobs = service(local_cognito)
    real_clock = jobs.clock
    kms = {"x-amz-server-side-encryption": "aws:kms"}

    monkeypatch.setattr(jobs, "clock", lambda: real_clock() + timedelta(minutes=14))
    assert put(url, b"x", kms)[0] == 200
    monkeypatch.setattr(jobs, "clock", lambda: real_clock() + timedelta(minutes=16))
    status, body = put(url, b"x", kms)
    assert status == 403
    assert "<Code>AccessDenied</Code>" in body
    assert "<Message>Request has expired</Message>" in body


def test_a_job_that_is_never_started_expires(
    local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)
    job = create_job(idp, pool_id)
    jobs = service(local_cognito)
    real_clock = jobs.clock
    monkeypatch.setattr(jobs, "clock", lambda: real_clock() + timedelta(days=3))

    described = idp.describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"]
    assert described["Status"] == "Expired"
    with pytest.raises(ClientError, match="PreconditionNotMetException"):
        idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])


# ── creating and starting ──────────────────────────────────────────────────────────────────────────


def test_create_answers_what_botocore_expects_and_validates(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)

    job = create_job(idp, pool_id, name="first batch, 2026", PasswordHashingAlgorithm="SCRYPT")

    assert job["JobId"].startswith("import-")
    assert job["JobName"] == "first batch, 2026"
    assert (job["Status"], job["UserPoolId"], job["CloudWatchLogsRoleArn"]) == ("Created", pool_id, ROLE)
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (0, 0, 0)
    assert job["PasswordHashingAlgorithm"] == "SCRYPT"
    assert "CreationDate" in job
    assert "StartDate" not in job
    for bad in [
        {"JobName": "no/slashes"},
        {"JobName": "x" * 129},
        {"CloudWatchLogsRoleArn": "a-role-name-that-is-not-an-arn"},
    ]:
        params = {"UserPoolId": pool_id, "JobName": "ok", "CloudWatchLogsRoleArn": ROLE, **bad}
        with pytest.raises(ClientError, match="InvalidParameterException"):
            idp.create_user_import_job(**params)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        idp.create_user_import_job(UserPoolId="us-east-1_missing", JobName="x", CloudWatchLogsRoleArn=ROLE)


def test_start_needs_an_uploaded_file_and_an_auto_verified_attribute(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)
    job = create_job(idp, pool_id)
    with pytest.raises(ClientError, match="No csv file was uploaded") as caught:
        idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert caught.value.response["Error"]["Code"] == "PreconditionNotMetException"

    bare_pool, _ = new_pool(idp, AutoVerifiedAttributes=[])
    bare_job = create_job(idp, bare_pool)
    upload(bare_job["PreSignedUrl"], csv_file(DOC_HEADER, [user_row("ada")]))
    with pytest.raises(ClientError, match="PreconditionNotMetException"):
        idp.start_user_import_job(UserPoolId=bare_pool, JobId=bare_job["JobId"])


# ── the rows ───────────────────────────────────────────────────────────────────────────────────────


def test_good_and_bad_rows_are_logged_line_by_line(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, pool_name = new_pool(idp, AliasAttributes=["email"], Schema=[
        {"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True},
        {"Name": "email", "AttributeDataType": "String", "Mutable": True},
        {"Name": "tenant", "AttributeDataType": "String", "Mutable": True,
         "StringAttributeConstraints": {"MaxLength": "8"}},
        {"Name": "level", "AttributeDataType": "Number", "Mutable": True,
         "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "10"}},
    ])  # fmt: skip
    idp.admin_create_user(UserPoolId=pool_id, Username="carol", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "name", "Value": "Carol Before"}])  # fmt: skip
    header = idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"]
    ada = user_row("ada", name="Lovelace, Ada", birthdate="12/10/1815", phone_number="+15555550100",
                   phone_number_verified="FALSE", updated_at="1700000000", custom__tenant="math",
                   custom__level="3")  # fmt: skip
    cases: list[tuple[dict[str, str] | str, str, str | None]] = [
        (ada, "SUCCEEDED", OK),
        (user_row(""), "FAILED", None),
        (user_row("bad name"), "FAILED", None),
        (user_row("eve@example.com"), "FAILED", EMAIL_USERNAME),
        (user_row("frank", email_verified="FALSE"), "FAILED", NO_AUTO_VERIFIED),
        (user_row("gina", birthdate="1815-12-10"), "FAILED", "birthdate"),
        (user_row("hal", phone_number="555-0100"), "FAILED", "phone number"),
        (user_row("ivy", email_verified="yes"), "FAILED", "email_verified"),
        (user_row("jon", updated_at="yesterday"), "FAILED", "updated_at"),
        (user_row("kim", name=""), "FAILED", "name"),
        (user_row("lee", cognito__mfa_enabled="TRUE"), "FAILED", "cognito:mfa_enabled"),
        (user_row("max", custom__tenant="much-too-long"), "FAILED", "custom:tenant"),
        (user_row("ned", custom__level="11"), "FAILED", "custom:level"),
        (csv_line(header, user_row("oz")) + ",extra", "FAILED", "values"),
        (csv_line(header, user_row("pam", address="1 Main St\r2nd floor")), "FAILED", "carriage return"),
        (user_row("carol"), "SKIPPED", EXISTS),
        (user_row("ada", name="Ada Again"), "SKIPPED", EXISTS),
    ]
    cases += [(user_row(f"user{n:02}", email_verified="true"), "SUCCEEDED", OK) for n in range(20)]

    job = run_job(idp, pool_id, csv_file(header, [row for row, _, _ in cases]))

    assert job["Status"] == "Succeeded", job.get("CompletionMessage")
    results = [result for _, result, _ in cases]
    expected_counts = (results.count("SUCCEEDED"), results.count("SKIPPED"), results.count("FAILED"))
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == expected_counts
    lines = log_lines(local_cognito, pool_id, pool_name, job)
    assert len(lines) == len(cases)
    for number, (line, (_, result, reason)) in enumerate(zip(lines, cases, strict=True), start=1):
        prefix = f"[{result}] Line Number {number} - "
        assert line.startswith(prefix), line
        if reason is not None:
            assert reason in line, line
    # What the imported user looks like through the API.
    got = idp.admin_get_user(UserPoolId=pool_id, Username="ada")
    attributes = {item["Name"]: item["Value"] for item in got["UserAttributes"]}
    assert got["UserStatus"] == "RESET_REQUIRED"
    assert attributes["name"] == "Lovelace, Ada"
    assert attributes["birthdate"] == "1815-12-10"
    assert attributes["email_verified"] == "true"
    assert attributes["custom:level"] == "3"
    carol = idp.admin_get_user(UserPoolId=pool_id, Username="carol")
    assert {"Name": "name", "Value": "Carol Before"} in carol["UserAttributes"]  # untouched
    with pytest.raises(ClientError, match="UserNotFoundException"):
        idp.admin_get_user(UserPoolId=pool_id, Username="frank")


def test_an_existing_user_differing_only_in_case_is_skipped_in_a_case_insensitive_pool(
    local_cognito: LocalCognito,
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, pool_name = new_pool(idp, UsernameConfiguration={"CaseSensitive": False})
    idp.admin_create_user(UserPoolId=pool_id, Username="ada", MessageAction="SUPPRESS")

    job = run_job(idp, pool_id, csv_file(DOC_HEADER, [user_row("Ada"), user_row("bob"), user_row("BOB")]))

    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (1, 2, 0)
    assert log_lines(local_cognito, pool_id, pool_name, job) == [
        f"[SKIPPED] Line Number 1 - {EXISTS}", f"[SUCCEEDED] Line Number 2 - {OK}",
        f"[SKIPPED] Line Number 3 - {EXISTS}",
    ]  # fmt: skip


@pytest.mark.parametrize(("mfa", "flag", "result"), [
    ("ON", "TRUE", "SUCCEEDED"), ("ON", "FALSE", "FAILED"), ("OPTIONAL", "FALSE", "SUCCEEDED"),
    ("OPTIONAL", "true", "SUCCEEDED"), ("OFF", "TRUE", "FAILED"), ("OFF", "", "FAILED"),
])  # fmt: skip
def test_mfa_column_must_match_the_pool(
    local_cognito: LocalCognito, mfa: str, flag: str, result: str
) -> None:
    idp = local_cognito.client("cognito-idp")
    settings: dict[str, Any] = {"MfaConfiguration": mfa}
    if mfa != "OFF":
        settings["SmsConfiguration"] = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}
    pool_id, pool_name = new_pool(idp, **settings)

    job = run_job(idp, pool_id, csv_file(DOC_HEADER, [user_row("ada", cognito__mfa_enabled=flag)]))

    assert log_lines(local_cognito, pool_id, pool_name, job)[0].startswith(f"[{result}] Line Number 1")


def test_phone_alias_pool_refuses_phone_shaped_usernames_and_checks_phone_rows(
    local_cognito: LocalCognito,
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, pool_name = new_pool(
        idp, AliasAttributes=["phone_number"], AutoVerifiedAttributes=["phone_number"]
    )
    phone = {"phone_number": "+15555550123", "phone_number_verified": "TRUE", "email_verified": "FALSE"}

    job = run_job(idp, pool_id, csv_file(DOC_HEADER, [
        user_row("ada", **phone), user_row("+15555550199", **phone), user_row("bob"), user_row("cy", **phone),
    ]))  # fmt: skip

    lines = log_lines(local_cognito, pool_id, pool_name, job)
    assert lines[0] == f"[SUCCEEDED] Line Number 1 - {OK}"
    assert lines[1].startswith("[FAILED] Line Number 2 - Username cannot be of phone number format")
    # Only phone_number is auto-verified here: a verified email does not count.
    assert lines[2] == f"[FAILED] Line Number 3 - {NO_AUTO_VERIFIED}"
    assert lines[3].startswith("[FAILED] Line Number 4 - An account with the given phone_number")


def test_too_many_failed_users_fail_the_job(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)
    rows: list[dict[str, str] | str] = [user_row("ada")]
    rows += [user_row(f"no{n}", email_verified="FALSE") for n in range(3)]

    job = run_job(idp, pool_id, csv_file(DOC_HEADER, rows))

    assert job["Status"] == "Failed"
    assert job["CompletionMessage"] == "Too many users have failed or been skipped during the import."
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (1, 0, 3)
    assert status_of(idp, pool_id, "ada") == "RESET_REQUIRED"  # users already imported stay


@pytest.mark.parametrize(("mangle", "message"), [
    (lambda data: b"\xef\xbb\xbf" + data, "byte order mark"),
    (lambda data: data.replace(b",locale,", b",", 1), "missing columns: locale"),
    (lambda data: data.replace(b"cognito:username", b"cognito:username,password_hash", 1), "password_hash"),
    (lambda data: data.replace(b"ada", b"\xff\xfe", 1), "UTF-8"),
    (lambda data: b"", "empty"),
])  # fmt: skip
def test_a_bad_file_fails_the_job_with_the_reason(
    local_cognito: LocalCognito, mangle: Any, message: str
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)

    job = run_job(idp, pool_id, mangle(csv_file(DOC_HEADER, [user_row("ada"), user_row("bob")])))

    assert job["Status"] == "Failed"
    assert message in job["CompletionMessage"]
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (0, 0, 0)
    assert idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_imported_user_without_a_hash_must_reset_the_password(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )
    client_id = client["UserPoolClient"]["ClientId"]
    run_job(idp, pool_id, csv_file(DOC_HEADER, [user_row("ada")]))

    def sign_in(password: str) -> dict[str, Any]:
        answer: dict[str, Any] = idp.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ada", "PASSWORD": password},
        )  # fmt: skip
        return answer

    with pytest.raises(ClientError, match="PasswordResetRequiredException"):
        sign_in("Anything-1")
    # The documented way out: forgot-password to the verified email, then a new password.
    idp.forgot_password(ClientId=client_id, Username="ada")
    idp.confirm_forgot_password(ClientId=client_id, Username="ada", ConfirmationCode="123456",
                                Password="Brand-new-Pass1!")  # fmt: skip
    assert status_of(idp, pool_id, "ada") == "CONFIRMED"
    assert "AccessToken" in sign_in("Brand-new-Pass1!")["AuthenticationResult"]


# ── one job at a time, stopping, listing ───────────────────────────────────────────────────────────


def test_one_active_job_per_account_across_pools(
    local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    idp = local_cognito.client("cognito-idp")
    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 0.05)  # type: ignore[arg-type]
    first_pool, _ = new_pool(idp)
    second_pool, _ = new_pool(idp)
    slow = create_job(idp, first_pool)
    upload(slow["PreSignedUrl"], csv_file(DOC_HEADER, [user_row(f"u{n}") for n in range(400)]))
    other = create_job(idp, second_pool)
    upload(other["PreSignedUrl"], csv_file(DOC_HEADER, [user_row("ada")]))

    started = idp.start_user_import_job(UserPoolId=first_pool, JobId=slow["JobId"])["UserImportJob"]
    try:
        assert started["Status"] in ("Pending", "InProgress")
        assert "StartDate" in started
        with pytest.raises(ClientError, match="PreconditionNotMetException"):
            idp.start_user_import_job(UserPoolId=second_pool, JobId=other["JobId"])
        with pytest.raises(ClientError, match="UserImportInProgressException"):
            idp.update_user_pool(UserPoolId=first_pool, AutoVerifiedAttributes=["email"])
        with pytest.raises(ClientError, match="UserImportInProgressException"):
            idp.delete_user_pool(UserPoolId=first_pool)
    finally:
        idp.stop_user_import_job(UserPoolId=first_pool, JobId=slow["JobId"])
        wait_for_end(idp, first_pool, slow["JobId"])

    idp.start_user_import_job(UserPoolId=second_pool, JobId=other["JobId"])
    assert wait_for_end(idp, second_pool, other["JobId"])["Status"] == "Succeeded"


def test_a_stopped_job_stops_between_rows_and_cannot_restart(
    local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    idp = local_cognito.client("cognito-idp")
    monkeypatch.setattr(service_for(local_cognito.app), "row_pause", 0.05)  # type: ignore[arg-type]
    pool_id, pool_name = new_pool(idp)
    job = create_job(idp, pool_id)
    upload(job["PreSignedUrl"], csv_file(DOC_HEADER, [user_row(f"u{n}") for n in range(400)]))
    idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    deadline = time.monotonic() + 30
    while (
        idp.describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"]["ImportedUsers"]
        < 1
    ):
        assert time.monotonic() < deadline
        time.sleep(0.02)

    stopping = idp.stop_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"]
    ended = wait_for_end(idp, pool_id, job["JobId"])

    assert stopping["Status"] == "Stopping"
    assert ended["Status"] == "Stopped"
    assert "CompletionDate" in ended
    assert ended["ImportedUsers"] < 400
    assert len(log_lines(local_cognito, pool_id, pool_name, ended)) == ended["ImportedUsers"]
    assert len(idp.list_users(UserPoolId=pool_id)["Users"]) == ended["ImportedUsers"]
    for action in (idp.start_user_import_job, idp.stop_user_import_job):
        with pytest.raises(ClientError, match="PreconditionNotMetException"):
            action(UserPoolId=pool_id, JobId=job["JobId"])


def test_list_user_import_jobs_pages_through_a_pools_jobs(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id, _ = new_pool(idp)
    other_pool, _ = new_pool(idp)
    created = [create_job(idp, pool_id, name=f"batch-{n}")["JobId"] for n in range(3)]
    create_job(idp, other_pool)

    first = idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=2)
    second = idp.list_user_import_jobs(
        UserPoolId=pool_id, MaxResults=2, PaginationToken=first["PaginationToken"]
    )

    listed = [job["JobId"] for job in first["UserImportJobs"] + second["UserImportJobs"]]
    assert listed == created
    assert "PaginationToken" not in second
    with pytest.raises(ClientError, match="InvalidParameterException"):
        idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=61)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        idp.describe_user_import_job(UserPoolId=other_pool, JobId=created[0])


# ── the CSV dialect ────────────────────────────────────────────────────────────────────────────────


def _writable(text: str) -> str:
    """What a value can be: trimmed, and not ending with a backslash (it would escape the comma)."""
    while text != (text := text.strip(" \t").rstrip("\\")):
        pass
    return text


_value = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30
).map(_writable)


@given(st.lists(_value, min_size=1, max_size=8))
def test_escaped_commas_round_trip(values: list[str]) -> None:
    assert split_row(join_row(values)) == values


@given(st.lists(_value, min_size=1, max_size=8), st.sampled_from([" ", "\t", "  \t"]))
def test_values_are_trimmed(values: list[str], blank: str) -> None:
    line = ",".join(blank + value.replace(",", "\\,") + blank for value in values)
    assert split_row(line) == values


def test_a_job_running_when_the_server_stopped_is_failed_after_a_restore(
    local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    idp = local_cognito.client("cognito-idp")
    monkeypatch.setattr(service(local_cognito), "row_pause", 0.05)
    pool_id, _ = new_pool(idp)
    job = create_job(idp, pool_id)
    upload(job["PreSignedUrl"], csv_file(DOC_HEADER, [user_row(f"u{n}") for n in range(400)]))
    idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    try:
        assert local_cognito.app is not None
        saved = pickle.dumps(local_cognito.app.state["importjobs"])  # what `local serve --state` keeps
        with LocalCognito() as restarted:
            assert restarted.app is not None
            restarted.app.state["importjobs"] = pickle.loads(saved)  # noqa: S301 - our own bytes
            again = restarted.client("cognito-idp")
            described = again.describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
            assert described["UserImportJob"]["Status"] == "Failed"
            assert "interrupted" in described["UserImportJob"]["CompletionMessage"]
    finally:
        idp.stop_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
        wait_for_end(idp, pool_id, job["JobId"])
