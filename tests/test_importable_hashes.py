"""Which legacy hashes go into a Cognito import job, as what text, and why the others don't.

Hashes come from the real libraries (bcrypt, argon2-cffi, Werkzeug) or are built here exactly as Django
builds them (Django is not installed; its published vector pins the construction). Every conversion is
checked twice: against an independent computation written here from the target format's spec, and by
importing the converted hash into the local Cognito and signing in with the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.request
import uuid
from typing import Any

import argon2
import bcrypt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from cognito_migrate.local import LocalCognito
from cognito_migrate.passwords import HashFormat, detect_hash_format
from cognito_migrate.passwords.importable import (
    TRIGGER_VERIFIES,
    Importable,
    NotImportable,
    cognito_import,
    cognito_import_all,
    trigger_can_verify,
)
from cognito_migrate.sources.records import PasswordHash

PASSWORD = "lètmein, and more"
F = HashFormat


def stored(value: str) -> PasswordHash:
    """A hash as a source hands it over: the value and its detected format."""
    return PasswordHash(value, detect_hash_format(value))


def imported(value: str) -> Importable:
    result = cognito_import(stored(value))
    assert isinstance(result, Importable), result
    return result


def refused(value: str) -> str:
    result = cognito_import(stored(value))
    assert isinstance(result, NotImportable), result
    assert value not in result.reason
    return result.reason


# ── legacy hashes, built as their libraries build them ─────────────────────────────────────────────


def django_pbkdf2(password: str, salt: str, iterations: int) -> str:
    """Django's PBKDF2PasswordHasher.encode: the salt text as bytes, standard padded base64 of the key."""
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(derived).decode().strip()}"


def django_scrypt(password: str, salt: str, n: int = 16384, r: int = 8, p: int = 1) -> str:
    """Django's ScryptPasswordHasher.encode: scrypt$N$salt$r$p$b64, a 64-byte key."""
    derived = hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=256 * n * r, dklen=64
    )
    return f"scrypt${n}${salt}${r}${p}${base64.b64encode(derived).decode()}"


def cheap_argon2(time_cost: int = 1, kind: argon2.Type = argon2.Type.ID) -> argon2.PasswordHasher:
    return argon2.PasswordHasher(time_cost=time_cost, memory_cost=64, parallelism=1, type=kind)


# ── independent verifiers, from the formats' specs (not from the code under test) ──────────────────


def passlib_pbkdf2_verifies(hashed: str, password: str) -> bool:
    """passlib's pbkdf2_sha256: ``$pbkdf2-sha256$rounds$salt$checksum``, both in adapted base64."""

    def ab64_decode(text: str) -> bytes:
        return base64.b64decode(text.replace(".", "+") + "=" * (-len(text) % 4), validate=True)

    empty, ident, rounds, salt, checksum = hashed.split("$")
    assert (empty, ident) == ("", "pbkdf2-sha256")
    assert "=" not in salt + checksum
    assert "+" not in salt + checksum
    assert len(checksum) == 43
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), ab64_decode(salt), int(rounds))
    return hmac.compare_digest(derived, ab64_decode(checksum))


def cognito_scrypt_verifies(hashed: str, password: str) -> bool:
    """Cognito's ``N$r$p$hexSalt$hexHash``, the salt read as the bytes the hex spells."""
    n, r, p, salt, checksum = hashed.split("$")
    expected = bytes.fromhex(checksum)
    derived = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=256 * int(n) * int(r) + (1 << 20), dklen=len(expected))  # fmt: skip
    return hmac.compare_digest(derived, expected)


# ── BCRYPT ─────────────────────────────────────────────────────────────────────────────────────────


def test_bcrypt_up_to_cost_12_is_imported_as_it_is() -> None:
    at_limit = bcrypt.hashpw(b"pw", bcrypt.gensalt(12)).decode()
    result = imported(at_limit)
    assert (result.algorithm, result.value) == ("BCRYPT", at_limit)
    assert result.summary == "bcrypt hash within Cognito's limits (cost 12)"
    php = "$2y$" + bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()[4:]  # PHP's password_hash
    assert imported(f"  {php}\n").value == php  # padded CHAR columns: the CSV gets the bare hash


