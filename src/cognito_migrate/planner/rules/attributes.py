"""Attribute rules: known to the pool's schema, short enough, of the right type and within constraints,
present when required, and not immutable when an existing user is updated.

``AttributeRules(profile)`` compiles one check per schema attribute once, with a C-speed acceptance
test where one exists (a compiled pattern, a set); calling it on a user's attributes costs a dictionary
lookup per attribute and that test, and the Python check that explains a refusal runs only for values
the test does not accept. A value the mapping left empty counts as absent, as in the CSV file.

Facts (cognito-facts §1, §2): attribute names ≤ 32 characters, values ≤ 2048 (bytes, to be safe);
booleans ``true``/``false``; ``birthdate`` ``YYYY-MM-DD`` through the API; ``updated_at`` epoch
seconds. An attribute the pool's schema does not list is refused (AdminCreateUser: "Attributes did not
conform to the schema"); the profile's schema is DescribeUserPool's ``SchemaAttributes``, which lists
the standard attributes too. Immutable means "cannot be changed after creation": writing one when the
user is created is fine, so it is only a finding when an existing user is updated.

UNVERIFIED: custom ``Number`` values must be integers (``NUMBER_PATTERN``); string ``MinLength`` /
``MaxLength`` count characters (``len``); custom ``DateTime`` values are not checked beyond their
length, their accepted form being undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Final

from cognito_migrate.planner.profile import AttributeSchema, PoolProfile
from cognito_migrate.planner.rules.contact import EMAIL_PATTERN, PHONE_PATTERN, email_problem, phone_problem
from cognito_migrate.planner.rules.findings import (
    ATTRIBUTE_CONSTRAINT,
    ATTRIBUTE_IMMUTABLE,
    ATTRIBUTE_REQUIRED,
    ATTRIBUTE_TOO_LONG,
    ATTRIBUTE_TYPE,
    ATTRIBUTE_UNKNOWN,
    BIRTHDATE_FORMAT,
    UPDATED_AT_FORMAT,
    Finding,
    shown,
)

MAX_NAME_LENGTH: Final = 32
MAX_VALUE_BYTES: Final = 2048
# A string of at most this many characters is at most MAX_VALUE_BYTES in UTF-8 (4 bytes a character),
# so only longer ones are encoded to be measured.
_SURELY_SHORT: Final = MAX_VALUE_BYTES // 4
NUMBER_PATTERN: Final = re.compile(r"-?[0-9]+")
_BIRTHDATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_BOOLEANS = frozenset({"true", "false"})

ValueCheck = Callable[[str], Finding | None]
# A C-speed test (a compiled pattern's fullmatch, a set's __contains__): a truthy answer means the
# value passes, so the Python check that explains a failure runs only for the values that may fail.
QuickAccept = Callable[[str], object]


# ── one value ─────────────────────────────────────────────────────────────────────────────────────────


def too_long(name: str, value: str) -> Finding | None:
    """``attribute.too-long`` when ``value`` is over 2048 bytes in UTF-8. The value is not shown."""
    if len(value) <= _SURELY_SHORT:
        return None
    size = len(value.encode("utf-8", "surrogatepass"))
    if size <= MAX_VALUE_BYTES:
        return None
    return Finding(
        ATTRIBUTE_TOO_LONG, f"{name} is {size} bytes long in UTF-8; Cognito allows {MAX_VALUE_BYTES}"
    )


def birthdate_problem(value: str) -> Finding | None:
    """``birthdate.format`` unless ``value`` is ``YYYY-MM-DD`` and a real date."""
    match = _BIRTHDATE.fullmatch(value)
    if match is None:
        return Finding(
            BIRTHDATE_FORMAT,
            f"birthdate {shown(value)} is not in the form YYYY-MM-DD; map it with the date transform",
        )
    try:
        date(*(int(part) for part in match.groups()))
    except ValueError:
        return Finding(BIRTHDATE_FORMAT, f"birthdate {shown(value)} is not a real date")
    return None


def updated_at_problem(value: str) -> Finding | None:
    """``updated_at.format`` unless ``value`` is a whole number of seconds since 1970 (≥ 0)."""
    if value.isascii() and value.isdigit():
        return None
    return Finding(
        UPDATED_AT_FORMAT,
        f"updated_at {shown(value)} is not whole seconds since 1970; map it with the epoch-seconds transform",
    )


def value_check(schema: AttributeSchema) -> ValueCheck | None:
    """The check one attribute's values need beyond the byte limit, or ``None`` when there is none."""
    special = _SPECIAL.get(schema.name)
    if special is not None:
        return special
    if schema.data_type == "Boolean":
        return _boolean_check(schema.name)
    if schema.data_type == "Number":
        return _number_check(schema)
    if schema.data_type == "String":
        return _length_check(schema)
    return None  # DateTime: form UNVERIFIED (module docstring)


