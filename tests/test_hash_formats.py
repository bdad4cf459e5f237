"""Hash-format detection against hashes the real libraries write, and published test vectors.

Where a library is not installed (Django, passlib/libpass, PHP, glibc's crypt), the hash is either
built here exactly as that library's code builds it and checked against one of its published
vectors, or taken from a published vector: Django's ``tests/auth_tests/test_hashers.py``, passlib's
``passlib/tests/test_handlers.py`` (phpass from the official phpass 0.3 and John the Ripper, md5-crypt
and sha-crypt from JtR and Ulrich Drepper's SHA-crypt specification), Apache's documentation (apr1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import argon2
import bcrypt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from cognito_migrate.passwords import HashFormat, detect_hash_format

F = HashFormat
PASSWORD = "lètmein"


def ab64(data: bytes) -> str:
    """passlib's "adapted base64": standard base64 with "." for "+" and no padding."""
    return base64.b64encode(data).decode().rstrip("=").replace("+", ".")


def b64_unpadded(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def cheap_bcrypt(secret: bytes, prefix: bytes = b"2b") -> str:
    return bcrypt.hashpw(secret, bcrypt.gensalt(rounds=4, prefix=prefix)).decode()


# ── bcrypt, argon2, WordPress ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("prefix", [b"2a", b"2b"])
def test_bcrypt_from_pyca(prefix: bytes) -> None:
    assert detect_hash_format(cheap_bcrypt(b"secret", prefix)) is F.BCRYPT


def test_bcrypt_as_php_writes_it_and_as_native_authenticator_stores_it() -> None:
    made = cheap_bcrypt(b"secret")
    php = "$2y$" + made[4:]  # PHP's password_hash writes the same algorithm under $2y$
    assert bcrypt.checkpw(b"secret", php.encode())
    assert detect_hash_format(php) is F.BCRYPT
    # NativeAuthenticator keeps the hash as bytes (a bytea / BLOB column); drivers hand back bytes or views.
    assert detect_hash_format(made.encode()) is F.BCRYPT
    assert detect_hash_format(memoryview(made.encode())) is F.BCRYPT
    assert detect_hash_format(f"  {made}\n") is F.BCRYPT  # padded CHAR columns


def wordpress_hash(password: str) -> str:
    """WordPress ≥ 6.8 ``wp_hash_password``: "$wp" + bcrypt of base64(HMAC-SHA384(password, "wp-sha384"))."""
    pre_hash = base64.b64encode(hmac.new(b"wp-sha384", password.encode(), hashlib.sha384).digest())
    return "$wp$2y$" + cheap_bcrypt(pre_hash)[4:]


def test_wordpress_bcrypt() -> None:
    assert detect_hash_format(wordpress_hash(PASSWORD)) is F.WORDPRESS_BCRYPT
    # A hash WordPress 6.8 wrote (found in public code), checked here with WordPress's construction.
    written = "$wp$2y$10$5CG2SwZGLrV7fWDFGAd5f.qTdZqcFKm4bgonkif2iuCXg4zTHTBUW"
    pre_hash = base64.b64encode(hmac.new(b"wp-sha384", b"@ojisuperadminsolo", hashlib.sha384).digest())
    assert bcrypt.checkpw(pre_hash, written[3:].encode())
    assert detect_hash_format(written) is F.WORDPRESS_BCRYPT


@pytest.mark.parametrize("kind", [argon2.Type.ID, argon2.Type.I, argon2.Type.D])
def test_argon2_from_argon2_cffi(kind: argon2.Type) -> None:
    hasher = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=kind)
    assert detect_hash_format(hasher.hash(PASSWORD)) is F.ARGON2


def test_argon2_cffi_defaults() -> None:
    # m=65536,t=3,p=4: over Cognito's ARGON2ID limits, but still argon2 (the trigger can verify it)
    assert detect_hash_format(argon2.PasswordHasher().hash(PASSWORD)) is F.ARGON2


# ── Django (contrib/auth/hashers.py) ────────────────────────────────────────────────────────────────


