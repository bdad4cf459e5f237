"""Which scheme produced a stored password hash, recognised from its shape alone.

The format decides a user's path: Cognito imports bcrypt, scrypt, argon2id and passlib-style
pbkdf2-sha256 within limits; the migrate-user trigger can verify the rest; an unknown format means the
user resets their password. Detection never verifies anything and never logs the value.

Shapes, as the libraries write them (checked against their code and published test vectors):

- bcrypt (pyca, PHP ``password_hash``, NativeAuthenticator, Rails): ``$2b$12$`` + 22 salt + 31 hash
  characters; WordPress ≥ 6.8 puts ``$wp`` in front of a bcrypt of an HMAC-SHA384 of the password.
- argon2 (argon2-cffi, PHC string): ``$argon2id$v=19$m=65536,t=3,p=4$salt$hash`` (``v=`` absent in old
  hashes); Django prefixes its own ``argon2``: ``argon2$argon2id$v=19$...``.
- Django (``contrib/auth/hashers.py``): ``pbkdf2_sha256$870000$salt$base64``, ``pbkdf2_sha1$…``,
  ``bcrypt_sha256$$2b$…`` (bcrypt over the hex SHA-256 of the password), ``bcrypt$$2b$…``, and
  ``scrypt$16384$salt$8$1$base64`` (N comes before the salt, r and p after it).
- Werkzeug (``security.py``): ``pbkdf2:sha256:1000000$salt$hex`` (3.1; 600,000 in 2.3–3.0, 260,000 in
  2.0–2.2) and ``scrypt:32768:8:1$salt$hex`` (the default since 3.0).
- passlib / libpass: ``$pbkdf2-sha256$29000$ab64salt$ab64hash`` (and ``$pbkdf2$`` for SHA-1,
  ``$pbkdf2-sha512$``), ``$bcrypt-sha256$v=2,t=2b,r=12$salt$hash``, and the PHC scrypt string
  ``$scrypt$ln=16,r=8,p=1$salt$hash`` that other libraries write too.
- Cognito's own SCRYPT import form: ``N$r$p$hexSalt$hexHash``.
- phpass (WordPress < 6.8, phpBB): ``$P$`` or ``$H$`` + 31 characters.
- crypt(3) family (``/etc/shadow``, LDAP ``userPassword`` without its ``{CRYPT}`` prefix): ``$6$``
  sha512-crypt and ``$5$`` sha256-crypt (optionally ``rounds=N$``, salt up to 16 characters), ``$1$``
  md5-crypt and Apache's ``$apr1$`` (salt up to 8), ``$y$`` yescrypt (Debian 11+, Fedora 35+).
- Salted hex digests ``sha1$salt$hex`` / ``md5$salt$hex`` and friends: Django's old SHA1/MD5 hashers
  (digest of salt + password; an empty salt is Django's "unsalted" variant) and Werkzeug < 2.3's
  ``<digest>$salt$hex`` (an HMAC keyed with the salt) share one shape, so they share one format and a
  verifier must try both constructions.

- Firebase's modified scrypt, in this tool's own notation (``firebase.py`` builds it from an Authentication
  export's ``passwordHash`` and ``salt`` and the project's hash parameters):
  ``$firebase-scrypt$r=ROUNDS,m=MEM_COST,s=B64_SALT_SEPARATOR$B64_SALT$B64_HASH``. The project's signer
  key is not in it: the trigger gets that key from a secret (``trigger deploy``).

Not recognisable from a single value: Firebase's export as such (separate hash and salt fields), bare hex
digests (an unsalted MD5 looks like any other 32
hex characters), DES crypt (13 characters of any text), Django's unusable passwords (``!`` + random).
These are ``UNKNOWN``, as is anything truncated, padded or otherwise near a known shape.
"""

from __future__ import annotations

import re
from enum import StrEnum


