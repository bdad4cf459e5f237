"""``PoolProfile``: everything the planner needs to know about the target pool, read once.

The profile is plain data (no clients), so rules stay pure functions of (user, profile) and a saved
plan can record what the pool looked like when it was planned. Users already in the pool are kept
apart in ``ExistingUsers``: they can be many, and they are not part of the pool's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DataType = Literal["String", "Number", "DateTime", "Boolean"]
MfaConfiguration = Literal["OFF", "ON", "OPTIONAL"]


@dataclass(frozen=True, slots=True)
class AttributeSchema:
    """One attribute of the pool's schema, as DescribeUserPool reports it (``name`` with ``custom:``)."""

    name: str
    data_type: DataType = "String"
    required: bool = False
    mutable: bool = True
    developer_only: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    minimum_length: int = 8
    require_uppercase: bool = False
    require_lowercase: bool = False
    require_numbers: bool = False
    require_symbols: bool = False
    temporary_password_validity_days: int = 7
    password_history_size: int = 0  # AdminSetUserPassword refuses the last N passwords; 0 = no history


@dataclass(frozen=True, slots=True)
class GroupInfo:
    name: str
    description: str | None = None
    precedence: int | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class PoolProfile:
    """The target pool's configuration as the planner sees it."""

    pool_id: str
    pool_name: str
    region: str
    attributes: dict[str, AttributeSchema]
    csv_header: tuple[str, ...]
    username_attributes: tuple[str, ...] = ()  # "email" / "phone_number": sign in with these, not a name
    alias_attributes: tuple[str, ...] = ()  # "email" / "phone_number" / "preferred_username"
    case_sensitive: bool = True
    auto_verified_attributes: tuple[str, ...] = ()
    mfa_configuration: MfaConfiguration = "OFF"
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    groups: dict[str, GroupInfo] = field(default_factory=dict)
    has_migration_trigger: bool = False
    estimated_users: int = 0
    last_modified: str = ""  # DescribeUserPool's LastModifiedDate, ISO text: part of the plan's fingerprint

    def fold(self, username: str) -> str:
        """The form two usernames are compared in: case-folded in case-insensitive pools."""
        return username if self.case_sensitive else username.casefold()

    def fold_attribute(self, attribute: str, value: str) -> str:
        """The form two values of a unique attribute (alias or username attribute) are compared in.

        Email addresses compare without case in every pool; a preferred_username follows the pool's
        username rule; a phone number (E.164, digits only) needs no folding.
        """
        if attribute == "email":
            return value.casefold()
        if attribute == "preferred_username":
            return self.fold(value)
        return value

    def attribute(self, name: str) -> AttributeSchema | None:
        """The schema of ``name`` (``custom:`` names as DescribeUserPool spells them), or None."""
        return self.attributes.get(name)

    @property
    def required_attributes(self) -> tuple[str, ...]:
        """Attributes every user must have (``sub`` excepted: Cognito makes it)."""
        return tuple(name for name, schema in self.attributes.items() if schema.required and name != "sub")

    @property
    def unique_attributes(self) -> tuple[str, ...]:
        """Attributes no two users may share a value of: the username attributes, or the aliases."""
        return self.username_attributes or self.alias_attributes
