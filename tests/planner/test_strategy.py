"""Per-user strategy and password handling: what each user ends up with, and the reason the report shows."""

from __future__ import annotations

import bcrypt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognito_migrate.passwords import detect_hash_format
from cognito_migrate.passwords.importable import Importable, NotImportable, cognito_import, trigger_can_verify
from cognito_migrate.planner.strategy import (
    METHODS,
    WITHOUT_HASH,
    Decision,
    PasswordHandling,
    choose_strategy,
)
from cognito_migrate.sources.records import LegacyUser, PasswordHash

BCRYPT_10 = "$2b$10$" + bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()[7:]  # shape only: never verified
BCRYPT_13 = "$2b$13$" + BCRYPT_10[7:]  # over Cognito's limit, fine for the trigger
PHPASS = "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"  # WordPress < 6.8: the trigger verifies it
YESCRYPT = "$y$j9T$p6OI0WN7.rSfZBOijjRdR.$xUOA2MTcB48ac.9Oc5fz8cxwLv1mMqabnn333iOzSA6"  # nobody verifies it
UNRECOGNISED = "5f4dcc3b5aa765d61d8327deb882cf99"

KEPT = "bcrypt hash within Cognito's limits (cost 10): imported, the user keeps the password"
OVER = "bcrypt cost 13 is above Cognito's import limit of 12"
NO_HASH = "no usable password hash (the source has none)"
RESET = "imported RESET_REQUIRED, the user resets by email"
TEMPORARY = (
    "created with the admin API and a generated temporary password (in the credentials file) "
    "that the user must change at first sign-in"
)
PERMANENT = (
    "created with the admin API and a generated permanent password (in the credentials file) "
    "for you to hand over"
)
ADMIN_RESET = "created with the admin API and a random password nobody is told, the user resets by email"
JIT = "migrated just in time, the user keeps the password"


def user(password_hash: str | None = None, *, enabled: bool = True) -> LegacyUser:
    hashed = PasswordHash(password_hash, detect_hash_format(password_hash)) if password_hash else None
    return LegacyUser("42", "ada", password_hash=hashed, enabled=enabled)


def decide(who: LegacyUser, method: str = "auto", without_hash: str = "reset-required") -> Decision:
    return choose_strategy(who, method=method, without_hash=without_hash)


# ── method = "auto" (issue 5, item 2) ──────────────────────────────────────────────────────────────


def test_auto_imports_a_hash_within_cognitos_limits() -> None:
    assert decide(user(BCRYPT_10)) == Decision("csv-import", "hash", "BCRYPT", KEPT)


def test_auto_sends_a_hash_only_the_trigger_verifies_to_jit() -> None:
    decision = decide(user(BCRYPT_13), without_hash="temporary-password")
    assert decision == Decision(
        "jit", "jit", None, f"{OVER}; the migrate-user trigger verifies it at the user's first sign-in: {JIT}"
    )
    phpass = decide(user(PHPASS))
    assert (phpass.strategy, phpass.password) == ("jit", "jit")
    assert phpass.reason.startswith("phpass hashes cannot be imported by Cognito")


@pytest.mark.parametrize(("without_hash", "expected"), [
    ("reset-required", Decision("csv-import", "reset-required", None, f"{NO_HASH}: {RESET}")),
    ("temporary-password", Decision("admin", "temporary", None, f"{NO_HASH}: {TEMPORARY}")),
    ("permanent-password", Decision("admin", "permanent", None, f"{NO_HASH}: {PERMANENT}")),
])  # fmt: skip
def test_auto_without_a_hash_follows_without_hash(without_hash: str, expected: Decision) -> None:
    assert decide(user(), without_hash=without_hash) == expected


@pytest.mark.parametrize(("hashed", "why"), [
    (YESCRYPT, "yescrypt hashes cannot be imported by Cognito (it imports bcrypt, scrypt, argon2id and "
               "PBKDF2-SHA256 only)"),
    (UNRECOGNISED, "the password hash is in no format this tool recognises, so Cognito cannot import it"),
])  # fmt: skip
def test_auto_treats_a_hash_nobody_can_verify_as_no_hash(hashed: str, why: str) -> None:
    unusable = f"no usable password hash ({why}; the migrate-user trigger cannot verify it either)"
    assert decide(user(hashed)) == Decision("csv-import", "reset-required", None, f"{unusable}: {RESET}")
    assert decide(user(hashed), without_hash="temporary-password") == Decision(
        "admin", "temporary", None, f"{unusable}: {TEMPORARY}"
    )


def test_disabled_users_are_migrated_then_disabled() -> None:
    kept = decide(user(BCRYPT_10, enabled=False))
    assert kept == Decision(
        "csv-import", "hash", "BCRYPT", f"{KEPT}; disabled in the source, so disabled after the import"
    )
    none = decide(user(enabled=False), without_hash="temporary-password")
    assert none.reason == f"{NO_HASH}: {TEMPORARY}; disabled in the source, so disabled after creation"


def test_a_disabled_user_never_waits_for_the_trigger() -> None:
    # A disabled user cannot sign in, so the trigger would never migrate them: without_hash instead.
    decision = decide(user(BCRYPT_13, enabled=False))
    assert decision == Decision("csv-import", "reset-required", None, (
        f"{OVER}; the migrate-user trigger could verify it, but a disabled user never signs in: {RESET}; "
        "disabled in the source, so disabled after the import"
    ))  # fmt: skip


# ── forced methods ─────────────────────────────────────────────────────────────────────────────────