class HashFormat(StrEnum):
    BCRYPT = "bcrypt"  # $2a$ $2b$ $2x$ $2y$ (NativeAuthenticator, PHP password_hash, Rails)
    WORDPRESS_BCRYPT = "wordpress-bcrypt"  # $wp$2y$... (WordPress >= 6.8: bcrypt of HMAC-SHA384)
    ARGON2 = "argon2"  # $argon2id$ / $argon2i$ / $argon2d$ (PHC string)
    DJANGO_PBKDF2_SHA256 = "django-pbkdf2-sha256"  # pbkdf2_sha256$iterations$salt$b64
    DJANGO_PBKDF2_SHA1 = "django-pbkdf2-sha1"
    DJANGO_ARGON2 = "django-argon2"  # argon2$argon2id$...
    DJANGO_BCRYPT_SHA256 = "django-bcrypt-sha256"  # bcrypt_sha256$$2b$...
    DJANGO_BCRYPT = "django-bcrypt"  # bcrypt$$2b$...
    DJANGO_SCRYPT = "django-scrypt"  # scrypt$n$salt$r$p$b64 (Django >= 4)
    WERKZEUG_PBKDF2 = "werkzeug-pbkdf2"  # pbkdf2:sha256:iterations$salt$hex
    WERKZEUG_SCRYPT = "werkzeug-scrypt"  # scrypt:n:r:p$salt$hex
    PASSLIB_PBKDF2_SHA1 = "passlib-pbkdf2-sha1"  # $pbkdf2$rounds$ab64salt$ab64hash
    PASSLIB_PBKDF2_SHA256 = "passlib-pbkdf2-sha256"  # $pbkdf2-sha256$rounds$ab64salt$ab64hash
    PASSLIB_PBKDF2_SHA512 = "passlib-pbkdf2-sha512"
    PASSLIB_BCRYPT_SHA256 = "passlib-bcrypt-sha256"  # $bcrypt-sha256$v=2,t=2b,r=12$salt$hash
    SCRYPT_PHC = "scrypt-phc"  # $scrypt$ln=16,r=8,p=1$salt$hash (passlib and others)
    COGNITO_SCRYPT = "cognito-scrypt"  # N$r$p$hexSalt$hexHash, the form Cognito's SCRYPT import reads
    PHPASS = "phpass"  # $P$ / $H$ (WordPress < 6.8, phpBB)
    SHA512_CRYPT = "sha512-crypt"  # $6$
    SHA256_CRYPT = "sha256-crypt"  # $5$
    MD5_CRYPT = "md5-crypt"  # $1$
    APR1_MD5_CRYPT = "apr1-md5-crypt"  # $apr1$ (Apache htpasswd)
    YESCRYPT = "yescrypt"  # $y$ (current Linux /etc/shadow)
    FIREBASE_SCRYPT = "firebase-scrypt"  # $firebase-scrypt$r=8,m=14,s=sep$salt$hash (this tool's notation)
    SALTED_DIGEST = "salted-digest"  # sha1$salt$hex: Django's SHA1/MD5 hashers or Werkzeug < 2.3
    UNKNOWN = "unknown"


_B64 = r"[A-Za-z0-9+/]"  # standard base64 alphabet (PHC strings drop the padding)
_PADDED_B64 = _B64 + r"+={0,2}"  # Django's base64 keeps the padding
_AB64 = r"[./A-Za-z0-9]"  # passlib's "adapted" base64 and the crypt(3) alphabet
_COUNT = r"[1-9]\d*"  # iterations as the libraries write them: no sign, no leading zero
_BCRYPT_BODY = rf"\$2[abxy]\$\d\d\${_AB64}{{53}}"
_ARGON2_BODY = (
    rf"\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+(?:,keyid={_B64}+)?(?:,data={_B64}+)?"
    rf"\${_B64}+\${_B64}+"
)
_SCRYPT_PARAMS = r"(?:ln|r|p)=\d+,(?:ln|r|p)=\d+,(?:ln|r|p)=\d+"


def _passlib_pbkdf2(name: str, checksum_length: int) -> str:
    return rf"\${name}\${_COUNT}\${_AB64}*\${_AB64}{{{checksum_length}}}"


