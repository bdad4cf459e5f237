"""Lossless rewrites of legacy password hashes into the forms Cognito's import jobs read.

A rewrite changes only the notation, never the computation: the same password, salt bytes, cost and
derived key, so the converted hash verifies exactly the passwords the original did. Each parser returns
the neutral parameters (``Pbkdf2Hash``, ``ScryptHash``); each renderer writes one of Cognito's forms.

How the libraries compute (read from their code):

- Django ``pbkdf2_sha256$ITERATIONS$SALT$B64``: ``pbkdf2_hmac(sha256, password, SALT.encode(), it)``
  with the salt *text* as bytes and standard, padded base64 of the 32-byte key.
- Werkzeug ``pbkdf2:DIGEST:ITERATIONS$SALT$HEX``: the same, hex-encoded; without ``:ITERATIONS`` it
  uses its release's default (260,000 / 600,000 / 1,000,000), which the hash does not record.
- passlib ``$pbkdf2-sha256$ROUNDS$AB64SALT$AB64KEY``: raw salt bytes; "adapted base64" is standard
  base64 with ``.`` for ``+`` and no padding. This is Cognito's PBKDF2_SHA256 form.
- Werkzeug ``scrypt:N:R:P$SALT$HEX`` (``scrypt$SALT$HEX`` means 32768, 8, 1) and Django
  ``scrypt$N$SALT$R$P$B64``: ``hashlib.scrypt(password, salt=SALT.encode(), dklen=64)``.
- Cognito's SCRYPT form ``N$r$p$hexSalt$hexHash``. UNVERIFIED: that Cognito hashes with the *decoded*
  salt bytes (the local emulator does; the name "hexSalt" suggests it). If Cognito instead used the hex
  text itself, every converted scrypt hash would fail at sign-in: ``to_cognito_scrypt`` is the one place
  to change.
"""

from __future__ import annotations

import binascii
from typing import NamedTuple

WERKZEUG_SCRYPT_DEFAULTS = (32768, 8, 1)  # what Werkzeug reads from a bare "scrypt$salt$hex"


class MalformedHash(ValueError):
    """The hash has its format's shape but not valid content (bad base64, absurd numbers)."""


# NamedTuples, not frozen dataclasses: a frozen dataclass costs twice as much to build, and the
# planner builds one per user of million-row sources.
class Pbkdf2Hash(NamedTuple):
    digest: str  # hashlib's name: "sha256", "sha1", "sha512"
    rounds: int | None  # None: not recorded in the hash (Werkzeug then uses its release's default)
    salt: bytes = b""
    checksum: bytes = b""


class ScryptHash(NamedTuple):
    n: int
    r: int
    p: int
    salt: bytes = b""
    checksum: bytes = b""


class FirebaseScryptHash(NamedTuple):
    """Firebase's modified scrypt (github.com/firebase/scrypt): scrypt of the password with the user's
    salt followed by the project's salt separator (N = 2**mem_cost, r = rounds, p = 1, 32 bytes), used
    as an AES-256-CTR key (zero IV) to encrypt the project's signer key; the ciphertext is the hash."""

    rounds: int
    mem_cost: int
    salt_separator: bytes
    salt: bytes
    checksum: bytes


# ── encodings ──────────────────────────────────────────────────────────────────────────────────────


# binascii rather than base64: the same codec without base64's wrappers, a third faster per user.
def ab64_encode(raw: bytes) -> str:
    """passlib's adapted base64: standard base64 with ``.`` for ``+`` and no ``=`` padding."""
    return binascii.b2a_base64(raw, newline=False).decode("ascii").rstrip("=").replace("+", ".")


def ab64_decode(text: str) -> bytes:
    return _b64(text.replace(".", "+") + "=" * (-len(text) % 4))


def _b64(text: str) -> bytes:
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedHash("not valid base64") from exc


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise MalformedHash("not valid hexadecimal") from exc


def _count(text: str) -> int:
    # Python refuses int() of more than 4,300 digits with ValueError; no real cost is that long.
    try:
        value = int(text)
    except ValueError as exc:
        raise MalformedHash("not a number") from exc
    if value < 1:
        raise MalformedHash("a cost below 1")
    return value


def _fields(value: str, count: int) -> list[str]:
    parts = value.split("$")
    if len(parts) != count:
        raise MalformedHash(f"{len(parts)} $-separated fields instead of {count}")
    return parts


# ── PBKDF2 ─────────────────────────────────────────────────────────────────────────────────────────


def parse_django_pbkdf2(value: str) -> Pbkdf2Hash:
    """``pbkdf2_sha256$it$salt$b64`` (or ``pbkdf2_sha1$…``)."""
    algorithm, rounds, salt, checksum = _fields(value, 4)
    if not algorithm.startswith("pbkdf2_"):
        raise MalformedHash("not a Django pbkdf2 hash")
    return Pbkdf2Hash(algorithm.removeprefix("pbkdf2_"), _count(rounds), salt.encode(), _b64(checksum))


def parse_werkzeug_pbkdf2(value: str) -> Pbkdf2Hash:
    """``pbkdf2:sha256:600000$salt$hex``; ``pbkdf2:sha256$salt$hex`` has no recorded iteration count."""
    method, salt, checksum = _fields(value, 3)
    name, *args = method.split(":")
    if name != "pbkdf2" or not 1 <= len(args) <= 2:
        raise MalformedHash("not a Werkzeug pbkdf2 hash")
    rounds = _count(args[1]) if len(args) == 2 else None
    return Pbkdf2Hash(args[0], rounds, salt.encode(), _hex(checksum))


