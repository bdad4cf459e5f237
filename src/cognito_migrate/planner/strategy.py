"""How each user moves to Cognito, and what happens to their password: a pure decision with its reason.

``choose_strategy(user, method=..., without_hash=..., importable=...)`` returns a ``Decision``:

- ``strategy``: ``csv-import`` (an import job), ``admin`` (AdminCreateUser) or ``jit`` (the
  migrate-user trigger moves the user at their first sign-in; a sweep takes the stragglers later);
- ``password``: ``hash`` (imported with the legacy hash: the user keeps the password),
  ``reset-required`` (nobody knows a password: the user resets by email), ``temporary`` or
  ``permanent`` (the tool generates one and writes it to the 0600 credentials file), ``jit`` (the
  trigger checks the typed password against the legacy hash);
- ``algorithm``: the import job's ``PasswordHashingAlgorithm`` when ``password == "hash"``, else None;
  the column text itself is ``Importable.value``, which the planner already holds;
- ``reason``: one sentence for the per-user report. It names formats and limits, never a hash.

``method = "auto"`` (issue 5, item 2): a hash within Cognito's import limits → csv-import with the hash
(one job per algorithm); a hash only the trigger can verify → jit; no usable hash → ``without_hash``:
``reset-required`` → csv-import without a hash, ``temporary-password`` / ``permanent-password`` → admin.

Decisions made here, and why:

- ``permanent-password`` means a *generated* permanent password: no source supplies clear-text
  passwords, so there is nothing else to set. The user is CONFIRMED and the operator hands the password
  over from the credentials file; unlike a temporary one it does not expire after
  TemporaryPasswordValidityDays.
- A disabled user is migrated like any other and disabled afterwards (AdminDisableUser). The trigger
  never migrates a disabled user (they cannot sign in), so such a user with a hash only the trigger can
  verify falls back to ``without_hash`` instead of waiting for a sign-in that never comes.
- Forced methods stay forced where they can: ``csv-import`` imports the hash if Cognito can, else
  RESET_REQUIRED (an import job cannot set passwords, so ``without_hash`` temporary/permanent does not
  apply); ``admin`` never uses a hash (Cognito has no admin call that takes one): the user gets
  ``without_hash``'s password, and ``reset-required`` under admin means a random password nobody is
  told, so forgot-password works (a FORCE_CHANGE_PASSWORD user cannot use it); ``jit`` moves every user
  the trigger can verify and sends the rest to ``without_hash``, even when their hash is importable
  (an operator forcing jit may have a pool without hash import).

Decisions are interned: users alike in method, hash format, parameters and enabled flag share one
``Decision`` object, so a million users cost a cache lookup each, not a million reason strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from cognito_migrate.passwords.importable import Importable, NotImportable, cognito_import, trigger_can_verify

if TYPE_CHECKING:  # importing sources at run time would pull in the configuration models (pydantic)
    from cognito_migrate.sources.records import LegacyUser

Strategy = Literal["csv-import", "admin", "jit"]
PasswordHandling = Literal["hash", "reset-required", "temporary", "permanent", "jit"]

METHODS = ("auto", "csv-import", "admin", "jit")
WITHOUT_HASH = ("reset-required", "temporary-password", "permanent-password")


@dataclass(frozen=True, slots=True)
class Decision:
    strategy: Strategy
    password: PasswordHandling
    algorithm: str | None  # BCRYPT, SCRYPT, ARGON2ID or PBKDF2_SHA256 when password == "hash"
    reason: str


def choose_strategy(
    user: LegacyUser,
    *,
    method: str,
    without_hash: str,
    importable: Importable | NotImportable | None = None,
) -> Decision:
    """The strategy and password handling for one user, with the reason the report shows.

    ``importable`` is ``cognito_import(user.password_hash)`` when the caller has it already (the
    planner needs the value for the CSV anyway); None computes it here. Raises ValueError for a
    ``method`` or ``without_hash`` that is not one of ``METHODS`` / ``WITHOUT_HASH``.
    """
    stored = user.password_hash
    if importable is None and stored is not None:
        importable = cognito_import(stored)
    fmt = stored.format if stored is not None else None
    return choose_for_format(
        fmt, user.enabled, method=method, without_hash=without_hash, importable=importable
    )


def choose_for_format(
    fmt: str | None,
    enabled: bool,
    *,
    method: str,
    without_hash: str,
    importable: Importable | NotImportable | None,
) -> Decision:
    """``choose_strategy`` for a hash of format ``fmt`` whose ``cognito_import`` is ``importable`` (both
    None: no hash), for callers that hold no ``LegacyUser`` (the batch planner)."""
    if isinstance(importable, Importable):
        return _decide(method, without_hash, enabled, fmt, importable.algorithm, importable.summary)
    why = importable.reason if importable is not None else None
    return _decide(method, without_hash, enabled, fmt, None, why)


# ── the rules, cached per distinct input ───────────────────────────────────────────────────────────

# without_hash → what a user without a usable hash gets, by the path that can give it.
_FALLBACK: dict[str, tuple[Strategy, PasswordHandling]] = {
    "reset-required": ("csv-import", "reset-required"),
    "temporary-password": ("admin", "temporary"),
    "permanent-password": ("admin", "permanent"),
}
_OUTCOME: dict[tuple[Strategy, PasswordHandling], str] = {
    ("csv-import", "reset-required"): "imported RESET_REQUIRED, the user resets by email",
    ("admin", "reset-required"): (
        "created with the admin API and a random password nobody is told, the user resets by email"
    ),
    ("admin", "temporary"): (
        "created with the admin API and a generated temporary password (in the credentials file) "
        "that the user must change at first sign-in"
    ),
    ("admin", "permanent"): (
        "created with the admin API and a generated permanent password (in the credentials file) "
        "for you to hand over"
    ),
}
_KEPT = "imported, the user keeps the password"
_JIT = "migrated just in time, the user keeps the password"
_DISABLED = {
    "csv-import": "; disabled in the source, so disabled after the import",
    "admin": "; disabled in the source, so disabled after creation",
}


@lru_cache(maxsize=4096)
def _decide(
    method: str, without_hash: str, enabled: bool, fmt: str | None, algorithm: str | None, detail: str | None
) -> Decision:
    """``algorithm`` set: importable, ``detail`` is its summary. Else ``detail`` is why not (or None)."""
    if method not in METHODS:
        raise ValueError(f"unknown strategy method {method!r}: expected one of {', '.join(METHODS)}")
    if without_hash not in WITHOUT_HASH:
        raise ValueError(f"unknown without_hash {without_hash!r}: expected one of {', '.join(WITHOUT_HASH)}")
    verifiable = fmt is not None and trigger_can_verify(fmt)

    if algorithm is not None and method in ("auto", "csv-import"):
        summary = detail or f"{algorithm} hash within Cognito's limits"
        return _made("csv-import", "hash", algorithm, f"{summary}: {_KEPT}", enabled)

    why = detail or (f"{fmt} hashes cannot be imported by Cognito" if fmt else None)
    unusable = (
        f"no usable password hash ({why}; the migrate-user trigger cannot verify it either)"
        if why
        else "no usable password hash (the source has none)"
    )
    if method == "auto":
        if verifiable and enabled:
            trigger = "the migrate-user trigger verifies it at the user's first sign-in"
            return Decision("jit", "jit", None, f"{why}; {trigger}: {_JIT}")
        if verifiable:
            prefix = f"{why}; the migrate-user trigger could verify it, but a disabled user never signs in"
            return _fallback(without_hash, prefix, enabled)
        return _fallback(without_hash, unusable, enabled)

    if method == "csv-import":
        prefix = f"{why}; method auto would let the migrate-user trigger keep it" if verifiable else unusable
        if without_hash != "reset-required":
            prefix += f"; an import job cannot set passwords, so without_hash = {without_hash} does not apply"
        return _fallback("reset-required", prefix, enabled)

    if method == "admin":
        usable = algorithm is not None or verifiable
        dropped = f"this user's {fmt or algorithm} hash is not used"
        prefix = f"Cognito's admin API cannot set a password hash, so {dropped}" if usable else unusable
        _, password = _FALLBACK[without_hash]
        return _made("admin", password, None, f"{prefix}: {_OUTCOME['admin', password]}", enabled)

    # method == "jit"
    if verifiable and enabled:
        trigger = f"the migrate-user trigger verifies this user's {fmt} hash at their first sign-in"
        return Decision("jit", "jit", None, f"method jit: {trigger}: {_JIT}")
    if verifiable:
        prefix = "method jit, but a disabled user never signs in for the migrate-user trigger to migrate them"
    elif fmt:
        prefix = f"method jit, but the migrate-user trigger cannot verify this user's {fmt} hash"
    else:
        prefix = "method jit, but the user has no password hash for the migrate-user trigger to verify"
    return _fallback(without_hash, prefix, enabled)


def _fallback(without_hash: str, prefix: str, enabled: bool) -> Decision:
    strategy, password = _FALLBACK[without_hash]
    return _made(strategy, password, None, f"{prefix}: {_OUTCOME[strategy, password]}", enabled)


def _made(
    strategy: Strategy, password: PasswordHandling, algorithm: str | None, reason: str, enabled: bool
) -> Decision:
    return Decision(strategy, password, algorithm, reason if enabled else reason + _DISABLED[strategy])
