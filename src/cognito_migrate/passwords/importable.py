"""Which legacy hashes Cognito's import jobs can take, in which column text, and why the others can't.

``cognito_import(hash)`` answers ``Importable(algorithm, value)`` — the job's
``PasswordHashingAlgorithm`` and the exact ``password_hash`` text, converted where a lossless
conversion exists (see ``convert``) — or ``NotImportable(reason)``, a sentence for the per-user report.
``trigger_can_verify(format)`` says which formats the migrate-user trigger verifies at sign-in instead:
the one table the planner and the trigger's verifier (issue 8) share.

Cognito's limits (botocore's model and the import guide; cognito-facts §1): BCRYPT ``$2a|b|x|y$``
cost ≤ 12; SCRYPT ``N$r$p$hexSalt$hexHash`` with N ≤ 65536 (a power of two), r ≤ 8, p ≤ 1;
ARGON2ID ``$argon2id$v=19$m=..,t=..,p=..$salt$hash`` with m ≤ 19456 KiB, t ≤ 2, p ≤ 1;
PBKDF2_SHA256 passlib's ``$pbkdf2-sha256$ROUNDS$salt$hash`` with ROUNDS ≤ 600,000.

Reasons name formats and parameters, never the hash itself. The checks are a dictionary lookup and one
anchored match or split per user: the planner calls this for every user of million-row sources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, NamedTuple

from cognito_migrate.passwords import convert
from cognito_migrate.passwords.convert import MalformedHash, Pbkdf2Hash, ScryptHash
from cognito_migrate.passwords.formats import HashFormat, detect_hash_format

if TYPE_CHECKING:  # importing sources at run time would pull in the configuration models (pydantic)
    from cognito_migrate.sources.records import PasswordHash

Algorithm = Literal["BCRYPT", "SCRYPT", "ARGON2ID", "PBKDF2_SHA256"]

BCRYPT_MAX_COST = 12
SCRYPT_MAX_N = 65536
SCRYPT_MAX_R = 8
SCRYPT_MAX_P = 1
ARGON2_MAX_MEMORY_KIB = 19456
ARGON2_MAX_TIME = 2
ARGON2_MAX_PARALLELISM = 1
PBKDF2_MAX_ROUNDS = 600_000


# NamedTuples rather than frozen dataclasses: as immutable, and half the cost to build (the planner
# builds one per user).
class Importable(NamedTuple):
    """A hash Cognito can import: the job's algorithm and the ``password_hash`` column's text.

    ``summary`` describes the hash for the report ("bcrypt hash within Cognito's limits (cost 10)");
    it never holds the hash.
    """

    algorithm: Algorithm
    value: str
    summary: str = ""

    def __repr__(self) -> str:  # the value is a secret: keep it out of logs and tracebacks
        return f"Importable(algorithm={self.algorithm!r}, summary={self.summary!r})"


class NotImportable(NamedTuple):
    reason: str  # a sentence naming the format and the limit, for the per-user report


# ── the trigger's table ────────────────────────────────────────────────────────────────────────────

F = HashFormat
TRIGGER_VERIFIES: frozenset[str] = frozenset({
    F.BCRYPT,  # passwords over 72 bytes included: bcrypt reads the first 72
    F.ARGON2,  # argon2id, argon2i and argon2d at any parameters
    F.DJANGO_PBKDF2_SHA256, F.DJANGO_PBKDF2_SHA1, F.DJANGO_BCRYPT, F.DJANGO_BCRYPT_SHA256,
    F.DJANGO_ARGON2, F.DJANGO_SCRYPT,
    F.WERKZEUG_PBKDF2, F.WERKZEUG_SCRYPT,
    F.PASSLIB_PBKDF2_SHA256, F.PASSLIB_PBKDF2_SHA1, F.PASSLIB_PBKDF2_SHA512,
    F.PHPASS, F.SHA256_CRYPT, F.SHA512_CRYPT, F.MD5_CRYPT,
    F.FIREBASE_SCRYPT,  # with the project's signer key, which `trigger deploy` hands the function
})  # fmt: skip
# Not here: yescrypt (no Python implementation without
# libcrypt), WordPress ≥ 6.8 and passlib bcrypt-sha256 pre-hashing, apr1, salted digests, PHC scrypt
# (libraries disagree on its salt), Cognito's own scrypt form, unknown formats.


def trigger_can_verify(format: str) -> bool:
    """True when the migrate-user trigger verifies hashes of this ``HashFormat`` value at sign-in."""
    return format in TRIGGER_VERIFIES


# ── what Cognito imports ───────────────────────────────────────────────────────────────────────────


def cognito_import(hash: PasswordHash) -> Importable | NotImportable:
    """Importable with the column text to write, or NotImportable with the reason, for one stored hash."""
    return _import_text(hash.format, hash.value)


def _import_text(fmt: str, value: str) -> Importable | NotImportable:
    check = _CHECKS.get(fmt)
    if check is None:
        return _NOT_IMPORTABLE.get(fmt) or NotImportable(f"{fmt} hashes cannot be imported by Cognito")
    try:
        return check(value.strip())
    except MalformedHash as exc:
        return _malformed(fmt, str(exc))


def cognito_import_all(values: Sequence[str]) -> list[tuple[str, Importable | NotImportable]]:
    """``(detect_hash_format(v), cognito_import(...))`` for many stored hash texts (already stripped).

    The common shape, bcrypt's ``$2?$NN$`` + 53 characters, is recognised with the very pattern
    ``_bcrypt`` parses (a text it matches is always ``HashFormat.BCRYPT``: tests/test_importable_hashes.py)
    and the cost's verdict is the cached one, so a million bcrypt users cost one match each; every other
    text goes through ``detect_hash_format`` and ``cognito_import``.
    """
    found: list[tuple[str, Importable | NotImportable]] = []
    verdict_of = _bcrypt_verdict
    for value, match in zip(values, map(_BCRYPT.fullmatch, values), strict=True):
        if match is None:
            fmt = detect_hash_format(value)
            found.append((fmt, _import_text(fmt, value)))
            continue
        verdict = verdict_of("bcrypt", match.group(1))
        found.append((F.BCRYPT, Importable("BCRYPT", value, verdict) if type(verdict) is str else verdict))  # type: ignore[arg-type]
    return found


# Each check parses one hash (per user), then asks a cached verdict function about its parameters: a
# summary string when Cognito takes them, a NotImportable when it doesn't. Users share parameters (a
# source has a handful of costs), so the sentences are built once, not once per user.
Verdict = str | NotImportable
_verdict_cache = lru_cache(maxsize=1024)

_BCRYPT = re.compile(r"\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}")


def _bcrypt(value: str, label: str = "bcrypt") -> Importable | NotImportable:
    match = _BCRYPT.fullmatch(value)
    if match is None:
        raise MalformedHash("not $2a|b|x|y$ with a two-digit cost and 53 characters")
    verdict = _bcrypt_verdict(label, match.group(1))
    return Importable("BCRYPT", value, verdict) if isinstance(verdict, str) else verdict


@_verdict_cache
def _bcrypt_verdict(label: str, cost_text: str) -> Verdict:
    cost = int(cost_text)
    if cost < 4:
        return _malformed(label, f"cost {cost} is below bcrypt's minimum of 4")
    if cost > BCRYPT_MAX_COST:
        return NotImportable(f"{label} cost {cost} is above Cognito's import limit of {BCRYPT_MAX_COST}")
    return f"{label} hash within Cognito's limits (cost {cost})"


def _django_bcrypt(value: str) -> Importable | NotImportable:
    # Django's plain "bcrypt" hasher hashes the password itself: the inner hash is an ordinary bcrypt.
    return _bcrypt(convert.unwrap_django_bcrypt(value), "Django bcrypt")


_ARGON2 = re.compile(
    r"\$argon2(id|i|d)\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)(,keyid=[^$]*)?(,data=[^$]*)?"
    r"\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)


def _argon2(value: str, label: str = "argon2") -> Importable | NotImportable:
    match = _ARGON2.fullmatch(value)
    if match is None:
        raise MalformedHash("not a PHC string $argon2id$v=..$m=..,t=..,p=..$salt$hash")
    variant, version, memory, time, parallelism, keyid, data = match.groups()
    verdict = _argon2_verdict(label, variant, version, bool(keyid or data), memory, time, parallelism)
    return Importable("ARGON2ID", value, verdict) if isinstance(verdict, str) else verdict


@_verdict_cache
def _argon2_verdict(
    label: str, variant: str, version: str | None, extra: bool, memory: str, time: str, parallelism: str
) -> Verdict:
    if variant != "id":
        return NotImportable(
            f"{label}{variant} hashes cannot be imported by Cognito (it imports argon2id only)"
        )
    # Hashes without "v=" are version 16 (0x10), the one before 19 (0x13).
    if version != "19":
        return NotImportable(
            f"{label}id version {version or 16} cannot be imported by Cognito (it imports version 19 only)"
        )
    if extra:
        return NotImportable(f"{label}id hashes with keyid or data parameters cannot be imported by Cognito")
    m, t, p = int(memory), int(time), int(parallelism)
    over = _over([
        (m, ARGON2_MAX_MEMORY_KIB, f"m={m}", f"{ARGON2_MAX_MEMORY_KIB} KiB"),
        (t, ARGON2_MAX_TIME, f"t={t}", str(ARGON2_MAX_TIME)),
        (p, ARGON2_MAX_PARALLELISM, f"p={p}", str(ARGON2_MAX_PARALLELISM)),
    ])  # fmt: skip
    if over:
        return NotImportable(f"{label}id {over}")
    return f"{label}id hash within Cognito's limits (m={m}, t={t}, p={p})"


def _django_argon2(value: str) -> Importable | NotImportable:
    # Django's argon2 hasher stores argon2-cffi's PHC string behind its own name: the rest is standard.
    return _argon2(convert.unwrap_django_argon2(value), "Django argon2")


def _pbkdf2(parsed: Pbkdf2Hash, label: str, original: str | None) -> Importable | NotImportable:
    """``original``: the text to import as is (already passlib's form); None to convert ``parsed``."""
    verdict = _pbkdf2_verdict(label, parsed.digest, parsed.rounds, original is None)
    if not isinstance(verdict, str):
        return verdict
    if len(parsed.checksum) != 32:  # passlib's form (and so Cognito's) holds exactly 32 bytes
        raise MalformedHash(f"a {len(parsed.checksum)}-byte key instead of 32")
    value = original if original is not None else convert.to_passlib_pbkdf2_sha256(parsed)
    return Importable("PBKDF2_SHA256", value, verdict)


@_verdict_cache
def _pbkdf2_verdict(label: str, digest: str, rounds: int | None, converted: bool) -> Verdict:
    if digest != "sha256":
        return NotImportable(
            f"{label} hashes with {digest.upper()} cannot be imported by Cognito "
            "(it imports PBKDF2 with SHA-256 only)"
        )
    if rounds is None:
        return NotImportable(
            f"{label} hashes without an iteration count cannot be imported: the count is the default of "
            "the Werkzeug release that wrote them, which the hash does not record"
        )
    if rounds > PBKDF2_MAX_ROUNDS:
        return NotImportable(
            f"{label} with {rounds:,} iterations is above Cognito's import limit of {PBKDF2_MAX_ROUNDS:,}"
        )
    summary = f"{label} hash within Cognito's limits ({rounds:,} iterations)"
    return f"{summary}, converted to passlib's form" if converted else summary


def _passlib_pbkdf2(value: str) -> Importable | NotImportable:
    return _pbkdf2(convert.parse_passlib_pbkdf2(value), "passlib pbkdf2-sha256", value)


def _django_pbkdf2(value: str) -> Importable | NotImportable:
    return _pbkdf2(convert.parse_django_pbkdf2(value), "Django pbkdf2_sha256", None)


def _werkzeug_pbkdf2(value: str) -> Importable | NotImportable:
    return _pbkdf2(convert.parse_werkzeug_pbkdf2(value), "Werkzeug pbkdf2", None)


def _scrypt(parsed: ScryptHash, label: str, original: str | None) -> Importable | NotImportable:
    """``original``: the text to import as is (already Cognito's form); None to convert ``parsed``."""
    verdict = _scrypt_verdict(label, parsed.n, parsed.r, parsed.p, original is None)
    if not isinstance(verdict, str):
        return verdict
    # UNVERIFIED against real Cognito: that it reads hexSalt as the salt's bytes (see convert).
    value = original if original is not None else convert.to_cognito_scrypt(parsed)
    return Importable("SCRYPT", value, verdict)


@_verdict_cache
def _scrypt_verdict(label: str, n: int, r: int, p: int, converted: bool) -> Verdict:
    if n < 2 or n & (n - 1):
        return NotImportable(f"{label} N={n} is not a power of two, which Cognito requires")
    over = _over([
        (n, SCRYPT_MAX_N, f"N={n}", str(SCRYPT_MAX_N)),
        (r, SCRYPT_MAX_R, f"r={r}", str(SCRYPT_MAX_R)),
        (p, SCRYPT_MAX_P, f"p={p}", str(SCRYPT_MAX_P)),
    ])  # fmt: skip
    if over:
        return NotImportable(f"{label} {over}")
    summary = f"{label} hash within Cognito's limits (N={n}, r={r}, p={p})"
    return f"{summary}, converted to Cognito's form" if converted else summary


def _werkzeug_scrypt(value: str) -> Importable | NotImportable:
    return _scrypt(convert.parse_werkzeug_scrypt(value), "Werkzeug scrypt", None)


def _django_scrypt(value: str) -> Importable | NotImportable:
    return _scrypt(convert.parse_django_scrypt(value), "Django scrypt", None)


def _cognito_scrypt(value: str) -> Importable | NotImportable:
    return _scrypt(convert.parse_cognito_scrypt(value), "scrypt", value)


def _over(checks: list[tuple[int, int, str, str]]) -> str:
    """ "m=65536 is above Cognito's limit of 19456 KiB, p=4 is above its limit of 1", or "" within limits."""
    texts, owner = [], "Cognito's"
    for value, maximum, shown, limit in checks:
        if value > maximum:
            texts.append(f"{shown} is above {owner} limit of {limit}")
            owner = "its"
    return ", ".join(texts)


def _malformed(label: str, detail: str) -> NotImportable:
    return NotImportable(f"the {label} hash is malformed ({detail}), so Cognito cannot import it")


_CHECKS: dict[str, Callable[[str], Importable | NotImportable]] = {
    F.BCRYPT: _bcrypt,
    F.DJANGO_BCRYPT: _django_bcrypt,
    F.ARGON2: _argon2,
    F.DJANGO_ARGON2: _django_argon2,
    F.PASSLIB_PBKDF2_SHA256: _passlib_pbkdf2,
    F.DJANGO_PBKDF2_SHA256: _django_pbkdf2,
    F.WERKZEUG_PBKDF2: _werkzeug_pbkdf2,
    F.WERKZEUG_SCRYPT: _werkzeug_scrypt,
    F.DJANGO_SCRYPT: _django_scrypt,
    F.COGNITO_SCRYPT: _cognito_scrypt,
}

# Formats Cognito never imports, with why (one object each: the planner meets them once per user).
_WHY: dict[str, str] = {
    F.DJANGO_BCRYPT_SHA256: "bcrypt over a SHA-256 of the password",
    F.PASSLIB_BCRYPT_SHA256: "bcrypt over a SHA-256 of the password",
    F.WORDPRESS_BCRYPT: "bcrypt over an HMAC-SHA384 of the password",
    F.DJANGO_PBKDF2_SHA1: "it imports PBKDF2 with SHA-256 only",
    F.PASSLIB_PBKDF2_SHA1: "it imports PBKDF2 with SHA-256 only",
    F.PASSLIB_PBKDF2_SHA512: "it imports PBKDF2 with SHA-256 only",
    F.SCRYPT_PHC: "libraries writing $scrypt$ strings disagree on how the salt is used",
    F.PHPASS: "it imports bcrypt, scrypt, argon2id and PBKDF2-SHA256 only",
    F.SHA512_CRYPT: "it imports bcrypt, scrypt, argon2id and PBKDF2-SHA256 only",
    F.SHA256_CRYPT: "it imports bcrypt, scrypt, argon2id and PBKDF2-SHA256 only",
    F.MD5_CRYPT: "it imports bcrypt, scrypt, argon2id and PBKDF2-SHA256 only",
    F.APR1_MD5_CRYPT: "it imports bcrypt, scrypt, argon2id and PBKDF2-SHA256 only",
    F.YESCRYPT: "it imports bcrypt, scrypt, argon2id and PBKDF2-SHA256 only",
    F.SALTED_DIGEST: "a single salted digest, not a password hash Cognito knows",
    F.FIREBASE_SCRYPT: "Firebase's scrypt adds an AES step with the project's signer key",
}
_NOT_IMPORTABLE: dict[str, NotImportable] = {
    fmt: NotImportable(f"{fmt} hashes cannot be imported by Cognito ({why})") for fmt, why in _WHY.items()
}
_NOT_IMPORTABLE[F.UNKNOWN] = NotImportable(
    "the password hash is in no format this tool recognises, so Cognito cannot import it"
)
