"""An import job as a user types it: the AWS CLI and curl against the local Cognito."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import bcrypt

from cognito_migrate.local import LocalCognito

BIN = Path(sys.executable).parent
CURL = "/usr/bin/curl"
ROLE = "arn:aws:iam::123456789012:role/CognitoImportLogs"


class Shell:
    """Runs commands with the environment ``local_cognito.environment()`` gives a user."""

    def __init__(self, local: LocalCognito) -> None:
        self.endpoint = local.endpoint_url
        self.env = {**os.environ, **local.environment()}

    def aws(self, *args: str) -> Any:
        done = subprocess.run(
            [str(BIN / "aws"), *args, "--endpoint-url", self.endpoint, "--output", "json"],
            env=self.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    def curl(self, *args: str) -> str:
        assert args[-1].startswith("http://127.0.0.1:")  # loopback only
        done = subprocess.run([CURL, "-sS", "-o", "/dev/null", "-w", "%{http_code}", *args],
                              env=self.env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout


def test_import_job_through_the_aws_cli_and_curl(local_cognito: LocalCognito, tmp_path: Path) -> None:
    sh = Shell(local_cognito)
    pool_name = f"cli-{uuid.uuid4().hex[:8]}"
    pool_id = sh.aws("cognito-idp", "create-user-pool", "--pool-name", pool_name,
                     "--auto-verified-attributes", "email")["UserPool"]["Id"]  # fmt: skip
    client_id = sh.aws("cognito-idp", "create-user-pool-client", "--user-pool-id", pool_id,
                       "--client-name", "web", "--explicit-auth-flows", "ALLOW_USER_PASSWORD_AUTH",
                       "ALLOW_REFRESH_TOKEN_AUTH")["UserPoolClient"]["ClientId"]  # fmt: skip

    header = sh.aws("cognito-idp", "get-csv-header", "--user-pool-id", pool_id)["CSVHeader"]
    columns = [*header, "password_hash"]
    old_hash = bcrypt.hashpw(b"Legacy-pass-1", bcrypt.gensalt(6)).decode()
    people = [
        {"cognito:username": "ada", "email": "ada@example.com", "email_verified": "true",
         "cognito:mfa_enabled": "false", "name": "Lovelace, Ada", "password_hash": old_hash},
        {"cognito:username": "bob", "email": "bob@example.com", "email_verified": "false",
         "cognito:mfa_enabled": "false"},
    ]  # fmt: skip
    users_csv = tmp_path / "users.csv"
    users_csv.write_text(
        "\n".join([",".join(columns)] + [
            ",".join(person.get(column, "").replace(",", "\\,") for column in columns) for person in people
        ]) + "\n"
    )  # fmt: skip

    job = sh.aws("cognito-idp", "create-user-import-job", "--user-pool-id", pool_id, "--job-name", "legacy",
                 "--cloud-watch-logs-role-arn", ROLE,
                 "--password-hashing-algorithm", "BCRYPT")["UserImportJob"]  # fmt: skip
    assert job["Status"] == "Created"
    url = job["PreSignedUrl"]

    assert sh.curl("-T", str(users_csv), url) == "403"  # forgot the KMS header
    assert sh.curl("-T", str(users_csv), "-H", "x-amz-server-side-encryption:aws:kms", url) == "200"

    started = sh.aws(
        "cognito-idp", "start-user-import-job", "--user-pool-id", pool_id, "--job-id", job["JobId"]
    )
    assert started["UserImportJob"]["Status"] in ("Pending", "InProgress", "Succeeded")
    deadline = time.monotonic() + 60
    while True:
        described = sh.aws("cognito-idp", "describe-user-import-job", "--user-pool-id", pool_id,
                           "--job-id", job["JobId"])["UserImportJob"]  # fmt: skip
        if described["Status"] not in ("Pending", "InProgress"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert described["Status"] == "Succeeded"
    assert (described["ImportedUsers"], described["FailedUsers"]) == (1, 1)

    group = f"/aws/cognito/userpools/{pool_id}/{pool_name}"
    stream = f"{job['JobId']}/legacy"
    events = sh.aws(
        "logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream, "--start-from-head"
    )["events"]
    assert [event["message"] for event in events] == [
        "[SUCCEEDED] Line Number 1 - The import succeeded.",
        "[FAILED] Line Number 2 - The User Record does not set any of the auto verified attributes to true.",
    ]

    signed_in = sh.aws(
        "cognito-idp", "initiate-auth", "--client-id", client_id, "--auth-flow", "USER_PASSWORD_AUTH",
        "--auth-parameters", "USERNAME=ada,PASSWORD=Legacy-pass-1",
    )  # fmt: skip
    assert "AccessToken" in signed_in["AuthenticationResult"]
