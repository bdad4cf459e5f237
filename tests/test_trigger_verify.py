"""The trigger's password check, one real hash per legacy format, made by the libraries that write them."""

from __future__ import annotations

import base64
import hashlib

import bcrypt
import pytest
from argon2 import PasswordHasher
from werkzeug.security import generate_password_hash

from cognito_migrate.passwords.convert import ab64_encode, firebase_scrypt_hash
from cognito_migrate.passwords.formats import detect_hash_format
from cognito_migrate.passwords.importable import TRIGGER_VERIFIES
from cognito_migrate.trigger import verify
from cognito_migrate.trigger.verify import verify_password

PASSWORD = "Legacy-pässword1"
RAW = PASSWORD.encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _bcrypt(password: bytes = RAW) -> str:
    return bcrypt.hashpw(password, bcrypt.gensalt(4)).decode()


def _argon2() -> str:
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)


def _pbkdf2(digest: str, salt: bytes, rounds: int = 1000) -> bytes:
    return hashlib.pbkdf2_hmac(digest, RAW, salt, rounds)


def _scrypt(salt: bytes, n: int = 1024, r: int = 8, p: int = 1) -> bytes:
    return hashlib.scrypt(RAW, salt=salt, n=n, r=r, p=p, dklen=64)


# One hash per format the trigger verifies, as the library or framework writes it.
HASHES = {
    "bcrypt": _bcrypt(),
    "argon2": _argon2(),
    "django-pbkdf2-sha256": f"pbkdf2_sha256$1000$s4lt${_b64(_pbkdf2('sha256', b's4lt'))}",
    "django-pbkdf2-sha1": f"pbkdf2_sha1$1000$s4lt${_b64(_pbkdf2('sha1', b's4lt'))}",
    "django-bcrypt": "bcrypt$" + _bcrypt(),
    "django-bcrypt-sha256": "bcrypt_sha256$" + _bcrypt(hashlib.sha256(RAW).hexdigest().encode()),
    "django-argon2": "argon2" + _argon2(),
    "django-scrypt": f"scrypt$1024$s4lt$8$1${_b64(_scrypt(b's4lt'))}",
    "werkzeug-pbkdf2": generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"),
    "werkzeug-scrypt": generate_password_hash(PASSWORD, "scrypt:1024:8:1"),
    "passlib-pbkdf2-sha1": f"$pbkdf2$1000${ab64_encode(b'salty')}${ab64_encode(_pbkdf2('sha1', b'salty'))}",
    "passlib-pbkdf2-sha256": (
        f"$pbkdf2-sha256$1000${ab64_encode(b'salty')}${ab64_encode(_pbkdf2('sha256', b'salty'))}"
    ),
    "passlib-pbkdf2-sha512": (
        f"$pbkdf2-sha512$1000${ab64_encode(b'salty')}${ab64_encode(_pbkdf2('sha512', b'salty'))}"
    ),
}