def django_pbkdf2(password: str, salt: str, iterations: int, digest: str = "sha256") -> str:
    """Django's PBKDF2PasswordHasher.encode: algorithm$iterations$salt$base64(pbkdf2_hmac)."""
    derived = hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), iterations)
    return f"pbkdf2_{digest}${iterations}${salt}${base64.b64encode(derived).decode().strip()}"


def test_django_pbkdf2_built_as_django_builds_it_matches_djangos_own_vectors() -> None:
    # tests/auth_tests/test_hashers.py: test_pbkdf2 and test_low_level_pbkdf2_sha1
    published_sha256 = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c="
    published_sha1 = "pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I="
    assert django_pbkdf2(PASSWORD, "seasalt", 390000) == published_sha256
    assert django_pbkdf2(PASSWORD, "seasalt2", 390000, "sha1") == published_sha1
    assert detect_hash_format(published_sha256) is F.DJANGO_PBKDF2_SHA256
    assert detect_hash_format(published_sha1) is F.DJANGO_PBKDF2_SHA1
    assert detect_hash_format(django_pbkdf2(PASSWORD, "Xq3vT9LmZ2aB7cDe", 1000)) is F.DJANGO_PBKDF2_SHA256


def test_django_scrypt_puts_n_before_the_salt() -> None:
    published = (  # test_scrypt
        "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NY"
        "afTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
    )
    derived = hashlib.scrypt(PASSWORD.encode(), salt=b"seasalt", n=16384, r=8, p=1, dklen=64)
    assert published == f"scrypt$16384$seasalt$8$1${base64.b64encode(derived).decode()}"
    assert detect_hash_format(published) is F.DJANGO_SCRYPT


def test_django_argon2_and_bcrypt_variants() -> None:
    # Django's Argon2PasswordHasher: "argon2" + argon2-cffi's PHC string.
    phc = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    assert detect_hash_format("argon2" + phc) is F.DJANGO_ARGON2
    for published in (  # test_argon2: old hashes without and with the version field, and a current one
        "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO"
        "4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg",
        "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q",
        "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw",
    ):
        assert detect_hash_format(published) is F.DJANGO_ARGON2
    # BCryptSHA256PasswordHasher: bcrypt over the hex SHA-256 of the password; BCryptPasswordHasher: plain.
    hex_digest = hashlib.sha256(PASSWORD.encode()).hexdigest().encode()
    assert detect_hash_format("bcrypt_sha256$" + cheap_bcrypt(hex_digest)) is F.DJANGO_BCRYPT_SHA256
    assert detect_hash_format("bcrypt$" + cheap_bcrypt(PASSWORD.encode())) is F.DJANGO_BCRYPT


def test_salted_digests_of_old_django_and_old_werkzeug() -> None:
    published_sha1 = "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"  # test_sha1
    digest = hashlib.sha1(b"seasalt" + PASSWORD.encode(), usedforsecurity=False).hexdigest()
    assert digest == published_sha1.split("$")[2]
    assert detect_hash_format(published_sha1) is F.SALTED_DIGEST
    assert detect_hash_format("md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3") is F.SALTED_DIGEST
    assert detect_hash_format("sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b") is F.SALTED_DIGEST
    # Werkzeug < 2.3, method="sha256": HMAC keyed with the salt, in hex.
    werkzeug_hmac = hmac.new(b"Xq3vT9Lm", PASSWORD.encode(), "sha256").hexdigest()
    assert detect_hash_format(f"sha256$Xq3vT9Lm${werkzeug_hmac}") is F.SALTED_DIGEST
    # A digest of the wrong length for its name is not one.
    assert detect_hash_format(f"sha1$seasalt${werkzeug_hmac}") is F.UNKNOWN


# ── Werkzeug ────────────────────────────────────────────────────────────────────────────────────────


def test_werkzeug_default_is_scrypt() -> None:
    assert generate_password_hash(PASSWORD).startswith("scrypt:32768:8:1$")
    assert detect_hash_format(generate_password_hash(PASSWORD)) is F.WERKZEUG_SCRYPT


