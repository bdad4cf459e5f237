"""Checking a password against a legacy hash, for every format the trigger verifies.

``verify_password(stored_hash, password)`` covers ``importable.TRIGGER_VERIFIES``: the format is
detected from the hash's shape (``formats.detect_hash_format``), the hash parsed with the parsers the
import path uses (``convert``), the password hashed again and the results compared with
``hmac.compare_digest``. A malformed hash, an unsupported format or a library error is ``False``,
never an exception; nothing is logged. bcrypt and argon2-cffi are imported on first use only: the
Lambda function's cold start pays for them only when a user with such a hash signs in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from cognito_migrate.passwords import convert
from cognito_migrate.passwords.formats import HashFormat, detect_hash_format

BCRYPT_MAX_BYTES = 72  # bcrypt reads no further; bcrypt 5 raises instead of truncating
# Werkzeug's pbkdf2 without a recorded count used its release's default (3.1, 2.3-3.0, 2.0-2.2).
WERKZEUG_DEFAULT_ROUNDS = (1_000_000, 600_000, 260_000)
# hashlib.scrypt refuses more memory than maxmem; a staged hash asking for over 1 GiB is not a
# real one (Lambda's memory would not hold it either).
SCRYPT_MAX_MEMORY = 1 << 30

Verifier = Callable[[str, bytes], bool]


def verify_password(stored_hash: str, password: str, *, firebase_signer_key: bytes | None = None) -> bool:
    """True when ``password`` is the one ``stored_hash`` was made from. Firebase hashes also need the
    project's signer key (decoded); without it they never verify."""
    try:
        value = stored_hash.strip()
        format = detect_hash_format(value)
        if format == HashFormat.FIREBASE_SCRYPT:
            return firebase_signer_key is not None and _firebase_scrypt(
                value, password.encode("utf-8"), firebase_signer_key
            )
        verifier = _VERIFIERS.get(format)
        return verifier is not None and verifier(value, password.encode("utf-8"))
    except Exception:  # a malformed hash or an odd password denies, and must not crash the handler
        return False


def _same(computed: bytes | str, stored: bytes | str) -> bool:
    if isinstance(computed, str):
        computed = computed.encode("ascii")
    if isinstance(stored, str):
        stored = stored.encode("ascii")
    return hmac.compare_digest(computed, stored)


# ── bcrypt and argon2 (their libraries compare in constant time themselves) ────────────────────────


def _bcrypt(value: str, password: bytes) -> bool:
    import bcrypt

    return bool(bcrypt.checkpw(password[:BCRYPT_MAX_BYTES], value.encode("ascii")))


def _django_bcrypt(value: str, password: bytes) -> bool:
    return _bcrypt(convert.unwrap_django_bcrypt(value), password)


def _django_bcrypt_sha256(value: str, password: bytes) -> bool:
    # Django hashes the hex SHA-256 of the password (64 bytes, under bcrypt's 72).
    return _bcrypt(value.removeprefix("bcrypt_sha256$"), hashlib.sha256(password).hexdigest().encode())


def _argon2(value: str, password: bytes) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error

    try:
        return bool(PasswordHasher().verify(value, password))
    except Argon2Error:  # mismatch, invalid hash, verification error
        return False


def _django_argon2(value: str, password: bytes) -> bool:
    return _argon2(convert.unwrap_django_argon2(value), password)


# ── PBKDF2 and scrypt (hashlib) ─────────────────────────────────────────────────────────────────────


def _pbkdf2(parsed: convert.Pbkdf2Hash, password: bytes, rounds: int) -> bool:
    if not parsed.checksum:
        return False
    computed = hashlib.pbkdf2_hmac(parsed.digest, password, parsed.salt, rounds, len(parsed.checksum))
    return _same(computed, parsed.checksum)


def _pbkdf2_recorded(parse: Callable[[str], convert.Pbkdf2Hash]) -> Verifier:
    def verify(value: str, password: bytes) -> bool:
        parsed = parse(value)
        return parsed.rounds is not None and _pbkdf2(parsed, password, parsed.rounds)

    return verify


