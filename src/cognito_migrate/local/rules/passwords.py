"""Cognito's password policy as a pure function: which rules a password breaks, in AWS's words.

``policy_violations(password, policy)`` reads a ``Policies.PasswordPolicy`` mapping as CreateUserPool and
DescribeUserPool spell it. It touches no state, so the local Cognito's checks, the planner (is a migrated
password strong enough to keep?) and a migrate-user trigger can all share it.

Facts (cognito-facts.md §4 [S1][D7]): MinimumLength 6–99, Require{Uppercase,Lowercase,Numbers,Symbols},
at most 256 characters, and the symbol set below, where a space counts only when it is neither the first
nor the last character.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_PASSWORD_LENGTH = 256

# Cognito's default PasswordPolicy for a pool created through the API without ``Policies`` [S1]; moto
# fills in the same values.
DEFAULT_POLICY: Mapping[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}

SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-")

# AWS's wording for each broken rule, as seen in InvalidPasswordException messages ("Password did not
# conform with password policy: Password must have numeric characters"). The length-over-256 wording is
# UNVERIFIED (AWS answers that one at its API validation layer).
TOO_SHORT = "Password not long enough"
TOO_LONG = "Password exceeds the maximum length of 256 characters"
NEEDS_UPPERCASE = "Password must have uppercase characters"
NEEDS_LOWERCASE = "Password must have lowercase characters"
NEEDS_NUMBERS = "Password must have numeric characters"
NEEDS_SYMBOLS = "Password must have symbol characters"


def _is_upper(char: str) -> bool:
    # UNVERIFIED: whether Cognito counts non-ASCII letters (É) as upper/lower case; basic Latin only.
    return "A" <= char <= "Z"


def _is_lower(char: str) -> bool:
    return "a" <= char <= "z"


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


def has_symbol(password: str) -> bool:
    """Whether ``password`` holds one of Cognito's symbols (an inner space counts, an outer one not)."""
    if any(char in SYMBOLS for char in password):
        return True
    return " " in password[1:-1]


def policy_violations(password: str, policy: Mapping[str, Any] | None = None) -> list[str]:
    """The rules of ``policy`` that ``password`` breaks, in the order Cognito reports them (the order
    of the checks after the length is UNVERIFIED: Cognito names one broken rule per answer).

    >>> policy_violations("short", {"MinimumLength": 8, "RequireNumbers": True})
    ['Password not long enough', 'Password must have numeric characters']
    >>> policy_violations("Correct-Horse-9", DEFAULT_POLICY)
    []
    """
    rules = DEFAULT_POLICY if policy is None else policy
    violations: list[str] = []
    if len(password) < int(rules.get("MinimumLength", DEFAULT_POLICY["MinimumLength"])):
        violations.append(TOO_SHORT)
    if len(password) > MAX_PASSWORD_LENGTH:
        violations.append(TOO_LONG)
    if rules.get("RequireUppercase") and not any(_is_upper(c) for c in password):
        violations.append(NEEDS_UPPERCASE)
    if rules.get("RequireLowercase") and not any(_is_lower(c) for c in password):
        violations.append(NEEDS_LOWERCASE)
    if rules.get("RequireNumbers") and not any(_is_digit(c) for c in password):
        violations.append(NEEDS_NUMBERS)
    if rules.get("RequireSymbols") and not has_symbol(password):
        violations.append(NEEDS_SYMBOLS)
    return violations


def pool_password_policy(extended_config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The PasswordPolicy of a pool's CreateUserPool/UpdateUserPool parameters.

    No policy at all means Cognito's default one. A policy given without some ``Require*`` flag leaves
    that rule off (the API's booleans default to false; UNVERIFIED for a missing MinimumLength, read
    as 8).
    """
    policies = extended_config.get("Policies") or {}
    policy = policies.get("PasswordPolicy") if isinstance(policies, Mapping) else None
    return policy if isinstance(policy, Mapping) else DEFAULT_POLICY