_SPECIAL: Final[Mapping[str, ValueCheck]] = {
    "email": email_problem,
    "phone_number": phone_problem,
    "birthdate": birthdate_problem,
    "updated_at": updated_at_problem,
}


def quick_accept(schema: AttributeSchema) -> QuickAccept | None:
    """A C-speed acceptance test for ``schema``'s values, or ``None`` when only the check can tell."""
    name, data_type = schema.name, schema.data_type
    if name in _SPECIAL:
        return _SPECIAL_QUICK.get(name)
    if data_type == "Boolean":
        return _BOOLEANS.__contains__
    if data_type == "Number":
        return (
            None if schema.min_value is not None or schema.max_value is not None else NUMBER_PATTERN.fullmatch
        )
    if data_type == "String":
        low, high = schema.min_length or 0, schema.max_length
        high = MAX_VALUE_BYTES if high is None else min(high, MAX_VALUE_BYTES)
        return re.compile(rf"(?s).{{{low},{high}}}").fullmatch if low <= high else None
    return None


_SPECIAL_QUICK: Final[Mapping[str, QuickAccept]] = {
    "email": EMAIL_PATTERN.fullmatch,
    "phone_number": PHONE_PATTERN.fullmatch,
    "updated_at": re.compile(r"[0-9]+").fullmatch,
}


def _boolean_check(name: str) -> ValueCheck:
    def boolean(value: str) -> Finding | None:
        if value in _BOOLEANS:
            return None
        return Finding(ATTRIBUTE_TYPE, f"{name} {shown(value)} is not a boolean; use true or false")

    return boolean


def _number_check(schema: AttributeSchema) -> ValueCheck:
    name, low, high = schema.name, schema.min_value, schema.max_value

    def number(value: str) -> Finding | None:
        if NUMBER_PATTERN.fullmatch(value) is None:
            return Finding(ATTRIBUTE_TYPE, f"{name} {shown(value)} is not a whole number")
        if low is None and high is None:
            return None
        number = int(value)
        if low is not None and number < low:
            return Finding(ATTRIBUTE_CONSTRAINT, f"{name} {shown(value)} is below the pool's minimum {low}")
        if high is not None and number > high:
            return Finding(ATTRIBUTE_CONSTRAINT, f"{name} {shown(value)} is above the pool's maximum {high}")
        return None

    return number


def _length_check(schema: AttributeSchema) -> ValueCheck | None:
    low, high = schema.min_length, schema.max_length
    if low is not None and low <= 0:
        low = None
    if high is not None and high >= MAX_VALUE_BYTES:
        high = None  # 2048 characters or more: the byte limit already says it
    if low is None and high is None:
        return None
    name = schema.name

    def length(value: str) -> Finding | None:
        # Lengths, not values: a string attribute may hold anything, a secret mapped by mistake included.
        if low is not None and len(value) < low:
            return Finding(
                ATTRIBUTE_CONSTRAINT,
                f"{name} is {len(value)} characters long; the pool asks for at least {low}",
            )
        if high is not None and len(value) > high:
            return Finding(
                ATTRIBUTE_CONSTRAINT,
                f"{name} is {len(value)} characters long; the pool allows at most {high}",
            )
        return None

    return length


# ── a user's attributes ───────────────────────────────────────────────────────────────────────────────