def _werkzeug_pbkdf2(value: str, password: bytes) -> bool:
    parsed = convert.parse_werkzeug_pbkdf2(value)
    if parsed.rounds is not None:
        return _pbkdf2(parsed, password, parsed.rounds)
    # Every candidate is tried (no early exit), so the time does not tell which one matched.
    results = [_pbkdf2(parsed, password, rounds) for rounds in WERKZEUG_DEFAULT_ROUNDS]
    return any(results)


def _scrypt(parsed: convert.ScryptHash, password: bytes) -> bool:
    memory = 128 * parsed.n * parsed.r * parsed.p + (1 << 20)
    if not parsed.checksum or memory > SCRYPT_MAX_MEMORY:
        return False
    computed = hashlib.scrypt(
        password,
        salt=parsed.salt,
        n=parsed.n,
        r=parsed.r,
        p=parsed.p,
        maxmem=memory,
        dklen=len(parsed.checksum),
    )
    return _same(computed, parsed.checksum)


def _werkzeug_scrypt(value: str, password: bytes) -> bool:
    return _scrypt(convert.parse_werkzeug_scrypt(value), password)


def _django_scrypt(value: str, password: bytes) -> bool:
    return _scrypt(convert.parse_django_scrypt(value), password)


def _firebase_scrypt(value: str, password: bytes, signer_key: bytes) -> bool:
    # cryptography (AES) is imported on first use: only Firebase users pay for it.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    parsed = convert.parse_firebase_scrypt(value)
    n = 2**parsed.mem_cost
    memory = 128 * n * parsed.rounds + (1 << 20)
    if not parsed.checksum or memory > SCRYPT_MAX_MEMORY:
        return False
    key = hashlib.scrypt(
        password, salt=parsed.salt + parsed.salt_separator, n=n, r=parsed.rounds, p=1, maxmem=memory, dklen=32
    )
    encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    return _same(encryptor.update(signer_key) + encryptor.finalize(), parsed.checksum)


# ── crypt(3) family and phpass: libpass (the maintained passlib fork), imported on first use ───────


def _passlib(scheme: str) -> Verifier:
    def verify(value: str, password: bytes) -> bool:
        import passlib.hash

        handler = getattr(passlib.hash, scheme)
        # passlib compares in constant time; a hash it cannot parse raises, which is a "no".
        return bool(handler.verify(password, value))

    return verify


_sha_crypt = {"5": _passlib("sha256_crypt"), "6": _passlib("sha512_crypt")}


def _sha_crypt_any(value: str, password: bytes) -> bool:
    return value[1:2] in _sha_crypt and _sha_crypt[value[1:2]](value, password)


F = HashFormat
_VERIFIERS: dict[str, Verifier] = {
    F.BCRYPT: _bcrypt,
    F.DJANGO_BCRYPT: _django_bcrypt,
    F.DJANGO_BCRYPT_SHA256: _django_bcrypt_sha256,
    F.ARGON2: _argon2,
    F.DJANGO_ARGON2: _django_argon2,
    F.DJANGO_PBKDF2_SHA256: _pbkdf2_recorded(convert.parse_django_pbkdf2),
    F.DJANGO_PBKDF2_SHA1: _pbkdf2_recorded(convert.parse_django_pbkdf2),
    F.WERKZEUG_PBKDF2: _werkzeug_pbkdf2,
    F.PASSLIB_PBKDF2_SHA1: _pbkdf2_recorded(convert.parse_passlib_pbkdf2),
    F.PASSLIB_PBKDF2_SHA256: _pbkdf2_recorded(convert.parse_passlib_pbkdf2),
    F.PASSLIB_PBKDF2_SHA512: _pbkdf2_recorded(convert.parse_passlib_pbkdf2),
    F.WERKZEUG_SCRYPT: _werkzeug_scrypt,
    F.DJANGO_SCRYPT: _django_scrypt,
    F.PHPASS: _passlib("phpass"),
    F.SHA512_CRYPT: _sha_crypt_any,
    F.SHA256_CRYPT: _sha_crypt_any,
    F.MD5_CRYPT: _passlib("md5_crypt"),
}