# crypt(3) and phpass: published vectors (Drepper's SHA-crypt specification, phpass's test.php) and
# `openssl passwd -6|-5|-1` output for the non-ASCII and long passwords.
VECTORS = [
    ("sha512-crypt", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),  # noqa: E501
    ("sha512-crypt", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),  # noqa: E501
    ("sha512-crypt", "pässwörd", "$6$abcdefgh$qlUjQo8xiC5dmwOr49rtm.DQdv9onQYoWr0dgDR2SqMkw1296.hIZnRd/ltg71cpfDQGxCw0Bli1kXypCoIxg0"),  # noqa: E501
    ("sha256-crypt", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    ("sha256-crypt", "Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"),  # noqa: E501
    ("sha256-crypt", "a-password-longer-than-thirty-two-bytes-for-sha256-crypt!!", "$5$x$qiKuyU9FO1GaTmO4lp2ae5TSayC1BcNAwAG9Bbreqv."),  # noqa: E501
    ("md5-crypt", "Hello world!", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"),
    ("md5-crypt", "pässwörd", "$1$12345678$mQ1/t.WwP76MO4VquZEL.0"),
    ("phpass", "test12345", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"),
    ("phpass", "test12345", "$H$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"),  # phpBB's prefix, same scheme
]  # fmt: skip


# Firebase's modified scrypt: the vector in github.com/firebase/scrypt's README (project parameters and
# one exported user), in this tool's one-string notation.
FIREBASE_SIGNER_KEY = base64.b64decode(
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
)
FIREBASE_HASH = firebase_scrypt_hash(
    "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
    "42xEC+ixf3L2lw==",
    rounds=8,
    mem_cost=14,
    salt_separator="Bw==",
)


def test_every_format_the_planner_sends_to_the_trigger_has_a_hash_here() -> None:
    assert set(HASHES) | {fmt for fmt, _, _ in VECTORS} | {"firebase-scrypt"} == set(TRIGGER_VERIFIES)


def test_firebase_scrypt_verifies_the_published_vector_with_the_project_signer_key() -> None:
    assert detect_hash_format(FIREBASE_HASH) == "firebase-scrypt"
    assert verify_password(FIREBASE_HASH, "user1password", firebase_signer_key=FIREBASE_SIGNER_KEY) is True
    assert verify_password(FIREBASE_HASH, "user1passwor", firebase_signer_key=FIREBASE_SIGNER_KEY) is False
    # Without the project's key (or with another project's) nothing verifies.
    assert verify_password(FIREBASE_HASH, "user1password") is False
    other_key = bytes(len(FIREBASE_SIGNER_KEY))
    assert verify_password(FIREBASE_HASH, "user1password", firebase_signer_key=other_key) is False


@pytest.mark.parametrize("fmt", sorted(HASHES))
def test_the_right_password_verifies_and_a_wrong_one_does_not(fmt: str) -> None:
    stored = HASHES[fmt]
    assert detect_hash_format(stored) == fmt
    assert verify_password(stored, PASSWORD) is True
    assert verify_password(stored, PASSWORD + "x") is False
    assert verify_password(stored, "") is False


@pytest.mark.parametrize(("fmt", "password", "stored"), VECTORS)
def test_published_vectors(fmt: str, password: str, stored: str) -> None:
    assert detect_hash_format(stored) == fmt
    assert verify_password(stored, password) is True
    assert verify_password(stored, password[:-1]) is False


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_bcrypt_passwords_over_72_bytes_verify_by_their_first_72(prefix: str) -> None:
    long_password = "ü" * 40  # 80 bytes in UTF-8
    stored = prefix + _bcrypt(long_password.encode()[:72])[4:]
    assert verify_password(stored, long_password) is True
    assert verify_password(stored, long_password[:36] + "x" * 4) is True  # bcrypt ignores bytes 73+
    assert verify_password(stored, "x" + long_password[1:]) is False


def test_werkzeug_pbkdf2_without_a_count_tries_the_release_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "WERKZEUG_DEFAULT_ROUNDS", (3000, 2000, 1000))
    stored = f"pbkdf2:sha256$s4lt${_pbkdf2('sha256', b's4lt', 2000).hex()}"
    assert verify_password(stored, PASSWORD) is True
    assert verify_password(stored, "wrong") is False


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$2b$04$" + "!" * 53,  # bcrypt's shape with characters outside its alphabet
        HASHES["bcrypt"][:-5],  # truncated
        "pbkdf2_sha256$1000$salt$not*base64",
        "pbkdf2_sha256$1000$salt$",
        "scrypt$1000000000$s$8$1$" + _b64(b"x" * 64),  # asks for far more memory than allowed
        "scrypt$1023$s$8$1$" + _b64(b"x" * 64),  # N not a power of two: hashlib raises
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$AAAA",
        "$P$!IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0",  # cost character outside the alphabet
        "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L",
        "$6$rounds=abc$salt$" + "a" * 86,
        "$y$j9T$salt$hash",  # yescrypt: recognised, not verifiable here
        "$2b$04$" + "a" * 53 + "\x00",
    ],
)
def test_a_malformed_or_unverifiable_hash_is_false_not_an_error(stored: str) -> None:
    assert verify_password(stored, PASSWORD) is False


def test_a_password_python_cannot_encode_is_false() -> None:
    assert verify_password(HASHES["django-pbkdf2-sha256"], "\ud800") is False