class AttributeRules:
    """Every per-attribute rule for one pool, compiled once: ``rules(attributes)`` → findings.

    One dictionary lookup per attribute finds its compiled check (``None``: only the byte limit,
    which a value of at most 512 characters cannot break). Returns the same empty tuple for every
    user that passes, so the common case allocates nothing.
    """

    __slots__ = ("_checks", "_immutable", "_required", "_unknown")

    def __init__(self, profile: PoolProfile) -> None:
        # name → (quick acceptance test, check), for every attribute but sub; a name missing here is
        # unknown to the pool. A check of None: only the byte limit applies.
        self._checks: dict[str, tuple[QuickAccept | None, ValueCheck | None]] = {
            name: _compiled(schema) for name, schema in profile.attributes.items() if name != "sub"
        }
        self._required = tuple(
            name for name, schema in profile.attributes.items() if schema.required and name != "sub"
        )
        self._immutable = frozenset(
            name for name, schema in profile.attributes.items() if not schema.mutable and name != "sub"
        )
        # One Finding per unknown name, built the first time it is met: a pool without the legacy id
        # attribute would otherwise build a million identical ones.
        self._unknown: dict[str, Finding] = {}

    @property
    def immutable(self) -> frozenset[str]:
        """Attributes an update of an existing user must leave out."""
        return self._immutable

    def __call__(
        self, attributes: Mapping[str, str], *, present: str | None = None, creating: bool = True
    ) -> tuple[Finding, ...]:
        """Unknown, too-long, type and constraint findings in the order of ``attributes``; then, when
        ``creating``, ``attribute.required`` for each required attribute without a value. ``present``
        names one attribute the username supplies (email/phone_number in pools that sign in with it).
        """
        get_checks = self._checks.get
        found: list[Finding] | None = None
        finding: Finding | None
        for name, value in attributes.items():
            checks = get_checks(name)
            if not value:
                continue  # empty counts as absent (rare: the mapper leaves empties out)
            if checks is None:
                finding = self._unknown_finding(name)
            else:
                quick, check = checks
                if len(value) > _SURELY_SHORT:
                    finding = too_long(name, value) or (check(value) if check is not None else None)
                elif check is None or (quick is not None and quick(value)):
                    continue
                else:
                    finding = check(value)
            if finding is not None:
                if found is None:
                    found = []
                found.append(finding)
        if creating:
            for name in self._required:
                if not attributes.get(name) and name != present:
                    if found is None:
                        found = []
                    found.append(required(name))
        return () if found is None else tuple(found)

    def accepts_column(self, name: str, values: Sequence[str | None]) -> list[bool]:
        """For each value of attribute ``name``: True when ``__call__`` surely finds nothing about it
        (absent, or short and passing the C-speed acceptance test); False: only ``__call__`` can tell."""
        checks = self._checks.get(name)
        if checks is None:
            return [not value for value in values]  # an unknown attribute is a finding when present
        quick, check = checks
        if (
            None not in values
            and max(map(len, values), default=0) <= _SURELY_SHORT  # type: ignore[arg-type]
            and (check is None or (quick is not None and all(map(quick, values))))  # type: ignore[arg-type]
        ):
            return [True] * len(values)  # the usual column: present, short, passing, tested at C speed
        if check is None:
            return [not value or len(value) <= _SURELY_SHORT for value in values]
        if quick is None:
            return [not value for value in values]
        return [not value or (len(value) <= _SURELY_SHORT and bool(quick(value))) for value in values]

    @property
    def required(self) -> tuple[str, ...]:
        return self._required

    def immutable_written(self, attributes: Mapping[str, str]) -> tuple[Finding, ...]:
        """``attribute.immutable`` for each immutable attribute an update would write."""
        return tuple(
            Finding(
                ATTRIBUTE_IMMUTABLE,
                f"{name} cannot be changed on a user the pool already has (it is immutable); "
                "leave it out of the update",
            )
            for name in attributes
            if name in self._immutable and attributes[name]
        )

    def _unknown_finding(self, name: str) -> Finding:
        finding = self._unknown.get(name)
        if finding is None:
            finding = unknown_attribute(name)
            self._unknown[name] = finding
        return finding


def _compiled(schema: AttributeSchema) -> tuple[QuickAccept | None, ValueCheck | None]:
    check = value_check(schema)
    return (None, None) if check is None else (quick_accept(schema), check)


def required(name: str) -> Finding:
    """``attribute.required``: the pool requires ``name`` and the user has no value for it."""
    return Finding(
        ATTRIBUTE_REQUIRED,
        f"the pool requires {name} and this user has none; map {name} in [attributes] or give it a default",
    )


def unknown_attribute(name: str) -> Finding:
    """``attribute.unknown`` (or ``attribute.too-long`` for a name over 32 characters). Names only."""
    if name == "sub":
        return Finding(ATTRIBUTE_UNKNOWN, "sub is assigned by Cognito and cannot be written")
    if len(name) > MAX_NAME_LENGTH:
        return Finding(
            ATTRIBUTE_TOO_LONG,
            f"attribute name {shown(name)} is {len(name)} characters long; Cognito allows {MAX_NAME_LENGTH}",
        )
    hint = "add the custom attribute to the pool" if name.startswith("custom:") else "check the spelling"
    return Finding(
        ATTRIBUTE_UNKNOWN, f"attribute {shown(name)} is not in the pool's schema; {hint} or stop mapping it"
    )
