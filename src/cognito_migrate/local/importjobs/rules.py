"""The per-user rules of an import job: one CSV row in, a user to create or the reason it fails out.

Pure functions over a ``PoolRules`` snapshot, taken once when the job starts (Cognito refuses to change
a pool while a job runs). Whether the user already exists is decided by the runner, which holds moto's
lock. Reasons Cognito's documentation or users' reports quote are used word for word; the others are
this emulator's wording, in the style of Cognito's API errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cognito_migrate.local.importjobs import hashes
from cognito_migrate.local.importjobs.csvfile import MFA_COLUMN, PASSWORD_HASH_COLUMN, USERNAME_COLUMN

NO_AUTO_VERIFIED = "The User Record does not set any of the auto verified attributes to true."
EMAIL_FORMAT_USERNAME = "Username cannot be of email format, since user pool is configured for email alias."
# Cognito's phone variant of the message above is UNVERIFIED.
PHONE_FORMAT_USERNAME = (
    "Username cannot be of phone number format, since user pool is configured for phone number alias."
)
USERNAME_ATTRIBUTE_FORMAT = "Username should be either an email or a phone number."

_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}
_BOOLEAN_COLUMNS = ("email_verified", "phone_number_verified", MFA_COLUMN)
_NOT_ATTRIBUTES = (USERNAME_COLUMN, MFA_COLUMN, PASSWORD_HASH_COLUMN)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_PHONE = re.compile(r"\+\d{1,15}")
_BIRTHDATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_MAX_USERNAME = 128
_MAX_VALUE = 2048


@dataclass(frozen=True)
class AttributeRule:
    """What the pool's schema says about one attribute."""

    name: str
    data_type: str
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class PoolRules:
    """The pool's settings the row rules depend on."""

    auto_verified: tuple[str, ...]
    alias_attributes: tuple[str, ...] = ()
    username_attributes: tuple[str, ...] = ()
    mfa_configuration: str = "OFF"
    attributes: Mapping[str, AttributeRule] = field(default_factory=dict)


@dataclass(frozen=True)
class NewUser:
    """A row that passed every rule: moto's attribute list, and the hash to keep if there is one."""

    username: str
    attributes: list[dict[str, str]]
    mfa_enabled: bool
    password_hash: str | None


@dataclass(frozen=True)
class Rejected:
    reason: str


def pool_rules(pool: Any) -> PoolRules:
    """Snapshot a moto ``CognitoIdpUserPool``; call with moto's lock held."""
    config = pool.extended_config
    rules = {
        name: AttributeRule(
            name=name,
            data_type=attribute.data_type,
            required=bool(attribute.required) and name != "sub",
            min_length=_int_or_none((attribute.string_constraints or {}).get("MinLength")),
            max_length=_int_or_none((attribute.string_constraints or {}).get("MaxLength")),
            min_value=_int_or_none((attribute.number_constraints or {}).get("MinValue")),
            max_value=_int_or_none((attribute.number_constraints or {}).get("MaxValue")),
        )
        for name, attribute in pool.schema_attributes.items()
    }
    return PoolRules(
        auto_verified=tuple(config.get("AutoVerifiedAttributes") or ()),
        alias_attributes=tuple(config.get("AliasAttributes") or ()),
        username_attributes=tuple(config.get("UsernameAttributes") or ()),
        mfa_configuration=str(pool.mfa_config or "OFF"),
        attributes=rules,
    )


def check_row(values: Mapping[str, str], rules: PoolRules, algorithm: str | None) -> NewUser | Rejected:
    """Apply Cognito's import rules to one row, first failing rule wins."""
    username = values.get(USERNAME_COLUMN, "")
    flags: dict[str, str] = {}
    reason = (
        _username_problem(username, rules)
        or _boolean_problem(values, flags)
        or _mfa_problem(flags.get(MFA_COLUMN), rules.mfa_configuration)
        or _auto_verified_problem(values, flags, rules.auto_verified)
        or _format_problem(values)
        or _schema_problem(values, rules)
        or _hash_problem(values.get(PASSWORD_HASH_COLUMN, ""), algorithm)
    )
    if reason:
        return Rejected(reason)
    attributes = {
        name: flags.get(name, value)
        for name, value in values.items()
        if value and name not in _NOT_ATTRIBUTES
    }
    if "birthdate" in attributes:
        attributes["birthdate"] = _iso_birthdate(attributes["birthdate"]) or attributes["birthdate"]
    return NewUser(
        username=username,
        attributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        mfa_enabled=flags.get(MFA_COLUMN) == "true",
        password_hash=values.get(PASSWORD_HASH_COLUMN) or None,
    )