def test_bcrypt_cost_13_is_over_cognitos_limit() -> None:
    over = bcrypt.hashpw(b"pw", bcrypt.gensalt(13)).decode()
    assert refused(over) == "bcrypt cost 13 is above Cognito's import limit of 12"


AB64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@given(cost=st.integers(0, 99), body=st.text(AB64, min_size=53, max_size=53))
def test_bcrypt_cost_rule(cost: int, body: str) -> None:
    result = cognito_import(stored(f"$2b${cost:02d}${body}"))
    assert isinstance(result, Importable) == (4 <= cost <= 12)
    if cost > 12:
        assert result == NotImportable(f"bcrypt cost {cost} is above Cognito's import limit of 12")


def test_django_bcrypt_is_the_plain_bcrypt_inside_but_bcrypt_sha256_is_not() -> None:
    inner = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    result = imported("bcrypt$" + inner)  # Django's BCryptPasswordHasher
    assert (result.algorithm, result.value) == ("BCRYPT", inner)
    assert bcrypt.checkpw(PASSWORD.encode(), result.value.encode())
    assert result.summary.startswith("Django bcrypt hash within Cognito's limits (cost 4)")
    # BCryptSHA256PasswordHasher: bcrypt over the hex SHA-256 of the password, which Cognito can't compute.
    pre_hashed = hashlib.sha256(PASSWORD.encode()).hexdigest().encode()
    sha256_variant = "bcrypt_sha256$" + bcrypt.hashpw(pre_hashed, bcrypt.gensalt(4)).decode()
    assert refused(sha256_variant).startswith("django-bcrypt-sha256 hashes cannot be imported by Cognito")


# ── ARGON2ID ───────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("m", "t", "p", "reason"), [
    (19456, 2, 1, None),
    (19457, 2, 1, "argon2id m=19457 is above Cognito's limit of 19456 KiB"),
    (64, 3, 1, "argon2id t=3 is above Cognito's limit of 2"),
    (64, 1, 2, "argon2id p=2 is above Cognito's limit of 1"),
    (65536, 3, 4, "argon2id m=65536 is above Cognito's limit of 19456 KiB, t=3 is above its limit of 2, "
                  "p=4 is above its limit of 1"),  # argon2-cffi's defaults
])  # fmt: skip
def test_argon2id_limits(m: int, t: int, p: int, reason: str | None) -> None:
    hashed = argon2.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p).hash(PASSWORD)
    if reason is None:
        result = imported(hashed)
        assert (result.algorithm, result.value) == ("ARGON2ID", hashed)
    else:
        assert refused(hashed) == reason


@pytest.mark.parametrize("kind", [argon2.Type.I, argon2.Type.D])
def test_argon2i_and_argon2d_are_not_importable(kind: argon2.Type) -> None:
    reason = refused(cheap_argon2(kind=kind).hash(PASSWORD))
    assert (
        reason == f"argon2{kind.name.lower()} hashes cannot be imported by Cognito (it imports argon2id only)"
    )


def test_argon2id_version_16_is_not_importable() -> None:
    old = argon2.low_level.hash_secret(b"pw", b"somesaltsalt", time_cost=1, memory_cost=64, parallelism=1,
                                       hash_len=32, type=argon2.Type.ID, version=0x10).decode()  # fmt: skip
    assert "$v=16$" in old
    assert refused(old) == "argon2id version 16 cannot be imported by Cognito (it imports version 19 only)"


def test_django_argon2_loses_its_prefix_when_within_limits() -> None:
    phc = cheap_argon2(time_cost=2).hash(PASSWORD)
    result = imported("argon2" + phc)  # Django's Argon2PasswordHasher
    assert (result.algorithm, result.value) == ("ARGON2ID", phc)
    assert argon2.PasswordHasher().verify(result.value, PASSWORD)
    # Django's own defaults (t=2, m=102400, p=8) are over Cognito's limits: those users need the trigger.
    django_default = argon2.PasswordHasher(time_cost=2, memory_cost=102400, parallelism=8).hash("pw")
    assert refused("argon2" + django_default) == (
        "Django argon2id m=102400 is above Cognito's limit of 19456 KiB, p=8 is above its limit of 1"
    )


