"""Rules that follow from the pool's settings rather than its schema: auto-verified attributes and MFA.

The auto-verified rule is an *import job* rule (cognito-facts §1): each row must set at least one of
the pool's auto-verified attributes (email and/or phone_number) to verified, with a value, or the row
fails with "The User Record does not set any of the auto verified attributes to true." AdminCreateUser
has no such rule, so these findings carry ``only_for="csv-import"`` and the planner may still create
the user through the admin API. A pool that auto-verifies nothing cannot run an import job at all;
every user then gets the same finding (one shared object), and the planner can say it once.

MFA: a user who had a second factor in the source and lands in a pool whose MFA is OFF loses it; a user
without one in a pool whose MFA is ON must enrol at the next sign-in (and an import row must say
``cognito:mfa_enabled`` = TRUE there). Both are ``mfa.mismatch`` for every strategy; an unknown
(``None``) source value and an OPTIONAL pool never are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from cognito_migrate.planner.rules.findings import (
    AUTO_VERIFIED_NONE,
    AUTO_VERIFIED_WITHOUT_VALUE,
    CSV_IMPORT,
    MFA_MISMATCH,
    Finding,
)

_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}
_WITH_A = {"email": "an email", "phone_number": "a phone_number"}

AttributesCheck = Callable[[Mapping[str, str]], Finding | None]
MfaCheck = Callable[[bool | None], Finding | None]


def auto_verified_check(auto_verified: Iterable[str]) -> AttributesCheck:
    """The import-job rule for a pool auto-verifying ``auto_verified`` (email and/or phone_number)."""
    pairs = tuple((name, _VERIFIED_FLAG[name]) for name in auto_verified if name in _VERIFIED_FLAG)
    if not pairs:
        cannot_import = Finding(
            AUTO_VERIFIED_NONE,
            "the pool auto-verifies neither email nor phone_number, so no import job can start; "
            "turn on auto-verification in the pool or create users through the admin API",
            only_for=CSV_IMPORT,
        )
        return lambda attributes: cannot_import

    def auto_verified_rule(attributes: Mapping[str, str]) -> Finding | None:
        get = attributes.get
        for name, flag in pairs:
            if get(flag) == "true" and get(name):
                break
        else:
            return _none_verified(attributes, pairs)
        for name, flag in _VERIFIED_FLAG.items():
            if get(flag) == "true" and not get(name):
                return _verified_without_value(flag, name)
        return None

    return auto_verified_rule


def auto_verified_alike(columns: Mapping[str, Sequence[str | None]], count: int) -> bool:
    """Whether ``auto_verified_rule`` must answer the same for ``count`` users whose attributes are
    ``columns`` (absent: None): it reads only whether each ``_VERIFIED_FLAG`` flag is ``"true"`` and
    whether its attribute has a value, so one constant flag column and one all-or-nothing value column
    each give every user the same answer."""
    for name, flag in _VERIFIED_FLAG.items():
        flags = columns.get(flag)
        values = columns.get(name)
        if flags is not None and len(set(flags)) > 1:
            return False
        if values is not None and count and None in values and values.count(None) != count:
            return False
    return True


def _verified_without_value(flag: str, name: str) -> Finding:
    # An import row with a verified flag and no value fails even when another attribute qualifies.
    return Finding(
        AUTO_VERIFIED_WITHOUT_VALUE,
        f"{flag} is true but the user has no {name}; an import job refuses that row",
        only_for=CSV_IMPORT,
    )


def _none_verified(attributes: Mapping[str, str], pairs: tuple[tuple[str, str], ...]) -> Finding:
    wants = " or ".join(f"{flag} = true with {_WITH_A[name]}" for name, flag in pairs)
    has = [name for name, _ in pairs if attributes.get(name)]
    if has:
        why = f"the user has {' and '.join(has)} but not marked verified"
    else:
        why = f"the user has no {' and no '.join(name for name, _ in pairs)}"
    return Finding(
        AUTO_VERIFIED_NONE,
        f"an import job needs {wants} (the pool's auto-verified attributes); {why}",
        only_for=CSV_IMPORT,
    )


def mfa_check(configuration: str) -> MfaCheck | None:
    """The MFA rule for a pool whose ``MfaConfiguration`` is ``configuration``; ``None`` for OPTIONAL."""
    if configuration == "OFF":
        loses = Finding(
            MFA_MISMATCH,
            "the user has MFA in the source but the pool's MFA is OFF, so the user would lose the "
            "second factor; set the pool's MFA to OPTIONAL or ON",
        )
        return lambda enabled: loses if enabled is True else None
    if configuration == "ON":
        must_enrol = Finding(
            MFA_MISMATCH,
            "the user has no MFA in the source but the pool requires MFA (ON), so the user would have "
            "to enrol at the next sign-in; set the pool's MFA to OPTIONAL to keep the user as is",
        )
        return lambda enabled: must_enrol if enabled is False else None
    return None
