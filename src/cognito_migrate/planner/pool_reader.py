"""Read the target pool once into a ``PoolProfile``: DescribeUserPool, GetCSVHeader and ListGroups.

Three kinds of call, ``1 + 1 + ceil(groups / 60)`` in all (UserPoolRead and UserPoolResourceRead
quotas); the client the caller passes is already paced by the account's rate limiter. Everything the
planner's rules need afterwards is plain data in the profile.

::

    idp = settings.client("cognito-idp", rate_limiter=limiter)
    profile = read_pool_profile(idp, "eu-west-1_AbC123", region="eu-west-1")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, cast

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.errors import ConfigError, TerminalError
from cognito_migrate.planner.profile import (
    AttributeSchema,
    DataType,
    GroupInfo,
    MfaConfiguration,
    PasswordPolicy,
    PoolProfile,
)

GROUP_PAGE_SIZE = 60  # ListGroups accepts a Limit of at most 60

# Cognito's standard attributes with their defaults, as the real DescribeUserPool lists them for every
# pool. moto lists only the attributes given in CreateUserPool's Schema when one is given, so the
# profile fills in the rest from here: a rule asking "does this pool know `locale`?" must get the same
# answer from the local Cognito as from AWS. Attributes DescribeUserPool does report win.
_PLAIN_STRINGS = (
    "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile",
    "picture", "website", "email", "gender", "zoneinfo", "locale", "phone_number", "address",
)  # fmt: skip
STANDARD_ATTRIBUTES: Mapping[str, AttributeSchema] = {
    schema.name: schema
    for schema in (
        AttributeSchema("sub", required=True, mutable=False, min_length=1, max_length=2048),
        *(AttributeSchema(name, min_length=0, max_length=2048) for name in _PLAIN_STRINGS),
        AttributeSchema("email_verified", data_type="Boolean"),
        AttributeSchema("phone_number_verified", data_type="Boolean"),
        AttributeSchema("birthdate", min_length=10, max_length=10),
        AttributeSchema("updated_at", data_type="Number", min_value=0),
    )
}

_DATA_TYPES = frozenset({"String", "Number", "DateTime", "Boolean"})
_MFA = frozenset({"OFF", "ON", "OPTIONAL"})


def describe_pool(idp: Any, pool_id: str, *, setting: str, region: str) -> dict[str, Any]:
    """DescribeUserPool's ``UserPool``; a pool that does not exist is a ``ConfigError`` naming
    ``setting`` (where the id came from) and the Region."""
    try:
        with map_cognito_errors("DescribeUserPool"):
            pool: dict[str, Any] = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    except TerminalError as exc:
        if exc.code != "ResourceNotFoundException":
            raise
        raise ConfigError(
            f"{setting} {pool_id!r}: no such user pool in Region {region} "
            "(check the pool id, --region and --profile)"
        ) from exc
    return pool


def read_pool_profile(
    idp: Any, pool_id: str, *, region: str, group_page_size: int = GROUP_PAGE_SIZE
) -> PoolProfile:
    """Describe the pool ``pool_id``: schema, sign-in settings, MFA, password policy, CSV header, groups.

    ``idp`` is a cognito-idp client (``AwsSettings.client("cognito-idp", rate_limiter=...)``);
    ``group_page_size`` (1–60) exists for tests that need ListGroups to page. A pool
    that does not exist is a ``ConfigError`` naming ``[target] pool_id`` and the Region; other failures
    are the ``TransientError`` / ``TerminalError`` of ``map_cognito_errors``.
    """
    pool = describe_pool(idp, pool_id, setting="[target] pool_id", region=region)
    with map_cognito_errors("GetCSVHeader"):
        header = idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"]
    return profile_from_description(
        pool,
        csv_header=tuple(header),
        groups=list(_groups(idp, pool_id, group_page_size)),
        pool_id=pool_id,
        region=region,
    )


def profile_from_description(
    pool: Mapping[str, Any],
    *,
    csv_header: tuple[str, ...],
    groups: list[GroupInfo],
    pool_id: str,
    region: str,
) -> PoolProfile:
    """The profile from DescribeUserPool's ``UserPool`` (a pure function, so it is tested without
    a server for shapes the local Cognito never produces)."""
    attributes = dict(STANDARD_ATTRIBUTES)
    for raw in pool.get("SchemaAttributes") or ():
        schema = attribute_schema(raw)
        attributes[schema.name] = schema
    # UsernameConfiguration is absent from pools created through the API without it, and those pools
    # are case-sensitive (the API's default; only the console defaults to case-insensitive).
    case_sensitive = bool((pool.get("UsernameConfiguration") or {}).get("CaseSensitive", True))
    mfa = str(pool.get("MfaConfiguration") or "OFF")
    return PoolProfile(
        pool_id=pool_id,
        pool_name=str(pool.get("Name", "")),
        region=region,
        attributes=attributes,
        csv_header=csv_header,
        username_attributes=tuple(pool.get("UsernameAttributes") or ()),
        alias_attributes=tuple(pool.get("AliasAttributes") or ()),
        case_sensitive=case_sensitive,
        auto_verified_attributes=tuple(pool.get("AutoVerifiedAttributes") or ()),
        mfa_configuration=cast("MfaConfiguration", mfa if mfa in _MFA else "OFF"),
        password_policy=password_policy((pool.get("Policies") or {}).get("PasswordPolicy") or {}),
        groups={group.name: group for group in groups},
        has_migration_trigger=bool((pool.get("LambdaConfig") or {}).get("UserMigration")),
        estimated_users=int(pool.get("EstimatedNumberOfUsers") or 0),
        last_modified=_iso(pool.get("LastModifiedDate")),
    )


def attribute_schema(raw: Mapping[str, Any]) -> AttributeSchema:
    """One ``SchemaAttributeType``. Constraints arrive as decimal strings (up to 2^1023, per the API
    reference); Python's ints hold them exactly."""
    strings = raw.get("StringAttributeConstraints") or {}
    numbers = raw.get("NumberAttributeConstraints") or {}
    data_type = str(raw.get("AttributeDataType") or "String")
    return AttributeSchema(
        name=str(raw["Name"]),
        data_type=cast("DataType", data_type if data_type in _DATA_TYPES else "String"),
        required=bool(raw.get("Required", False)),
        mutable=bool(raw.get("Mutable", True)),
        developer_only=bool(raw.get("DeveloperOnlyAttribute", False)),
        min_length=_int(strings.get("MinLength")),
        max_length=_int(strings.get("MaxLength")),
        min_value=_int(numbers.get("MinValue")),
        max_value=_int(numbers.get("MaxValue")),
    )