# ── PBKDF2_SHA256 ──────────────────────────────────────────────────────────────────────────────────


def test_django_pbkdf2_converts_to_passlibs_form_losslessly() -> None:
    published = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c="  # Django's test
    assert django_pbkdf2("lètmein", "seasalt", 390000) == published
    result = imported(published)
    assert result.algorithm == "PBKDF2_SHA256"
    # "seasalt" as bytes in adapted base64; the key's base64 with "." for "+" and no padding.
    assert result.value == "$pbkdf2-sha256$390000$c2Vhc2FsdA$8xBlGd3jVgvJ.92hWPxi5ww0uuAuAnKgC45eudxro7c"
    assert passlib_pbkdf2_verifies(result.value, "lètmein")
    assert not passlib_pbkdf2_verifies(result.value, "letmein")
    assert result.summary == (
        "Django pbkdf2_sha256 hash within Cognito's limits (390,000 iterations), converted to passlib's form"
    )


def test_pbkdf2_iterations_limit_is_600000() -> None:
    at_limit = django_pbkdf2(PASSWORD, "Xq3vT9LmZ2aB7cDe", 600_000)
    assert passlib_pbkdf2_verifies(imported(at_limit).value, PASSWORD)
    key = at_limit.rsplit("$", 1)[1]
    assert refused(f"pbkdf2_sha256$600001$Xq3vT9LmZ2aB7cDe${key}") == (
        "Django pbkdf2_sha256 with 600,001 iterations is above Cognito's import limit of 600,000"
    )
    passlib_form = imported(at_limit).value
    assert imported(passlib_form).value == passlib_form  # already Cognito's form: imported unchanged
    assert refused(passlib_form.replace("$600000$", "$600001$")) == (
        "passlib pbkdf2-sha256 with 600,001 iterations is above Cognito's import limit of 600,000"
    )


def test_werkzeug_pbkdf2_converts_and_its_31_default_is_over_the_limit() -> None:
    hashed = generate_password_hash(PASSWORD, "pbkdf2:sha256:600000")
    result = imported(hashed)
    assert result.algorithm == "PBKDF2_SHA256"
    assert result.value.startswith("$pbkdf2-sha256$600000$")
    assert passlib_pbkdf2_verifies(result.value, PASSWORD)
    # Werkzeug 3.1's generate_password_hash(method="pbkdf2") uses 1,000,000 iterations.
    default = generate_password_hash(PASSWORD, "pbkdf2")
    assert default.startswith("pbkdf2:sha256:1000000$")
    assert (
        refused(default)
        == "Werkzeug pbkdf2 with 1,000,000 iterations is above Cognito's import limit of 600,000"
    )


def test_werkzeug_pbkdf2_with_another_digest_or_no_iteration_count_is_not_importable() -> None:
    sha512 = generate_password_hash(PASSWORD, "pbkdf2:sha512:1000")
    assert refused(sha512) == (
        "Werkzeug pbkdf2 hashes with SHA512 cannot be imported by Cognito "
        "(it imports PBKDF2 with SHA-256 only)"
    )
    salt, digest = "abcdefgh", hashlib.pbkdf2_hmac("sha256", b"pw", b"abcdefgh", 600_000).hex()
    assert "without an iteration count" in refused(f"pbkdf2:sha256${salt}${digest}")


@settings(max_examples=200, deadline=None)
@given(
    salt=st.text(
        st.characters(blacklist_characters="$", blacklist_categories=["Cs"]), min_size=1, max_size=30
    ),
    key=st.binary(min_size=32, max_size=32),
    rounds=st.integers(1, 600_000),
)
def test_pbkdf2_conversions_keep_salt_key_and_rounds(salt: str, key: bytes, rounds: int) -> None:
    """The passlib form holds exactly the bytes Django and Werkzeug computed with: nothing is lost."""
    django = f"pbkdf2_sha256${rounds}${salt}${base64.b64encode(key).decode()}"
    werkzeug = f"pbkdf2:sha256:{rounds}${salt}${key.hex()}"

    def decode(text: str) -> bytes:
        return base64.b64decode(text.replace(".", "+") + "=" * (-len(text) % 4), validate=True)

    for legacy in (django, werkzeug):
        _, _, kept_rounds, ab64_salt, ab64_key = imported(legacy).value.split("$")
        assert (int(kept_rounds), decode(ab64_salt), decode(ab64_key)) == (rounds, salt.encode(), key)


