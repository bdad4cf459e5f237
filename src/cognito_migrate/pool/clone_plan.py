"""CreateUserPool's request for a clone: the source's settings plus the changes Cognito cannot make later.

Sign-in (``UsernameAttributes`` or ``AliasAttributes``), username case sensitivity and the schema's
required attributes are fixed when a pool is created. Everything else CreateUserPool accepts is copied
from DescribeUserPool through ``trigger.pool_settings`` (the input shape decides what is copied, so a
setting AWS adds later is cloned as soon as botocore knows it).

MFA other than ``OFF`` is not set here: CreateUserPool cannot say which factors (TOTP, SMS, email) are
on, so the clone is created with MFA off and ``SetUserPoolMfaConfig`` copies GetUserPoolMfaConfig's
answer right after. The plan is pure data: ``--dry-run`` prints it, ``clone.clone_pool`` sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cognito_migrate.errors import ConfigError
from cognito_migrate.pool.schema import SchemaChanges, clone_schema, is_custom

USERNAME_ATTRIBUTES = ("email", "phone_number")
ALIAS_ATTRIBUTES = ("email", "phone_number", "preferred_username")
# Settings that name a resource the new pool must be allowed to use, and what to check.
_PERMISSION_WARNINGS = {
    "LambdaConfig": "Lambda triggers ({names}) are copied: each function's resource policy must allow "
    "cognito-idp.amazonaws.com with the new pool's ARN as SourceArn (aws lambda add-permission)",
    "SmsConfiguration": "SMS goes through the same IAM role ({names}): its trust policy must accept "
    "the same ExternalId from the new pool",
    "EmailConfiguration": "email goes through the same SES identity ({names}): its sending authorization "
    "policy must allow the new pool",
}


@dataclass(frozen=True)
class CloneChanges:
    """What the clone does differently from its source. ``None`` keeps the source's setting; an empty
    tuple of username (alias) attributes means plain usernames."""

    name: str
    username_attributes: tuple[str, ...] | None = None
    alias_attributes: tuple[str, ...] | None = None
    case_sensitive: bool | None = None
    schema: SchemaChanges = field(default_factory=SchemaChanges)


@dataclass
class ClonePlan:
    """The CreateUserPool request, the MFA setup to apply after it, and what to tell the user."""

    request: dict[str, Any]
    mfa: dict[str, Any] | None = None
    dropped_attributes: frozenset[str] = frozenset()  # described names of custom attributes left out
    changes: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_clone(
    pool: Mapping[str, Any], changes: CloneChanges, *, mfa_config: Mapping[str, Any] | None = None
) -> ClonePlan:
    """The clone of ``pool`` (DescribeUserPool's ``UserPool``) with ``changes``; ``mfa_config`` is
    GetUserPoolMfaConfig's answer, needed when the pool's MFA is not ``OFF``."""
    from cognito_migrate.trigger.pool_settings import copied_parameters, pool_settings_request

    if not changes.name.strip():
        raise ConfigError("--name: the new pool needs a name")
    request = pool_settings_request("CreateUserPool", pool)
    source_settings = dict(request)
    request["PoolName"] = changes.name
    plan = ClonePlan(request)
    plan.changes.append(f"name: {changes.name} (was: {pool.get('Name', '?')})")
    plan.changes += _sign_in_changes(pool, changes, request)
    plan.changes += _case_change(pool, changes, request)
    schema = clone_schema(pool.get("SchemaAttributes") or [], changes.schema)
    if schema.attributes:
        request["Schema"] = schema.attributes
    plan.changes += schema.changes
    plan.dropped_attributes = schema.dropped
    # What the clone keeps as it was, for the summary: settings left alone by the changes above.
    plan.copied = sorted(key for key, value in source_settings.items() if request.get(key) == value)
    described = [str(attribute["Name"]) for attribute in pool.get("SchemaAttributes") or []]
    customs = sum(1 for name in described if is_custom(name) and name not in schema.dropped)
    if customs:
        plan.copied.append(f"{customs} custom attribute(s)")
    if request.get("MfaConfiguration", "OFF") != "OFF":
        if mfa_config is None:
            raise ValueError("the pool has MFA: pass GetUserPoolMfaConfig's answer as mfa_config")
        plan.mfa = copied_parameters("SetUserPoolMfaConfig", mfa_config)
        request.pop("MfaConfiguration")
    plan.warnings += _permission_warnings(request)
    plan.warnings += _legacy_id_hint(request.get("Schema") or [])
    return plan


def _legacy_id_hint(schema: Sequence[Mapping[str, Any]]) -> list[str]:
    """The clone is usually the target of a migration, whose plan keeps each user's source id in
    ``custom:legacy_id`` by default: without that attribute every user would be rejected."""
    from cognito_migrate.mapping.mapper import DEFAULT_LEGACY_ID_ATTRIBUTE

    bare = DEFAULT_LEGACY_ID_ATTRIBUTE.removeprefix("custom:")
    if any(attribute.get("Name") == bare for attribute in schema):
        return []
    return [
        f"no {DEFAULT_LEGACY_ID_ATTRIBUTE}: a migration into this pool keeps each user's source id there "
        f"by default; add --add-custom {bare}:String, or set [strategy] legacy_id_attribute = false"
    ]


def _sign_in_changes(pool: Mapping[str, Any], changes: CloneChanges, request: dict[str, Any]) -> list[str]:
    if changes.username_attributes is not None and changes.alias_attributes is not None:
        raise ConfigError(
            "--username-attributes and --alias-attributes exclude each other: a pool signs users in "
            "either with an email/phone as username or with a username plus aliases"
        )
    was = _sign_in(pool)
    if changes.username_attributes is not None:
        wanted = _checked("--username-attributes", changes.username_attributes, USERNAME_ATTRIBUTES)
        request.pop("AliasAttributes", None)
        request.pop("UsernameAttributes", None)
        if wanted:
            request["UsernameAttributes"] = wanted
    elif changes.alias_attributes is not None:
        wanted = _checked("--alias-attributes", changes.alias_attributes, ALIAS_ATTRIBUTES)
        request.pop("AliasAttributes", None)
        request.pop("UsernameAttributes", None)
        if wanted:
            request["AliasAttributes"] = wanted
    now = _sign_in(request)
    return [] if now == was else [f"sign-in: {now} (was: {was})"]


def _sign_in(settings: Mapping[str, Any]) -> str:
    if settings.get("UsernameAttributes"):
        return "username attributes " + ", ".join(settings["UsernameAttributes"])
    if settings.get("AliasAttributes"):
        return "username with alias attributes " + ", ".join(settings["AliasAttributes"])
    return "plain username"


def _checked(option: str, names: Sequence[str], allowed: Sequence[str]) -> list[str]:
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ConfigError(f"{option}: {', '.join(unknown)} cannot be used; choose from {', '.join(allowed)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"{option}: an attribute is given twice")
    return list(names)


def _case_change(pool: Mapping[str, Any], changes: CloneChanges, request: dict[str, Any]) -> list[str]:
    # A pool described without UsernameConfiguration is case-sensitive (created through the API before
    # the setting existed, or without it); the clone says so explicitly so it cannot get another default.
    was = bool((pool.get("UsernameConfiguration") or {}).get("CaseSensitive", True))
    now = was if changes.case_sensitive is None else changes.case_sensitive
    request["UsernameConfiguration"] = {"CaseSensitive": now}
    if now == was:
        return []
    return [f"usernames: {_case(now)} (was: {_case(was)})"]


def _case(sensitive: bool) -> str:
    return "case-sensitive" if sensitive else "case-insensitive"


def _permission_warnings(request: Mapping[str, Any]) -> list[str]:
    found = {
        "LambdaConfig": ", ".join(sorted(key for key, value in (request.get("LambdaConfig") or {}).items()
                                         if key != "KMSKeyID" and value)),
        "SmsConfiguration": str((request.get("SmsConfiguration") or {}).get("SnsCallerArn") or ""),
        "EmailConfiguration": str((request.get("EmailConfiguration") or {}).get("SourceArn") or ""),
    }  # fmt: skip
    return [_PERMISSION_WARNINGS[key].format(names=names) for key, names in found.items() if names]