def test_werkzeug_pbkdf2() -> None:
    assert detect_hash_format(generate_password_hash(PASSWORD, method="pbkdf2:sha256")) is F.WERKZEUG_PBKDF2
    assert detect_hash_format(generate_password_hash(PASSWORD, method="pbkdf2:sha512:1000")) is (
        F.WERKZEUG_PBKDF2
    )
    # Werkzeug 2.0–2.2 wrote 260,000 iterations: pbkdf2:sha256:260000$salt$hex (built as it built them).
    derived = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), b"Xq3vT9LmZ2aB7cDe", 1000).hex()
    assert detect_hash_format(f"pbkdf2:sha256:260000$Xq3vT9LmZ2aB7cDe${derived}") is F.WERKZEUG_PBKDF2


# ── passlib / libpass (not installed: built with hashlib exactly as passlib does) ────────────────────


@pytest.mark.parametrize(
    ("digest", "published", "expected"),
    [  # passlib/tests/test_handlers.py, password "password"
        ("sha1", "$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI", F.PASSLIB_PBKDF2_SHA1),
        (
            "sha256",
            "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
            F.PASSLIB_PBKDF2_SHA256,
        ),
        (
            "sha512",
            "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa1"
            "7k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",
            F.PASSLIB_PBKDF2_SHA512,
        ),
    ],
)
def test_passlib_pbkdf2(digest: str, published: str, expected: HashFormat) -> None:
    ident, rounds, salt, _ = published.split("$")[1:]
    raw_salt = base64.b64decode(salt.replace(".", "+") + "=" * (-len(salt) % 4))
    built = (
        f"${ident}${rounds}${salt}${ab64(hashlib.pbkdf2_hmac(digest, b'password', raw_salt, int(rounds)))}"
    )
    assert built == published
    assert detect_hash_format(published) is expected
    fresh_salt = os.urandom(16)
    fresh = f"${ident}$29000${ab64(fresh_salt)}${ab64(hashlib.pbkdf2_hmac(digest, b'x', fresh_salt, 1000))}"
    assert detect_hash_format(fresh) is expected


def test_passlib_bcrypt_sha256_and_phc_scrypt() -> None:
    for published in (  # passlib's documentation (v2) and the v1 form of passlib < 1.7.3
        "$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2",
        "$bcrypt-sha256$2b,4$abcdefghijklmnopqrstuu$FQ2IbYX6zn7VyXVLeDueHXUwEtfuttq",
    ):
        assert detect_hash_format(published) is F.PASSLIB_BCRYPT_SHA256
    salt = os.urandom(16)
    derived = hashlib.scrypt(b"x", salt=salt, n=16, r=8, p=1, dklen=32)
    phc = f"$scrypt$ln=4,r=8,p=1${b64_unpadded(salt)}${b64_unpadded(derived)}"
    assert detect_hash_format(phc) is F.SCRYPT_PHC


def test_cognito_scrypt_import_form() -> None:
    salt = os.urandom(16)
    derived = hashlib.scrypt(b"x", salt=salt, n=16, r=8, p=1, dklen=32)
    assert detect_hash_format(f"16$8$1${salt.hex()}${derived.hex()}") is F.COGNITO_SCRYPT
    assert detect_hash_format(f"16$8$1${salt.hex()}$") is F.UNKNOWN


# ── phpass and the crypt(3) family (published vectors) ──────────────────────────────────────────────


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", F.PHPASS),  # phpass 0.3, "test12345"
        ("$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00", F.PHPASS),  # phpBB3, JtR "test1"
        ("$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1", F.MD5_CRYPT),  # JtR "U*U*U*U*"
        ("$1$ssssssss$YgmLTApYTv12qgTwBoj8i/", F.MD5_CRYPT),
        ("$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", F.APR1_MD5_CRYPT),  # Apache docs, "myPassword"
        ("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", F.SHA256_CRYPT),  # Drepper
        (
            "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
            F.SHA256_CRYPT,
        ),
        (
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJu"
            "esI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            F.SHA512_CRYPT,
        ),
        (
            "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wP"
            "vMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
            F.SHA512_CRYPT,
        ),
        ("$y$j9T$p6OI0WN7.rSfZBOijjRdR.$xUOA2MTcB48ac.9Oc5fz8cxwLv1mMqabnn333iOzSA6", F.YESCRYPT),  # NixOS
    ],
)
def test_phpass_and_crypt_family(value: str, expected: HashFormat) -> None:
    assert detect_hash_format(value) is expected