def test_a_malformed_pbkdf2_key_is_refused_without_showing_it() -> None:
    short = "pbkdf2_sha256$1000$salt$" + base64.b64encode(b"sixteen byte key").decode()
    assert refused(short) == (
        "the django-pbkdf2-sha256 hash is malformed (a 16-byte key instead of 32), "
        "so Cognito cannot import it"
    )


# ── SCRYPT ─────────────────────────────────────────────────────────────────────────────────────────


def test_werkzeug_scrypt_default_converts_to_cognitos_form() -> None:
    hashed = generate_password_hash(PASSWORD)  # Werkzeug 3's default: scrypt:32768:8:1, 64-byte key
    assert hashed.startswith("scrypt:32768:8:1$")
    result = imported(hashed)
    assert result.algorithm == "SCRYPT"
    n, r, p, hex_salt, hex_key = result.value.split("$")
    assert (n, r, p) == ("32768", "8", "1")
    assert bytes.fromhex(hex_salt) == hashed.split("$")[1].encode()  # Werkzeug's salt text, as bytes
    assert len(bytes.fromhex(hex_key)) == 64
    assert cognito_scrypt_verifies(result.value, PASSWORD)
    assert not cognito_scrypt_verifies(result.value, PASSWORD + "!")


def test_django_scrypt_converts_too() -> None:
    hashed = django_scrypt(PASSWORD, "Xq3vT9LmZ2aB7cDe")
    result = imported(hashed)
    assert result.algorithm == "SCRYPT"
    assert result.value.startswith("16384$8$1$")
    assert cognito_scrypt_verifies(result.value, PASSWORD)


@pytest.mark.parametrize(("legacy", "reason"), [
    ("scrypt:131072:8:1$salt$" + "ab" * 64, "Werkzeug scrypt N=131072 is above Cognito's limit of 65536"),
    ("scrypt:32768:16:1$salt$" + "ab" * 64, "Werkzeug scrypt r=16 is above Cognito's limit of 8"),
    ("scrypt:32768:8:2$salt$" + "ab" * 64, "Werkzeug scrypt p=2 is above Cognito's limit of 1"),
    ("scrypt:30000:8:1$salt$" + "ab" * 64,
     "Werkzeug scrypt N=30000 is not a power of two, which Cognito requires"),
    ("131072$8$1$" + "ab" * 16 + "$" + "cd" * 64, "scrypt N=131072 is above Cognito's limit of 65536"),
    ("65536$9$2$" + "ab" * 16 + "$" + "cd" * 64,
     "scrypt r=9 is above Cognito's limit of 8, p=2 is above its limit of 1"),
])  # fmt: skip
def test_scrypt_limits(legacy: str, reason: str) -> None:
    assert refused(legacy) == reason


@given(log_n=st.integers(1, 20), r=st.integers(1, 16), p=st.integers(1, 4))
def test_scrypt_parameter_rule(log_n: int, r: int, p: int) -> None:
    result = cognito_import(stored(f"{2**log_n}${r}${p}$" + "ab" * 16 + "$" + "cd" * 64))
    assert isinstance(result, Importable) == (2**log_n <= 65536 and r <= 8 and p <= 1)
    if isinstance(result, NotImportable):
        assert (f"N={2**log_n} is above" in result.reason) == (2**log_n > 65536)
        assert (f"r={r} is above" in result.reason) == (r > 8)
        assert (f"p={p} is above" in result.reason) == (p > 1)


def test_cognitos_own_scrypt_form_at_the_limits_is_imported_unchanged() -> None:
    at_limit = "65536$8$1$" + "ab" * 16 + "$" + "cd" * 64
    assert imported(at_limit) == Importable("SCRYPT", at_limit, "scrypt hash within Cognito's limits "
                                            "(N=65536, r=8, p=1)")  # fmt: skip


