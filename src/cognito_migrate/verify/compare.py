"""One source user against its pool user: every difference, each naming the user and what differs.

Pure functions. Values are compared in the form Cognito keeps them, so nothing the migration itself
changed on the way counts as a difference: whitespace trimmed (import jobs trim), booleans without case
(``TRUE`` in an import file is ``true`` in the pool; an absent flag is false), emails without case,
phone numbers without spaces or punctuation, a birthdate in either of Cognito's two forms, numbers by
value. Attributes Cognito adds itself (``sub``, ``identities``, ``cognito:…``) are not the source's to
have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cognito_migrate.passwords.formats import HashFormat, detect_hash_format
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.verify.expected import ExpectedUser, allowed_statuses, groups_may_lag, how_migrated
from cognito_migrate.verify.pool_side import PoolUserRow

# The kinds of difference (the ``kind`` of a JSON line in --out).
MISSING = "missing"  # the journal says migrated; the pool has no such user
UNFINISHED = "unfinished"  # the journal says planned, in doubt or failed
NOT_PLANNED = "not-planned"  # the source has the user; the journal does not
MAPPING = "mapping"  # the source's value no longer maps
ATTRIBUTE = "attribute"
ENABLED = "enabled"
STATUS = "status"
GROUP_MISSING = "group-missing"
GROUP_EXTRA = "group-extra"
UNEXPECTED = "unexpected"  # the pool holds a user the plan rejected
NOT_IN_SOURCE = "not-in-source"  # the journal says migrated; the source no longer has the user
UNKNOWN = "unknown"  # a pool user carries a legacy id the journal does not know
KINDS = (
    MISSING,
    UNFINISHED,
    NOT_PLANNED,
    MAPPING,
    ATTRIBUTE,
    ENABLED,
    STATUS,
    GROUP_MISSING,
    GROUP_EXTRA,
    UNEXPECTED,
    NOT_IN_SOURCE,
    UNKNOWN,
)

COGNITO_OWNED = frozenset({"sub", "identities"})
# Compared when the mapping writes them, else left alone: Cognito may stamp ``updated_at`` itself when
# attributes change (UNVERIFIED; the local Cognito does not).
_STAMPS = frozenset({"updated_at"})
_VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")
_US_DATE = re.compile(r"^(\d\d)/(\d\d)/(\d{4})$")
_HIDDEN = "<hidden: looks like a password hash>"


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing the pool and the source disagree on, about one user."""

    kind: str
    source_id: str | None
    username: str  # the source's (journal's) name; the pool's own name in ``pool_username``
    message: str
    pool_username: str | None = None
    attribute: str | None = None
    expected: Any = None
    actual: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source_id": self.source_id,
            "username": self.username,
            "pool_username": self.pool_username,
            "attribute": self.attribute,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }

    def __str__(self) -> str:
        who = f"user {self.source_id} ({self.username})" if self.source_id else f"pool user {self.username}"
        return f"{who}: {self.message}"


def compare_user(expected: ExpectedUser, pool: PoolUserRow, profile: PoolProfile) -> list[Difference]:
    """Every difference between what ``expected`` says and ``pool`` holds (empty: they agree)."""
    found: list[Difference] = []

    def differ(kind: str, message: str, **detail: Any) -> None:
        found.append(
            Difference(kind, expected.source_id, expected.username, message, pool.username, **detail)
        )

    for problem in expected.problems:
        differ(MAPPING, f"the source's value cannot be mapped now: {problem}")
    for name, want, have in attribute_differences(expected, pool.attributes, profile):
        differ(
            ATTRIBUTE,
            f"attribute {name}: expected {_shown(want)}, the pool has {_shown(have)}",
            attribute=name,
            expected=_safe(want),
            actual=_safe(have),
        )
    if expected.enabled != pool.enabled:
        said = "enabled" if expected.enabled else "disabled"
        differ(
            ENABLED,
            f"expected {said}, the pool has it {'enabled' if pool.enabled else 'disabled'}",
            expected=expected.enabled,
            actual=pool.enabled,
        )
    statuses = allowed_statuses(expected.strategy, expected.password)
    if statuses is not None and pool.status not in statuses:
        how = how_migrated(expected.strategy, expected.password)
        fits = " or ".join(sorted(statuses))
        differ(
            STATUS,
            f"status {pool.status}; {how}, it should be {fits}",
            expected=sorted(statuses),
            actual=pool.status,
        )
    member_of = set(pool.groups)
    if not groups_may_lag(expected.strategy, pool.status):
        for group in expected.groups:
            if group not in member_of:
                differ(GROUP_MISSING, f"not in group {group}", attribute=group)
    if not expected.updates_existing:  # a user the pool had before keeps the groups it had
        for group in pool.groups:
            if group not in expected.groups:
                differ(GROUP_EXTRA, f"in group {group}, which the source does not give it", attribute=group)
    return found


def attribute_differences(
    expected: ExpectedUser, pool: Mapping[str, str], profile: PoolProfile
) -> list[tuple[str, str | None, str | None]]:
    """``(attribute, expected value, pool value)`` for each attribute that differs (None: absent)."""
    differences: list[tuple[str, str | None, str | None]] = []
    update = expected.updates_existing
    for name, want in expected.attributes.items():
        schema = profile.attribute(name)
        if update and schema is not None and not schema.mutable:
            continue  # an update never writes an immutable attribute (AdminRunner leaves it out)
        have = pool.get(name)
        if normalised(name, want, profile) != normalised(name, have, profile):
            differences.append((name, want, have))
    if update:
        return differences  # a user the pool had before keeps attributes the source does not map
    unreadable = {problem.attribute for problem in expected.problems}  # reported as mapping problems
    for name, have in pool.items():
        if name in expected.attributes or name in unreadable or name in COGNITO_OWNED or name in _STAMPS:
            continue
        if name.startswith("cognito:"):
            continue
        if normalised(name, have, profile) != normalised(name, None, profile):
            differences.append((name, None, have))
    return differences


def normalised(name: str, value: str | None, profile: PoolProfile) -> str:
    """``value`` in the form two equal values of attribute ``name`` share ("" for absent)."""
    schema = profile.attribute(name)
    data_type = schema.data_type if schema is not None else "String"
    text = (value or "").strip()
    if data_type == "Boolean" or name in _VERIFIED_FLAGS:
        return "true" if text.lower() == "true" else "false"  # an absent flag is false
    if name == "email":
        return text.casefold()
    if name == "phone_number":
        return _PHONE_PUNCTUATION.sub("", text)
    if name == "birthdate":
        us = _US_DATE.match(text)  # the import file's form; the API's is YYYY-MM-DD
        return f"{us[3]}-{us[1]}-{us[2]}" if us else text
    if data_type == "Number" or name == "updated_at":
        try:
            number = float(text)
        except ValueError:
            return text
        return str(int(number)) if number.is_integer() else repr(number)
    return text


def _safe(value: str | None) -> str | None:
    """Never repeat a password hash someone mapped into an attribute by mistake."""
    if value and detect_hash_format(value.strip()) is not HashFormat.UNKNOWN:
        return _HIDDEN
    return value


def _shown(value: str | None) -> str:
    safe = _safe(value)
    return "nothing" if safe is None else repr(safe)