def parse_passlib_pbkdf2(value: str) -> Pbkdf2Hash:
    """``$pbkdf2-sha256$rounds$ab64salt$ab64checksum`` (also ``$pbkdf2$`` = SHA-1, ``$pbkdf2-sha512$``)."""
    _, ident, rounds, salt, checksum = _fields(value, 5)
    digest = ident.removeprefix("pbkdf2-") if ident != "pbkdf2" else "sha1"
    return Pbkdf2Hash(digest, _count(rounds), ab64_decode(salt), ab64_decode(checksum))


def to_passlib_pbkdf2_sha256(parsed: Pbkdf2Hash) -> str:
    """Cognito's PBKDF2_SHA256 form, exactly as passlib writes it."""
    if parsed.digest != "sha256" or parsed.rounds is None:
        raise MalformedHash("only PBKDF2-SHA256 with a recorded iteration count has a passlib form")
    return f"$pbkdf2-sha256${parsed.rounds}${ab64_encode(parsed.salt)}${ab64_encode(parsed.checksum)}"


# ── scrypt ─────────────────────────────────────────────────────────────────────────────────────────


def parse_werkzeug_scrypt(value: str) -> ScryptHash:
    """``scrypt:32768:8:1$salt$hex``; a bare ``scrypt$salt$hex`` means Werkzeug's fixed defaults."""
    method, salt, checksum = _fields(value, 3)
    name, *args = method.split(":")
    if name != "scrypt" or len(args) not in (0, 3):
        raise MalformedHash("not a Werkzeug scrypt hash")
    n, r, p = (_count(arg) for arg in args) if args else WERKZEUG_SCRYPT_DEFAULTS
    return ScryptHash(n, r, p, salt.encode(), _hex(checksum))


def parse_django_scrypt(value: str) -> ScryptHash:
    """``scrypt$N$salt$r$p$b64``: Django puts N before the salt, r and p after it."""
    name, n, salt, r, p, checksum = _fields(value, 6)
    if name != "scrypt":
        raise MalformedHash("not a Django scrypt hash")
    return ScryptHash(_count(n), _count(r), _count(p), salt.encode(), _b64(checksum))


def parse_cognito_scrypt(value: str) -> ScryptHash:
    """Cognito's own ``N$r$p$hexSalt$hexHash``."""
    n, r, p, salt, checksum = _fields(value, 5)
    return ScryptHash(_count(n), _count(r), _count(p), _hex(salt), _hex(checksum))


def to_cognito_scrypt(parsed: ScryptHash) -> str:
    """Cognito's SCRYPT form; the salt bytes are written as hex (see the module docstring: UNVERIFIED)."""
    return f"{parsed.n}${parsed.r}${parsed.p}${parsed.salt.hex()}${parsed.checksum.hex()}"


# ── wrappers Django puts around other libraries' hashes ────────────────────────────────────────────


def unwrap_django_bcrypt(value: str) -> str:
    """``bcrypt$$2b$…`` → ``$2b$…``: Django's ``bcrypt`` hasher runs bcrypt on the password itself.

    Not for ``bcrypt_sha256$…``: that one hashes the hex SHA-256 of the password, which Cognito can't.
    """
    if not value.startswith("bcrypt$$"):
        raise MalformedHash("not a Django bcrypt hash")
    return value.removeprefix("bcrypt$")


def unwrap_django_argon2(value: str) -> str:
    """``argon2$argon2id$…`` → ``$argon2id$…``: Django prefixes argon2-cffi's PHC string with its name."""
    if not value.startswith("argon2$argon2"):
        raise MalformedHash("not a Django argon2 hash")
    return value.removeprefix("argon2")


# ── Firebase ───────────────────────────────────────────────────────────────────────────────────────

FIREBASE_SCRYPT_PREFIX = "$firebase-scrypt$"


def firebase_scrypt_hash(
    password_hash: str, salt: str, *, rounds: int, mem_cost: int, salt_separator: str
) -> str:
    """This tool's one-string notation of a Firebase hash (``formats``), from an Authentication export's
    ``passwordHash`` and ``salt`` (base64) and the project's parameters; MalformedHash if not base64."""
    for name, value in (("passwordHash", password_hash), ("salt", salt), ("salt separator", salt_separator)):
        _b64_decode(name, value)
    return f"{FIREBASE_SCRYPT_PREFIX}r={rounds},m={mem_cost},s={salt_separator}${salt}${password_hash}"


def parse_firebase_scrypt(value: str) -> FirebaseScryptHash:
    """``$firebase-scrypt$r=8,m=14,s=SEP$SALT$HASH`` → its parts."""
    try:
        params, salt, checksum = value.removeprefix(FIREBASE_SCRYPT_PREFIX).split("$")
        rounds, mem_cost, separator = (part.split("=", 1)[1] for part in params.split(",", 2))
    except ValueError as exc:
        raise MalformedHash("not $firebase-scrypt$r=…,m=…,s=…$salt$hash") from exc
    return FirebaseScryptHash(
        rounds=int(rounds),
        mem_cost=int(mem_cost),
        salt_separator=_b64_decode("salt separator", separator),
        salt=_b64_decode("salt", salt),
        checksum=_b64_decode("hash", checksum),
    )


def _b64_decode(name: str, value: str) -> bytes:
    # Firebase exports write standard base64; some tools re-encode it URL-safe.
    try:
        return binascii.a2b_base64(value.replace("-", "+").replace("_", "/"), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedHash(f"the {name} is not base64") from exc