def _username_problem(username: str, rules: PoolRules) -> str | None:
    if not username:
        return f"The attribute {USERNAME_COLUMN} is required."
    if len(username) > _MAX_USERNAME:
        return f"The {USERNAME_COLUMN} value is longer than {_MAX_USERNAME} characters."
    if any(unicodedata.category(char)[0] not in "LMSNP" for char in username):
        return f"The {USERNAME_COLUMN} value must not contain spaces, tabs or control characters."
    if "email" in rules.alias_attributes and _EMAIL.fullmatch(username):
        return EMAIL_FORMAT_USERNAME
    if "phone_number" in rules.alias_attributes and _PHONE.fullmatch(username):
        return PHONE_FORMAT_USERNAME
    # For pools whose UsernameAttributes are email/phone, what cognito:username must hold is UNVERIFIED:
    # the emulator asks what AdminCreateUser asks (an email or a phone number; the user gets a UUID).
    if rules.username_attributes and not any(
        _EMAIL.fullmatch(username) if attr == "email" else _PHONE.fullmatch(username)
        for attr in rules.username_attributes
    ):
        return USERNAME_ATTRIBUTE_FORMAT
    return None


def _boolean_problem(values: Mapping[str, str], flags: dict[str, str]) -> str | None:
    for column in _BOOLEAN_COLUMNS:
        value = values.get(column, "")
        if not value:
            continue
        if value.lower() not in ("true", "false"):
            return f"Invalid value for {column}: {value!r}; use TRUE or FALSE."
        flags[column] = value.lower()
    return None


def _mfa_problem(mfa_enabled: str | None, configuration: str) -> str | None:
    if mfa_enabled is None:
        return f"The attribute {MFA_COLUMN} is required."
    if configuration == "ON" and mfa_enabled != "true":
        return f"{MFA_COLUMN} must be TRUE: the user pool requires MFA."
    if configuration == "OFF" and mfa_enabled != "false":
        return f"{MFA_COLUMN} must be FALSE: MFA is off in the user pool."
    return None


def _auto_verified_problem(
    values: Mapping[str, str], flags: Mapping[str, str], auto_verified: tuple[str, ...]
) -> str | None:
    for attribute, flag in _VERIFIED_FLAG.items():
        if flags.get(flag) == "true" and not values.get(attribute):
            return f"{flag} is TRUE but {attribute} is empty."
    if not any(flags.get(_VERIFIED_FLAG.get(attribute, "")) == "true" for attribute in auto_verified):
        return NO_AUTO_VERIFIED
    return None


def _format_problem(values: Mapping[str, str]) -> str | None:
    # The first two texts are what AdminCreateUser answers for the same mistakes.
    if values.get("email") and not _EMAIL.fullmatch(values["email"]):
        return "Invalid email address format."
    if values.get("phone_number") and not _PHONE.fullmatch(values["phone_number"]):
        return "Invalid phone number format."
    if values.get("birthdate") and _iso_birthdate(values["birthdate"]) is None:
        return "Invalid birthdate: use mm/dd/yyyy."
    updated_at = values.get("updated_at")
    if updated_at and not updated_at.isdigit():
        return "Invalid updated_at: use the number of seconds since 1970-01-01."
    return None


def _schema_problem(values: Mapping[str, str], rules: PoolRules) -> str | None:
    for name, rule in rules.attributes.items():
        value = values.get(name, "")
        if not value:
            if rule.required:
                return f"Attributes did not conform to the schema: {name}: The attribute is required"
            continue
        reason = _constraint_problem(value, rule)
        if reason:
            return f"Attributes did not conform to the schema: {name}: {reason}"
    for name, value in values.items():
        if name not in _NOT_ATTRIBUTES and len(value) > _MAX_VALUE:
            return f"Attributes did not conform to the schema: {name}: longer than {_MAX_VALUE} characters"
    return None


def _constraint_problem(value: str, rule: AttributeRule) -> str | None:
    if rule.data_type == "Number":
        try:
            number = int(value)
        except ValueError:
            return "Number must be an integer"
        if rule.min_value is not None and number < rule.min_value:
            return f"Number must be at least {rule.min_value}"
        if rule.max_value is not None and number > rule.max_value:
            return f"Number must be at most {rule.max_value}"
    elif rule.data_type == "String" and rule.name != "birthdate":  # birthdate's length is the ISO form's
        if rule.min_length is not None and len(value) < rule.min_length:
            return f"String must be at least {rule.min_length} characters"
        if rule.max_length is not None and len(value) > rule.max_length:
            return f"String must be at most {rule.max_length} characters"
    elif rule.data_type == "Boolean" and rule.name.startswith("custom:") and value.lower() not in (
        "true", "false"
    ):  # fmt: skip
        return "Boolean must be true or false"
    return None


def _hash_problem(password_hash: str, algorithm: str | None) -> str | None:
    if not password_hash:
        return None  # no hash: the user is imported RESET_REQUIRED
    if algorithm is None:
        return "This job has no PasswordHashingAlgorithm: the password_hash column must be empty."
    return hashes.problem(algorithm, password_hash)


def _iso_birthdate(value: str) -> str | None:
    """mm/dd/yyyy in the CSV, YYYY-MM-DD through the API (and in moto)."""
    match = _BIRTHDATE.fullmatch(value)
    if not match:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None
