"""Pool profiles, candidates and an in-memory ``ExistingUsersLike`` for the rule tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cognito_migrate.planner.profile import AttributeSchema, DataType, PoolProfile
from cognito_migrate.planner.rules import Candidate

# The standard attributes as DescribeUserPool lists them (types; strings are 0–2048 characters).
STANDARD: dict[str, DataType] = {
    "address": "String", "birthdate": "String", "email": "String", "email_verified": "Boolean",
    "family_name": "String", "gender": "String", "given_name": "String", "locale": "String",
    "middle_name": "String", "name": "String", "nickname": "String", "phone_number": "String",
    "phone_number_verified": "Boolean", "picture": "String", "preferred_username": "String",
    "profile": "String", "updated_at": "Number", "website": "String", "zoneinfo": "String",
}  # fmt: skip

BCRYPT_HASH = "$2b$12$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"


def schema(name: str, data_type: DataType = "String", **settings: Any) -> AttributeSchema:
    if data_type == "String":
        settings = {"min_length": 0, "max_length": 2048, **settings}
    return AttributeSchema(name, data_type, **settings)


def pool_profile(
    *, custom: Iterable[AttributeSchema] = (), required: Iterable[str] = (), **settings: Any
) -> PoolProfile:
    """A pool with every standard attribute, ``custom:legacy_id``, the ``custom`` ones, and ``settings``
    (alias_attributes, username_attributes, case_sensitive, auto_verified_attributes, mfa_configuration).
    Email is auto-verified unless said otherwise."""
    attributes = {name: schema(name, data_type) for name, data_type in STANDARD.items()}
    attributes["updated_at"] = schema("updated_at", "Number", min_value=0)
    attributes["sub"] = schema("sub", required=True, mutable=False, min_length=1)
    attributes["custom:legacy_id"] = schema("custom:legacy_id", max_length=64)
    for attribute in custom:
        attributes[attribute.name] = attribute
    for name in required:
        attributes[name] = AttributeSchema(**{**_fields(attributes[name]), "required": True})
    settings.setdefault("auto_verified_attributes", ("email",))
    return PoolProfile("us-east-1_rules", "rules", "us-east-1", attributes, (), **settings)


def _fields(attribute: AttributeSchema) -> dict[str, Any]:
    return {name: getattr(attribute, name) for name in AttributeSchema.__slots__}


def candidate(
    username: str = "ada", source_id: str = "1", *, mfa: bool | None = None, **attributes: str
) -> Candidate:
    """A user who passes the default pool: a verified email and the legacy id, plus ``attributes``
    (``custom__x`` stands for ``custom:x``; a value of ``""`` removes the attribute)."""
    values = {
        "email": username if "@" in username else f"user{source_id}@example.org",
        "email_verified": "true",
        "custom:legacy_id": source_id,
    }
    for name, value in attributes.items():
        values[name.replace("__", ":")] = value
    values = {name: value for name, value in values.items() if value != ""}
    return Candidate(source_id, username, values, mfa)


class MemoryExisting:
    """Users already in a pool, held in memory; compares as ``PoolProfile.fold`` / ``fold_attribute``.
    In pools that sign in by email/phone, ``username`` is the generated one and the email an attribute."""

    def __init__(self, profile: PoolProfile) -> None:
        self._profile = profile
        self._usernames: set[str] = set()
        self._holders: dict[tuple[str, str], str] = {}
        self._legacy: dict[str, str] = {}

    def add(self, username: str, **attributes: str) -> MemoryExisting:
        self._usernames.add(self._profile.fold(username))
        for name, value in attributes.items():
            if name == "custom__legacy_id":
                self._legacy[value] = username
            else:
                self._holders[name, self._profile.fold_attribute(name, value)] = username
        return self

    def has_username(self, name: str) -> bool:
        return self._profile.fold(name) in self._usernames

    def holder_of(self, attribute: str, value: str) -> str | None:
        return self._holders.get((attribute, self._profile.fold_attribute(attribute, value)))

    def by_legacy_id(self, legacy_id: str) -> str | None:
        return self._legacy.get(legacy_id)