def password_policy(raw: Mapping[str, Any]) -> PasswordPolicy:
    """``Policies.PasswordPolicy``; what the pool leaves out keeps Cognito's default."""
    default = PasswordPolicy()
    return PasswordPolicy(
        minimum_length=int(raw.get("MinimumLength", default.minimum_length)),
        require_uppercase=bool(raw.get("RequireUppercase", default.require_uppercase)),
        require_lowercase=bool(raw.get("RequireLowercase", default.require_lowercase)),
        require_numbers=bool(raw.get("RequireNumbers", default.require_numbers)),
        require_symbols=bool(raw.get("RequireSymbols", default.require_symbols)),
        temporary_password_validity_days=int(
            raw.get("TemporaryPasswordValidityDays", default.temporary_password_validity_days)
        ),
        password_history_size=int(raw.get("PasswordHistorySize") or 0),
    )


def _groups(idp: Any, pool_id: str, page_size: int) -> Iterator[GroupInfo]:
    token: str | None = None
    while True:
        params: dict[str, Any] = {"UserPoolId": pool_id, "Limit": page_size}
        if token:
            params["NextToken"] = token
        with map_cognito_errors("ListGroups"):
            page = idp.list_groups(**params)
        for group in page.get("Groups", ()):
            yield GroupInfo(
                name=group["GroupName"],
                description=group.get("Description") or None,
                precedence=group.get("Precedence"),
                role_arn=group.get("RoleArn") or None,
            )
        token = page.get("NextToken")
        if not token:
            return


def _int(value: object) -> int | None:
    if value is None or value == "":
        return None
    return int(str(value))


def _iso(value: object) -> str:
    # botocore parses the timestamp into a datetime; keep text as it came if it did not.
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)