# ── everything else ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("legacy", "fmt"), [
    ("$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", F.PHPASS),
    ("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
     F.SHA512_CRYPT),
    ("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", F.SHA256_CRYPT),
    ("$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1", F.MD5_CRYPT),
    ("$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", F.APR1_MD5_CRYPT),
    ("$y$j9T$p6OI0WN7.rSfZBOijjRdR.$xUOA2MTcB48ac.9Oc5fz8cxwLv1mMqabnn333iOzSA6", F.YESCRYPT),
    ("sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8", F.SALTED_DIGEST),
    ("pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=", F.DJANGO_PBKDF2_SHA1),
    ("$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI", F.PASSLIB_PBKDF2_SHA1),
    ("$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLl"
     "QI.BzY/YTNJOiKc5gBYFYGww", F.PASSLIB_PBKDF2_SHA512),
    ("$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2",
     F.PASSLIB_BCRYPT_SHA256),
    ("$wp$2y$10$5CG2SwZGLrV7fWDFGAd5f.qTdZqcFKm4bgonkif2iuCXg4zTHTBUW", F.WORDPRESS_BCRYPT),
])  # fmt: skip
def test_formats_cognito_cannot_import_say_so_by_name(legacy: str, fmt: HashFormat) -> None:
    assert detect_hash_format(legacy) is fmt
    assert refused(legacy).startswith(f"{fmt} hashes cannot be imported by Cognito (")


def test_an_unrecognised_hash_is_not_importable() -> None:
    assert refused("5f4dcc3b5aa765d61d8327deb882cf99") == (
        "the password hash is in no format this tool recognises, so Cognito cannot import it"
    )


def test_an_importable_hash_never_shows_in_its_repr() -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    assert hashed not in repr(imported(hashed))


# ── the trigger's table ────────────────────────────────────────────────────────────────────────────


def test_the_trigger_verifies_the_formats_issue_8_lists() -> None:
    listed = {
        F.BCRYPT, F.ARGON2, F.DJANGO_PBKDF2_SHA256, F.DJANGO_PBKDF2_SHA1, F.DJANGO_BCRYPT,
        F.DJANGO_BCRYPT_SHA256, F.DJANGO_ARGON2, F.DJANGO_SCRYPT, F.WERKZEUG_PBKDF2, F.WERKZEUG_SCRYPT,
        F.PASSLIB_PBKDF2_SHA256, F.PASSLIB_PBKDF2_SHA1, F.PASSLIB_PBKDF2_SHA512, F.PHPASS, F.SHA256_CRYPT,
        F.SHA512_CRYPT, F.MD5_CRYPT, F.FIREBASE_SCRYPT,
    }  # fmt: skip
    assert set(TRIGGER_VERIFIES) == listed
    assert all(trigger_can_verify(fmt.value) for fmt in listed)
    for fmt in (F.YESCRYPT, F.UNKNOWN, F.SALTED_DIGEST, F.WORDPRESS_BCRYPT, F.COGNITO_SCRYPT, F.SCRYPT_PHC):
        assert not trigger_can_verify(fmt)
    # Firebase's scrypt goes to the trigger (with the project's signer key), never to an import job.
    assert trigger_can_verify("firebase-scrypt")
    firebase = "$firebase-scrypt$r=8,m=14,s=Bw==$42xEC+ixf3L2lw==$" + "A" * 86 + "=="
    assert detect_hash_format(firebase) is F.FIREBASE_SCRYPT
    verdict = cognito_import(PasswordHash(firebase, F.FIREBASE_SCRYPT))
    assert isinstance(verdict, NotImportable)
    assert "signer key" in verdict.reason


# ── the proof: converted hashes imported into the local Cognito, then signed in with ────────────────

ROLE = "arn:aws:iam::123456789012:role/CognitoImportLogs"


