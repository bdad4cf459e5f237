"""Password hashes in import jobs: the formats and limits Cognito accepts, and verification at sign-in.

Formats and limits (botocore's model and Cognito's import guide):

- ``BCRYPT``: ``$2a$``, ``$2b$``, ``$2x$`` or ``$2y$``, a two-digit cost of at most 12, 53 characters.
- ``SCRYPT``: ``N$r$p$hexSalt$hexHash`` with N ≤ 65536 (a power of two), r ≤ 8, p ≤ 1.
- ``ARGON2ID``: ``$argon2id$v=19$m=..,t=..,p=..$salt$hash`` with m ≤ 19456 KiB, t ≤ 2, p ≤ 1.
- ``PBKDF2_SHA256``: passlib's ``$pbkdf2-sha256$ROUNDS$ab64salt$ab64hash`` with ROUNDS ≤ 600,000.

Nothing here logs a password or a hash; comparisons take constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable

ALGORITHMS = ("BCRYPT", "SCRYPT", "ARGON2ID", "PBKDF2_SHA256")

BCRYPT_MAX_COST = 12
SCRYPT_MAX_N = 65536
SCRYPT_MAX_R = 8
SCRYPT_MAX_P = 1
ARGON2_MAX_MEMORY_KIB = 19456
ARGON2_MAX_TIME = 2
ARGON2_MAX_PARALLELISM = 1
PBKDF2_MAX_ROUNDS = 600_000

_BCRYPT = re.compile(r"\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}")
_SCRYPT = re.compile(r"(\d+)\$(\d+)\$(\d+)\$((?:[0-9a-fA-F]{2})+)\$((?:[0-9a-fA-F]{2})+)")
_PBKDF2 = re.compile(r"\$pbkdf2-sha256\$(\d+)\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]+)")
_ARGON2ID_PREFIX = "$argon2id$"


def problem(algorithm: str, password_hash: str) -> str | None:
    """Why Cognito would refuse this hash for this job's algorithm, or None if it is acceptable.

    The failure texts are this emulator's wording (Cognito's exact texts are UNVERIFIED).
    """
    checks: dict[str, Callable[[str], str | None]] = {
        "BCRYPT": _bcrypt_problem,
        "SCRYPT": _scrypt_problem,
        "ARGON2ID": _argon2_problem,
        "PBKDF2_SHA256": _pbkdf2_problem,
    }
    check = checks.get(algorithm)
    if check is None:
        return f"Unknown password hashing algorithm {algorithm}."
    return check(password_hash)


def verify(algorithm: str, password_hash: str, password: str) -> bool:
    """True when ``password`` is the one ``password_hash`` was made from. Assumes ``problem()`` is None."""
    secret = password.encode("utf-8")
    if algorithm == "BCRYPT":
        import bcrypt

        # bcrypt reads only the first 72 bytes; bcrypt 5 raises on longer input instead of cutting it.
        return bool(bcrypt.checkpw(secret[:72], password_hash.encode("ascii")))
    if algorithm == "SCRYPT":
        return _verify_scrypt(password_hash, secret)
    if algorithm == "ARGON2ID":
        return _verify_argon2(password_hash, password)
    if algorithm == "PBKDF2_SHA256":
        return _verify_pbkdf2(password_hash, secret)
    return False


# ── BCRYPT ──────────────────────────────────────────────────────────────────────────────────────────


def _bcrypt_problem(value: str) -> str | None:
    match = _BCRYPT.fullmatch(value)
    if not match:
        return "The password hash is not a valid BCRYPT hash."
    cost = int(match.group(1))
    if not 4 <= cost <= BCRYPT_MAX_COST:
        return f"The BCRYPT cost {cost} is outside the supported range 4-{BCRYPT_MAX_COST}."
    return None


# ── SCRYPT ──────────────────────────────────────────────────────────────────────────────────────────


def _scrypt_problem(value: str) -> str | None:
    match = _SCRYPT.fullmatch(value)
    if not match:
        return "The password hash is not a valid SCRYPT hash (N$r$p$hexSalt$hexHash)."
    n, r, p = (int(match.group(i)) for i in (1, 2, 3))
    if n < 2 or n & (n - 1) or n > SCRYPT_MAX_N:
        return f"The SCRYPT cost N={n} must be a power of two of at most {SCRYPT_MAX_N}."
    if not 1 <= r <= SCRYPT_MAX_R:
        return f"The SCRYPT block size r={r} must be between 1 and {SCRYPT_MAX_R}."
    if not 1 <= p <= SCRYPT_MAX_P:
        return f"The SCRYPT parallelism p={p} must be at most {SCRYPT_MAX_P}."
    return None


def _verify_scrypt(value: str, secret: bytes) -> bool:
    n_text, r_text, p_text, salt_hex, hash_hex = value.split("$")
    n, r, p = int(n_text), int(r_text), int(p_text)
    expected = bytes.fromhex(hash_hex)
    # Whether Cognito uses the decoded salt bytes or the hex text as the salt is UNVERIFIED; the
    # format's name (hexSalt) says the bytes.
    derived = hashlib.scrypt(secret, salt=bytes.fromhex(salt_hex), n=n, r=r, p=p,
                             maxmem=256 * n * r + (1 << 20), dklen=len(expected))  # fmt: skip
    return hmac.compare_digest(derived, expected)


# ── ARGON2ID ────────────────────────────────────────────────────────────────────────────────────────


def _argon2_problem(value: str) -> str | None:
    from argon2 import Type, extract_parameters
    from argon2.exceptions import InvalidHashError

    if not value.startswith(_ARGON2ID_PREFIX):
        return "The password hash is not a valid ARGON2ID hash."
    try:
        params = extract_parameters(value)
    except (InvalidHashError, ValueError):
        return "The password hash is not a valid ARGON2ID hash."
    if params.type is not Type.ID or params.version != 19:
        return "The password hash is not a valid ARGON2ID hash (v=19)."
    if params.memory_cost > ARGON2_MAX_MEMORY_KIB:
        return f"The ARGON2ID memory m={params.memory_cost} is over the limit of {ARGON2_MAX_MEMORY_KIB}."
    if params.time_cost > ARGON2_MAX_TIME:
        return f"The ARGON2ID iterations t={params.time_cost} are over the limit of {ARGON2_MAX_TIME}."
    if params.parallelism > ARGON2_MAX_PARALLELISM:
        limit = ARGON2_MAX_PARALLELISM
        return f"The ARGON2ID parallelism p={params.parallelism} is over the limit of {limit}."
    return None


def _verify_argon2(value: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(PasswordHasher().verify(value, password))
    except (VerificationError, InvalidHashError):
        return False


# ── PBKDF2_SHA256 ───────────────────────────────────────────────────────────────────────────────────


def _pbkdf2_problem(value: str) -> str | None:
    match = _PBKDF2.fullmatch(value)
    if not match or _ab64_decode(match.group(2)) is None or not _ab64_decode(match.group(3)):
        return "The password hash is not a valid PBKDF2_SHA256 hash ($pbkdf2-sha256$ROUNDS$salt$hash)."
    rounds = int(match.group(1))
    if not 1 <= rounds <= PBKDF2_MAX_ROUNDS:
        return f"The PBKDF2_SHA256 rounds {rounds} are over the limit of {PBKDF2_MAX_ROUNDS}."
    return None


def _verify_pbkdf2(value: str, secret: bytes) -> bool:
    _, _, rounds, salt_text, hash_text = value.split("$")
    salt, expected = _ab64_decode(salt_text), _ab64_decode(hash_text)
    if salt is None or not expected:
        return False
    derived = hashlib.pbkdf2_hmac("sha256", secret, salt, int(rounds), dklen=len(expected))
    return hmac.compare_digest(derived, expected)


def _ab64_decode(text: str) -> bytes | None:
    """passlib's "adapted base64": standard base64 with ``.`` for ``+`` and no padding."""
    try:
        return base64.b64decode(text.replace(".", "+") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
