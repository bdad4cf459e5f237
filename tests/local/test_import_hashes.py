"""Users imported with a password hash sign in with their old password, for each of Cognito's four
algorithms; hashes over Cognito's limits fail that user only."""

from __future__ import annotations

import base64
import hashlib
import os
import time
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import bcrypt
import pytest
from argon2 import PasswordHasher, Type
from botocore.exceptions import ClientError

from cognito_migrate.local import LocalCognito
from cognito_migrate.local.importjobs import hashes

ROLE = "arn:aws:iam::123456789012:role/CognitoImportLogs"
OLD_PASSWORD = "correct horse, battery staple"
MFA_OFF = "FALSE"


# ── hashes made the way legacy systems make them ───────────────────────────────────────────────────


def ab64(raw: bytes) -> str:
    """passlib's adapted base64: ``.`` instead of ``+``, no padding."""
    return base64.b64encode(raw).decode().rstrip("=").replace("+", ".")


def make_bcrypt(password: str, cost: int = 4) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode()


def make_scrypt(password: str, n: int = 16384, r: int = 8, p: int = 1) -> str:
    salt = os.urandom(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=64)
    return f"{n}${r}${p}${salt.hex()}${derived.hex()}"


def make_argon2(password: str, **params: int) -> str:
    settings = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1, **params}
    return PasswordHasher(**settings).hash(password)


def make_pbkdf2(password: str, rounds: int = 29000) -> str:
    salt = os.urandom(16)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    return f"$pbkdf2-sha256${rounds}${ab64(salt)}${ab64(derived)}"


MAKERS: dict[str, Callable[[str], str]] = {
    "BCRYPT": make_bcrypt,
    "SCRYPT": make_scrypt,
    "ARGON2ID": make_argon2,
    "PBKDF2_SHA256": make_pbkdf2,
}


def over_limit(algorithm: str) -> str:
    """A well-formed hash whose parameters are over Cognito's limits."""
    if algorithm == "BCRYPT":
        return make_bcrypt("whatever", cost=13)
    if algorithm == "ARGON2ID":
        return PasswordHasher().hash("whatever")  # argon2-cffi's defaults: m=65536, t=3, p=4
    if algorithm == "SCRYPT":  # N=131072: made by hand, computing it would take 128 MiB
        return f"131072$8$1${os.urandom(16).hex()}${os.urandom(64).hex()}"
    return f"$pbkdf2-sha256$1000000${ab64(os.urandom(16))}${ab64(os.urandom(32))}"  # Werkzeug 3.1's rounds


# ── the steps a user takes ─────────────────────────────────────────────────────────────────────────


def csv_line(header: list[str], values: dict[str, str]) -> str:
    return ",".join(values.get(column, "").replace(",", "\\,") for column in header)


def import_users(idp: Any, pool_id: str, algorithm: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    header = [*idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"], "password_hash"]
    data = "\n".join([",".join(header)] + [csv_line(header, row) for row in rows]).encode()
    job = idp.create_user_import_job(UserPoolId=pool_id, JobName="with-hashes", CloudWatchLogsRoleArn=ROLE,
                                     PasswordHashingAlgorithm=algorithm)["UserImportJob"]  # fmt: skip
    assert job["PasswordHashingAlgorithm"] == algorithm
    assert job["PreSignedUrl"].startswith("http://127.0.0.1:")
    request = urllib.request.Request(job["PreSignedUrl"], data=data, method="PUT",  # noqa: S310
                                     headers={"x-amz-server-side-encryption": "aws:kms"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
    idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = idp.describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"]
        if job["Status"] not in ("Created", "Pending", "InProgress", "Stopping"):
            return job
        time.sleep(0.05)
    raise AssertionError("the import job did not end")


def row(username: str, password_hash: str) -> dict[str, str]:
    return {"cognito:username": username, "email": f"{username}@example.com", "email_verified": "TRUE",
            "cognito:mfa_enabled": MFA_OFF, "password_hash": password_hash}  # fmt: skip


def sign_in(idp: Any, client_id: str, username: str, password: str) -> dict[str, Any]:
    answer: dict[str, Any] = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )  # fmt: skip
    return answer


def log_lines(local: LocalCognito, pool_id: str, pool_name: str, job: dict[str, Any]) -> list[str]:
    events = local.client("logs").get_log_events(
        logGroupName=f"/aws/cognito/userpools/{pool_id}/{pool_name}",
        logStreamName=f"{job['JobId']}/{job['JobName']}",
        startFromHead=True,
    )["events"]
    return [event["message"] for event in events]


@pytest.mark.parametrize("algorithm", list(MAKERS))
def test_hash_imported_users_sign_in_with_their_old_password(
    local_cognito: LocalCognito, algorithm: str
) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_name = f"hashes-{uuid.uuid4().hex[:8]}"
    pool_id = idp.create_user_pool(PoolName=pool_name, AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=flows)
    client_id = client["UserPoolClient"]["ClientId"]

    # ARGON2ID hashes hold commas (m=..,t=..,p=..): the CSV writes them as \, like any other comma.
    rows = [
        row("ada", MAKERS[algorithm](OLD_PASSWORD)),
        row("bob", ""),
        row("cy", over_limit(algorithm)),
        row("dee", "not-a-hash"),
        row("eve", MAKERS[algorithm]("eve's own password")),
    ]
    job = import_users(idp, pool_id, algorithm, rows)

    assert (job["Status"], job["ImportedUsers"], job["FailedUsers"]) == ("Succeeded", 3, 2)
    lines = log_lines(local_cognito, pool_id, pool_name, job)
    assert [line.split(" - ")[0] for line in lines] == [
        "[SUCCEEDED] Line Number 1", "[SUCCEEDED] Line Number 2", "[FAILED] Line Number 3",
        "[FAILED] Line Number 4", "[SUCCEEDED] Line Number 5",
    ]  # fmt: skip
    assert not any(r["password_hash"] in line for r in rows if r["password_hash"] for line in lines)
    status = {user["Username"]: user["UserStatus"] for user in idp.list_users(UserPoolId=pool_id)["Users"]}
    assert status == {"ada": "CONFIRMED", "bob": "RESET_REQUIRED", "eve": "CONFIRMED"}

    with pytest.raises(ClientError, match="NotAuthorizedException"):
        sign_in(idp, client_id, "ada", "not the old password")
    # SRP cannot run before the first password sign-in: Cognito has no verifier for an imported hash.
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        idp.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                          AuthParameters={"USERNAME": "ada", "SRP_A": "abc123"})  # fmt: skip
    assert "AccessToken" in sign_in(idp, client_id, "ada", OLD_PASSWORD)["AuthenticationResult"]
    assert (
        "AccessToken" in sign_in(idp, client_id, "ada", OLD_PASSWORD)["AuthenticationResult"]
    )  # moto holds it
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        sign_in(idp, client_id, "ada", "not the old password")
    admin = idp.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "eve", "PASSWORD": "eve's own password"},
    )  # fmt: skip
    assert "AccessToken" in admin["AuthenticationResult"]
    with pytest.raises(ClientError, match="PasswordResetRequiredException"):
        sign_in(idp, client_id, "bob", OLD_PASSWORD)