# ── junk and near misses ────────────────────────────────────────────────────────────────────────────

_BCRYPT = "$2b$04$sB8MueJAZQl7T7pD4MfjTOBSsv0ANBerjYrDS710vu.We11E3ffNi"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "hunter2",  # a plaintext password column
        "88a434c88cca4e900f7874cd98123f43",  # Django's unsalted MD5: any 32 hex characters
        "!" + "x" * 40,  # Django's unusable password
        "Ne2g4BqJyBXjklPm0QbVhf8t6Qc5k3kS9PHXjqmPdVVf5kRo6R6jz2zTWBPu0k7w8g==",  # Firebase: a bare base64
        "{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7",  # LDAP salted SHA-1
        "ab1Hv2Lg7ltQo",  # DES crypt
        _BCRYPT[:-1],  # one character short
        _BCRYPT + "x",  # one too many
        _BCRYPT.replace("$04$", "$4$"),
        _BCRYPT[:-1] + "!",
        "$2c$04$" + _BCRYPT[7:],  # no such bcrypt version
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$",  # no hash
        "$argon2id$v=19$m=wat,t=2,p=1$LdkhVNG/wlqQnG2ibpyNiA$8Bl44TOasplKBxanrfHFXTjyUXCZ4EAe30zLkRQmscE",
        "argon2$argon2x$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q",
        "pbkdf2_sha256$$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
        "pbkdf2_sha256$0390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
        "pbkdf2_sha512$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",  # no such Django hasher
        "scrypt$seasalt$16384$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQ",  # salt and N swapped
        "pbkdf2:sha256:600000$salt$NOTHEX",
        "pbkdf2:sha256:600000$$0a0b",  # no salt
        # passlib's own malformed examples: zero-padded and empty rounds, an extra field
        "$pbkdf2$01212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc",
        "$pbkdf2$$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc",
        "$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc$",
        "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r!L0",
        "$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o!",
        "$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.$",
        "$5$rounds=010428$uy/jIAhCetNCTtb0$YWvUOXbkqlqhyoPMpN8BMe.ZGsGx2aBvxTvDFI613c3",
        "$6$rounds=11021$KsvQipYPWpr9:wWP$v7xjI4X6vyVptJjB1Y02vZC5SaSijBkGmq1uJhPr3cvqvvkd42Xvo48yLVPFt8dv"
        "hCsnlUgpX.//Cxn91H4qy1",
        "$wp" + _BCRYPT[:-1],
        "$wp" + _BCRYPT[1:],  # "$wp2b$…": the "$" of the bcrypt is missing
        "$md5$3UqYqndY$$6P.aaWOoucxxq.l00SS9k0",  # Solaris md5-crypt: not a format this tool names
        b"\xff\xfe$2b$",
        "$",
        "$$$$",
        "sha1$",
    ],
)
def test_junk_and_near_misses_are_unknown(value: str | bytes | None) -> None:
    assert detect_hash_format(value) is F.UNKNOWN


@given(st.one_of(st.text(), st.binary()))
def test_any_input_gets_a_format_and_never_an_exception(value: str | bytes) -> None:
    assert isinstance(detect_hash_format(value), HashFormat)


@given(st.text(alphabet="./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!$:=+", max_size=3))
def test_changing_a_bcrypt_tail_changes_it_into_unknown_unless_it_stays_bcrypt_shaped(tail: str) -> None:
    value = _BCRYPT[:-3] + tail
    expected = F.BCRYPT if len(tail) == 3 and all(c not in "!$:=+" for c in tail) else F.UNKNOWN
    assert detect_hash_format(value) is expected