def import_job(idp: Any, pool_id: str, algorithm: str, rows: dict[str, str]) -> dict[str, Any]:
    """One import job: GetCSVHeader, CreateUserImportJob, PUT the file, start, wait (as AWS's guide)."""
    header = [*idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"], "password_hash"]
    lines = [",".join(header)]
    for username, password_hash in rows.items():
        values = {"cognito:username": username, "email": f"{username}@example.com", "email_verified": "TRUE",
                  "cognito:mfa_enabled": "FALSE", "password_hash": password_hash}  # fmt: skip
        lines.append(",".join(values.get(column, "").replace(",", "\\,") for column in header))
    job = idp.create_user_import_job(UserPoolId=pool_id, JobName="converted", CloudWatchLogsRoleArn=ROLE,
                                     PasswordHashingAlgorithm=algorithm)["UserImportJob"]  # fmt: skip
    request = urllib.request.Request(job["PreSignedUrl"], data="\n".join(lines).encode(), method="PUT",  # noqa: S310
                                     headers={"x-amz-server-side-encryption": "aws:kms"})  # fmt: skip
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
    idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    deadline = time.monotonic() + 60
    while job["Status"] not in ("Succeeded", "Failed", "Stopped", "Expired"):
        assert time.monotonic() < deadline, "the import job did not end"
        time.sleep(0.05)
        job = idp.describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"]
    return dict(job)


CONVERTED = {  # algorithm → (username → legacy hash of that username's password)
    "PBKDF2_SHA256": lambda: {
        "django": django_pbkdf2("django's password", "Xq3vT9LmZ2aB7cDe", 1000),
        "werkzeug": generate_password_hash("werkzeug's password", "pbkdf2:sha256:1000"),
    },
    "SCRYPT": lambda: {
        "werkzeug": generate_password_hash("werkzeug's password"),
        "django": django_scrypt("django's password", "Xq3vT9LmZ2aB7cDe"),
    },
    "ARGON2ID": lambda: {"django": "argon2" + cheap_argon2(time_cost=2).hash("django's password")},
    "BCRYPT": lambda: {"django": "bcrypt$" + bcrypt.hashpw(b"django's password", bcrypt.gensalt(4)).decode()},
}


@pytest.mark.parametrize("algorithm", list(CONVERTED))
def test_converted_hashes_sign_in_with_the_old_password(local_cognito: LocalCognito, algorithm: str) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName=f"converted-{uuid.uuid4().hex[:8]}",
                                   AutoVerifiedAttributes=["email"])["UserPool"]["Id"]  # fmt: skip
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web",
                                            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
                                            )["UserPoolClient"]["ClientId"]  # fmt: skip
    legacy = CONVERTED[algorithm]()
    rows = {}
    for username, hashed in legacy.items():
        result = imported(hashed)
        assert result.algorithm == algorithm
        rows[username] = result.value

    job = import_job(idp, pool_id, algorithm, rows)

    assert (job["Status"], job["ImportedUsers"], job["FailedUsers"]) == ("Succeeded", len(rows), 0)
    for username in rows:
        auth = {"USERNAME": username, "PASSWORD": f"{username}'s password"}
        answer = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth)
        assert "AccessToken" in answer["AuthenticationResult"]
        with pytest.raises(idp.exceptions.NotAuthorizedException):
            idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                              AuthParameters={**auth, "PASSWORD": "not the old password"})  # fmt: skip


_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@settings(max_examples=300)
@given(
    st.one_of(
        st.builds(
            lambda variant, cost, rest: f"$2{variant}${cost:02d}${rest}",
            st.sampled_from("abxyz"),
            st.integers(0, 99),
            st.text(_BCRYPT_ALPHABET + "$!", min_size=50, max_size=56),
        ),
        st.sampled_from(
            [
                "pbkdf2_sha256$600000$c2FsdA$aGFzaA==",
                "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
                "5f4dcc3b5aa765d61d8327deb882cf99",
                "bcrypt$$2b$12$" + "x" * 53,
                "",
                "plain text",
            ]
        ),
    )
)
def test_importing_many_hashes_at_once_answers_as_one_by_one(value: str) -> None:
    # The batch planner's form must agree with detect_hash_format + cognito_import for every text.
    fmt = detect_hash_format(value)
    assert cognito_import_all([value]) == [(fmt, cognito_import(PasswordHash(value, fmt)))]