def test_a_password_hash_column_without_an_algorithm_is_refused(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName=f"nohash-{uuid.uuid4().hex[:8]}",
                                   AutoVerifiedAttributes=["email"])["UserPool"]["Id"]  # fmt: skip
    header = [*idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"], "password_hash"]
    job = idp.create_user_import_job(UserPoolId=pool_id, JobName="no-algorithm",
                                     CloudWatchLogsRoleArn=ROLE)["UserImportJob"]  # fmt: skip
    assert "PasswordHashingAlgorithm" not in job
    data = "\n".join([",".join(header), csv_line(header, row("ada", make_bcrypt(OLD_PASSWORD)))]).encode()
    request = urllib.request.Request(job["PreSignedUrl"], data=data, method="PUT",  # noqa: S310
                                     headers={"x-amz-server-side-encryption": "aws:kms"})  # fmt: skip
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
    idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    deadline = time.monotonic() + 60
    while (job := idp.describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"])[
        "Status"
    ] not in ("Failed", "Succeeded"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job["Status"] == "Failed"
    assert "password_hash" in job["CompletionMessage"]


# ── the limits, one by one ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("algorithm", "within", "over"), [
    ("BCRYPT", "$2b$12$" + "a" * 53, "$2b$13$" + "a" * 53),
    ("SCRYPT", "65536$8$1$00ff$00ff", "65536$8$2$00ff$00ff"),
    ("SCRYPT", "65536$8$1$00ff$00ff", "65536$9$1$00ff$00ff"),
    ("PBKDF2_SHA256", "$pbkdf2-sha256$600000$c2FsdA$aGFzaA", "$pbkdf2-sha256$600001$c2FsdA$aGFzaA"),
])  # fmt: skip
def test_limits_are_cognitos(algorithm: str, within: str, over: str) -> None:
    assert hashes.problem(algorithm, within) is None
    assert hashes.problem(algorithm, over) is not None


@pytest.mark.parametrize(("params", "accepted"), [
    ({"memory_cost": 19456, "time_cost": 2, "parallelism": 1}, True),
    ({"memory_cost": 19457, "time_cost": 2, "parallelism": 1}, False),
    ({"memory_cost": 19456, "time_cost": 3, "parallelism": 1}, False),
    ({"memory_cost": 19456, "time_cost": 2, "parallelism": 2}, False),
])  # fmt: skip
def test_argon2id_limits(params: dict[str, int], accepted: bool) -> None:
    assert (hashes.problem("ARGON2ID", make_argon2("pw", **params)) is None) is accepted


def test_other_argon2_variants_and_foreign_formats_are_refused() -> None:
    argon2i = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.I)
    assert hashes.problem("ARGON2ID", argon2i.hash("pw")) is not None
    assert hashes.problem("PBKDF2_SHA256", "pbkdf2_sha256$600000$salt$aGFzaA==") is not None  # Django's form
    assert hashes.problem("SCRYPT", "scrypt:32768:8:1$salt$00ff") is not None  # Werkzeug's form
    assert hashes.problem("BCRYPT", make_scrypt("pw")) is not None


def test_bcrypt_reads_only_the_first_72_bytes_like_every_bcrypt() -> None:
    long_password = "é" * 40  # 80 bytes in UTF-8
    stored = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    assert hashes.verify("BCRYPT", stored, long_password)
    assert not hashes.verify("BCRYPT", stored, "é" * 35)