# Each shape is keyed by the hash's identifier (the text between the first two "$" of a modular-crypt
# string, or the text before the first "$" or ":" otherwise), so detection costs one dictionary lookup
# and one or two anchored matches: sources call it once per user on million-row tables.
_SHAPES: tuple[tuple[HashFormat, tuple[str, ...], str], ...] = (
    (HashFormat.BCRYPT, ("$2a$", "$2b$", "$2x$", "$2y$"), _BCRYPT_BODY),
    (HashFormat.WORDPRESS_BCRYPT, ("$wp$",), r"\$wp" + _BCRYPT_BODY),
    (HashFormat.ARGON2, ("$argon2id$", "$argon2i$", "$argon2d$"), _ARGON2_BODY),
    (HashFormat.DJANGO_PBKDF2_SHA256, ("pbkdf2_sha256",), rf"pbkdf2_sha256\${_COUNT}\$[^$]+\${_PADDED_B64}"),
    (HashFormat.DJANGO_PBKDF2_SHA1, ("pbkdf2_sha1",), rf"pbkdf2_sha1\${_COUNT}\$[^$]+\${_PADDED_B64}"),
    (HashFormat.DJANGO_ARGON2, ("argon2",), "argon2" + _ARGON2_BODY),
    (HashFormat.DJANGO_BCRYPT_SHA256, ("bcrypt_sha256",), r"bcrypt_sha256\$" + _BCRYPT_BODY),
    (HashFormat.DJANGO_BCRYPT, ("bcrypt",), r"bcrypt\$" + _BCRYPT_BODY),
    (HashFormat.DJANGO_SCRYPT, ("scrypt",), rf"scrypt\${_COUNT}\$[^$]+\${_COUNT}\${_COUNT}\${_PADDED_B64}"),
    (HashFormat.WERKZEUG_PBKDF2, ("pbkdf2",), rf"pbkdf2:[a-z0-9_]+(?::{_COUNT})?\$[^$]+\$[0-9a-f]+"),
    (HashFormat.WERKZEUG_SCRYPT, ("scrypt",), rf"scrypt(?::{_COUNT}:{_COUNT}:{_COUNT})?\$[^$]+\$[0-9a-f]+"),
    (HashFormat.PASSLIB_PBKDF2_SHA1, ("$pbkdf2$",), _passlib_pbkdf2("pbkdf2", 27)),
    (HashFormat.PASSLIB_PBKDF2_SHA256, ("$pbkdf2-sha256$",), _passlib_pbkdf2("pbkdf2-sha256", 43)),
    (HashFormat.PASSLIB_PBKDF2_SHA512, ("$pbkdf2-sha512$",), _passlib_pbkdf2("pbkdf2-sha512", 86)),
    (
        HashFormat.PASSLIB_BCRYPT_SHA256,
        ("$bcrypt-sha256$",),
        rf"\$bcrypt-sha256\$(?:v=2,t=2[ab],r=\d{{1,2}}|2[ab],\d{{1,2}})\${_AB64}{{22}}\${_AB64}{{31}}",
    ),
    (HashFormat.SCRYPT_PHC, ("$scrypt$",), rf"\$scrypt\${_SCRYPT_PARAMS}\${_PADDED_B64}\${_PADDED_B64}"),
    (HashFormat.PHPASS, ("$P$", "$H$"), rf"\$[PH]\${_AB64}{{31}}"),
    (HashFormat.SHA512_CRYPT, ("$6$",), rf"\$6\$(?:rounds={_COUNT}\$)?[^$:\s]{{0,16}}\${_AB64}{{86}}"),
    (HashFormat.SHA256_CRYPT, ("$5$",), rf"\$5\$(?:rounds={_COUNT}\$)?[^$:\s]{{0,16}}\${_AB64}{{43}}"),
    (HashFormat.MD5_CRYPT, ("$1$",), rf"\$1\$[^$:\s]{{0,8}}\${_AB64}{{22}}"),
    (HashFormat.APR1_MD5_CRYPT, ("$apr1$",), rf"\$apr1\$[^$:\s]{{0,8}}\${_AB64}{{22}}"),
    (HashFormat.YESCRYPT, ("$y$",), rf"\$y\${_AB64}+\${_AB64}*\${_AB64}{{43}}"),
    (
        HashFormat.FIREBASE_SCRYPT,
        ("$firebase-scrypt$",),
        rf"\$firebase-scrypt\$r={_COUNT},m={_COUNT},s={_PADDED_B64}\${_PADDED_B64}\${_PADDED_B64}",
    ),
    (
        HashFormat.SALTED_DIGEST,
        ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"),
        r"md5\$[^$]*\$[0-9a-f]{32}|sha1\$[^$]*\$[0-9a-f]{40}|sha224\$[^$]*\$[0-9a-f]{56}"
        r"|sha256\$[^$]*\$[0-9a-f]{64}|sha384\$[^$]*\$[0-9a-f]{96}|sha512\$[^$]*\$[0-9a-f]{128}",
    ),
)


def _index() -> dict[str, tuple[tuple[HashFormat, re.Pattern[str]], ...]]:
    index: dict[str, list[tuple[HashFormat, re.Pattern[str]]]] = {}
    for fmt, keys, pattern in _SHAPES:
        compiled = re.compile(f"(?:{pattern})")
        for key in keys:
            index.setdefault(key, []).append((fmt, compiled))
    return {key: tuple(shapes) for key, shapes in index.items()}


_BY_IDENTIFIER = _index()
_COGNITO_SCRYPT = re.compile(r"\d+\$\d+\$\d+\$(?:[0-9a-fA-F]{2})+\$(?:[0-9a-fA-F]{2})+")
_PLAIN_IDENTIFIER = re.compile(r"[a-z0-9_]+")


def detect_hash_format(value: str | bytes | bytearray | memoryview | None) -> HashFormat:
    """The format of a stored hash (bytes are decoded as ASCII, as NativeAuthenticator stores them).

    Surrounding whitespace is ignored (CHAR columns pad with spaces); anything else that is not exactly
    one of the shapes in this module's docstring is ``UNKNOWN``.
    """
    if value is None:
        return HashFormat.UNKNOWN
    if not isinstance(value, str):
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            return HashFormat.UNKNOWN
    text = value.strip()
    if text.startswith("$"):
        end = text.find("$", 1)
        # "$2b$", "$argon2id$", "$pbkdf2-sha256$", and "$wp$" for WordPress's "$wp" + "$2y$..."
        identifier = text[: end + 1] if end > 0 else ""
    else:
        match = _PLAIN_IDENTIFIER.match(text)
        identifier = match.group() if match else ""
        if identifier.isdigit():
            return HashFormat.COGNITO_SCRYPT if _COGNITO_SCRYPT.fullmatch(text) else HashFormat.UNKNOWN
    for fmt, pattern in _BY_IDENTIFIER.get(identifier, ()):
        if pattern.fullmatch(text):
            return fmt
    return HashFormat.UNKNOWN