def test_csv_import_keeps_importable_hashes_and_resets_the_rest() -> None:
    assert decide(user(BCRYPT_10), "csv-import") == Decision("csv-import", "hash", "BCRYPT", KEPT)
    assert decide(user(BCRYPT_13), "csv-import") == Decision("csv-import", "reset-required", None, (
        f"{OVER}; method auto would let the migrate-user trigger keep it: {RESET}"
    ))  # fmt: skip
    # An import job cannot set a temporary password, whatever without_hash says.
    not_applied = "an import job cannot set passwords, so without_hash = temporary-password does not apply"
    assert decide(user(), "csv-import", "temporary-password") == Decision(
        "csv-import", "reset-required", None, f"{NO_HASH}; {not_applied}: {RESET}"
    )


@pytest.mark.parametrize(("without_hash", "password", "outcome"), [
    ("reset-required", "reset-required", ADMIN_RESET),
    ("temporary-password", "temporary", TEMPORARY),
    ("permanent-password", "permanent", PERMANENT),
])  # fmt: skip
def test_admin_cannot_use_a_hash(without_hash: str, password: PasswordHandling, outcome: str) -> None:
    dropped = "Cognito's admin API cannot set a password hash, so this user's bcrypt hash is not used"
    for hashed in (BCRYPT_10, BCRYPT_13):
        assert decide(user(hashed), "admin", without_hash) == Decision(
            "admin", password, None, f"{dropped}: {outcome}"
        )
    assert decide(user(), "admin", without_hash) == Decision("admin", password, None, f"{NO_HASH}: {outcome}")
    unusable = decide(user(YESCRYPT), "admin", without_hash)
    assert unusable.reason.startswith("no usable password hash (yescrypt hashes cannot be imported")


def test_jit_moves_every_user_the_trigger_can_verify() -> None:
    for hashed, fmt in ((BCRYPT_10, "bcrypt"), (BCRYPT_13, "bcrypt"), (PHPASS, "phpass")):
        trigger = f"the migrate-user trigger verifies this user's {fmt} hash at their first sign-in"
        assert decide(user(hashed), "jit") == Decision("jit", "jit", None, f"method jit: {trigger}: {JIT}")


def test_jit_falls_back_to_without_hash_for_users_the_trigger_cannot_move() -> None:
    assert decide(user(YESCRYPT), "jit", "temporary-password") == Decision("admin", "temporary", None, (
        f"method jit, but the migrate-user trigger cannot verify this user's yescrypt hash: {TEMPORARY}"
    ))  # fmt: skip
    assert decide(user(), "jit") == Decision("csv-import", "reset-required", None, (
        f"method jit, but the user has no password hash for the migrate-user trigger to verify: {RESET}"
    ))  # fmt: skip
    disabled = decide(user(BCRYPT_10, enabled=False), "jit", "permanent-password")
    assert disabled == Decision("admin", "permanent", None, (
        "method jit, but a disabled user never signs in for the migrate-user trigger to migrate them: "
        f"{PERMANENT}; disabled in the source, so disabled after creation"
    ))  # fmt: skip


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown strategy method 'bulk'"):
        decide(user(), "bulk")
    with pytest.raises(ValueError, match="unknown without_hash 'email-link'"):
        decide(user(), "auto", "email-link")


# ── what holds for every user ──────────────────────────────────────────────────────────────────────

HASHES = [None, BCRYPT_10, BCRYPT_13, PHPASS, YESCRYPT, UNRECOGNISED,
          "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
          "pbkdf2:sha256:1000000$salt$" + "ab" * 32, "65536$8$1$" + "ab" * 16 + "$" + "cd" * 64]  # fmt: skip


@given(
    hashed=st.sampled_from(HASHES),
    enabled=st.booleans(),
    method=st.sampled_from(METHODS),
    without_hash=st.sampled_from(WITHOUT_HASH),
    precomputed=st.booleans(),
)
def test_every_decision_is_consistent(
    hashed: str | None, enabled: bool, method: str, without_hash: str, precomputed: bool
) -> None:
    who = user(hashed, enabled=enabled)
    importable = cognito_import(who.password_hash) if precomputed and who.password_hash else None
    decision = choose_strategy(who, method=method, without_hash=without_hash, importable=importable)

    assert decision == decide(who, method, without_hash)  # precomputing changes nothing
    assert (decision.password == "hash") == (decision.algorithm is not None)
    if decision.password == "hash":
        assert decision.strategy == "csv-import"
        assert isinstance(cognito_import(who.password_hash), Importable)  # type: ignore[arg-type]
    if decision.strategy == "jit":
        assert who.password_hash
        assert trigger_can_verify(who.password_hash.format)
        assert enabled
        assert method in ("auto", "jit")
    if decision.password in ("temporary", "permanent"):
        assert without_hash == f"{decision.password}-password"
    if method in ("csv-import", "admin"):
        assert decision.strategy == method
    if method == "auto" and isinstance(
        cognito_import(who.password_hash) if who.password_hash else None, Importable
    ):
        assert decision.password == "hash"
    assert ("disabled in the source" in decision.reason) == (not enabled and decision.strategy != "jit")
    assert hashed is None or hashed not in decision.reason


def test_users_alike_share_one_decision() -> None:
    # A million users cost a cache lookup each: users with the same kind of hash share the same object.
    first = decide(user(BCRYPT_10))
    other = LegacyUser("43", "bob", password_hash=PasswordHash("$2b$10$" + "x" * 53, "bcrypt"))
    assert decide(other) is first
    assert isinstance(cognito_import(other.password_hash), Importable)  # type: ignore[arg-type]


def test_a_caller_may_pass_what_it_already_computed() -> None:
    who = user(BCRYPT_10)
    assert choose_strategy(who, method="auto", without_hash="reset-required",
                           importable=NotImportable("told so by the caller")) == Decision(
        "jit", "jit", None,
        "told so by the caller; the migrate-user trigger verifies it at the user's first sign-in: " + JIT,
    )  # fmt: skip
