"""Typed models of ``migration.toml``: ``[source]``, ``[target]``, ``[attributes]``, ``[strategy]``.

Every model forbids unknown keys, so a typo is an error that names the key instead of a setting that
silently does nothing. Each field's description is what the error message says was expected.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

# Cognito's standard (OIDC) attributes a migration may write; `sub` is Cognito's own and never written.
STANDARD_ATTRIBUTES = frozenset(
    {
        "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name",
        "locale", "middle_name", "name", "nickname", "phone_number", "phone_number_verified",
        "picture", "preferred_username", "profile", "updated_at", "website", "zoneinfo",
    }
)  # fmt: skip
# Cognito limits a custom attribute's name to 1–20 characters after the prefix.
CUSTOM_ATTRIBUTE = re.compile(r"^custom:[\w.:-]{1,20}$")
TRANSFORMS = frozenset({"strip", "lower", "upper", "boolean", "e164", "date", "epoch-seconds"})
POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
CATEGORY_RATE = Annotated[float, Field(gt=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# ── [source] ─────────────────────────────────────────────────────────────────────────────────────────


class JupyterHubSource(_Section):
    """A JupyterHub database with NativeAuthenticator's ``users_info`` table."""

    type: Literal["jupyterhub"]
    database: str = Field(description="a path to jupyterhub.sqlite, or a SQLAlchemy database URL")
    # Multiples of 365 count calendar years and multiples of 30 calendar months, as the portal's SQLite
    # date(current_date, '-1 year') does, so the defaults select exactly what the portal's SQL selected.
    last_active_within_days: Annotated[int, Field(gt=0)] | Literal[False] = Field(
        365,
        description="a number of days (365: one calendar year), or false to keep users however long "
        "ago they were active",
    )
    drop_abandoned: bool = Field(
        True, description="true to leave out accounts never used more than a day after creation"
    )
    new_account_days: int = Field(
        30,
        ge=0,
        description="a number of days (30: one calendar month; 0: no account is new); younger accounts "
        "skip the 2FA and authorization rules",
    )
    require_2fa: bool = Field(True, description="true to keep only older accounts that set up 2FA")
    require_authorized: bool = Field(True, description="true to keep only older authorized accounts")
    admin_group: Annotated[str, Field(min_length=1)] | Literal[False] = Field(
        "admin", description="the group hub admins join, or false for none"
    )


class SqlSource(_Section):
    """Any SQLAlchemy database: a table or a query, one row per user."""

    type: Literal["sql"]
    url: str = Field(description="a SQLAlchemy URL such as postgresql+psycopg://user@host/db")
    table: str | None = Field(None, description="a table name (or give query)")
    query: str | None = Field(None, description="a SELECT returning one row per user (or give table)")
    id_column: str = Field("id", description="the column with a stable, unique user id")
    username_column: str = Field("username", description="the column with the user name")
    password_hash_column: str | None = Field(None, description="the column with the password hash")
    enabled_column: str | None = Field(None, description="a boolean column, false for disabled users")
    groups_column: str | None = Field(None, description="a column with comma-separated group names")
    batch_size: int = Field(1000, gt=0, le=100_000, description="rows fetched per round trip")

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSource:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
        return self


class FirebaseHashParameters(_Section):
    """A Firebase project's password hash parameters (console: Authentication → Users → ⋮ → Password
    hash parameters). The signer key is a secret: it stays out of the plan file, in an environment
    variable that only ``trigger deploy`` reads."""

    rounds: int = Field(ge=1, le=64, description="the parameters' rounds, e.g. 8")
    mem_cost: int = Field(ge=1, le=20, description="the parameters' mem_cost, e.g. 14")
    salt_separator: str = Field(description="the parameters' base64_salt_separator, e.g. 'Bw=='")
    signer_key_env: str = Field(
        "FIREBASE_SIGNER_KEY", description="the environment variable holding base64_signer_key"
    )


class FileSource(_Section):
    """A CSV or JSON Lines file, including Cognito's own import CSV and common backup formats."""

    type: Literal["csv", "jsonl"]
    path: Path = Field(description="the file's path, relative to the plan file")
    format: Literal[
        "auto",
        "plain",
        "cognito-csv",
        "cognito-list-users",
        "cognito-backup-restore",
        "cognito-backup",
        "firebase",
    ] = Field("auto", description="which layout the file has")
    firebase_hash: FirebaseHashParameters | None = Field(
        None, description="the Firebase project's password hash parameters, for format firebase"
    )
    encoding: str = Field("utf-8", description="the file's text encoding")
    id_field: str = Field("id", description="the field with a stable, unique user id")
    username_field: str = Field("username", description="the field with the user name")
    password_hash_field: str | None = Field(None, description="the field with the password hash")
    enabled_field: str | None = Field(None, description="a boolean field, false for disabled users")
    groups_field: str | None = Field(
        None, description="a field with group names (comma-separated text, or a JSON list)"
    )
    # Not stripped like other strings: a tab is a delimiter people use.
    delimiter: Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=1)] = Field(
        ",", description="the CSV delimiter, one character"
    )
    groups_path: Path | None = Field(
        None, description="cognito-backup's groups file; by default <pool>_groups.json beside the users"
    )


class CognitoSource(_Section):
    """Another user pool, on AWS or a local Cognito."""

    type: Literal["cognito"]
    pool_id: str = Field(description="the source pool's id, like us-east-1_AbCdEf123")
    region: str | None = Field(None, description="the source pool's AWS Region")
    profile: str | None = Field(None, description="an AWS profile name for the source account")
    endpoint_url: str | None = Field(None, description="an http(s) URL, for a local Cognito")
    include_groups: bool = Field(True, description="true to bring groups and memberships along")
    read_mfa_settings: bool = Field(
        False, description="true to read each user's MFA settings (one AdminGetUser call per user)"
    )

    @field_validator("pool_id")
    @classmethod
    def _pool_id(cls, value: str) -> str:
        return _check_pool_id(value)


SourceConfig = Annotated[
    JupyterHubSource | SqlSource | FileSource | CognitoSource, Field(discriminator="type")
]


def _check_quota_category(name: str) -> str:
    from cognito_migrate.aws.quotas import quota_category_named
    from cognito_migrate.errors import ConfigError

    try:
        quota_category_named(name)
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix(f"quota {name!r}: ")) from exc
    return name


# ── [target] ─────────────────────────────────────────────────────────────────────────────────────────


class TargetConfig(_Section):
    """The user pool users move into, and how to reach it."""

    pool_id: str = Field(description="the target pool's id, like us-east-1_AbCdEf123")
    region: str | None = Field(None, description="an AWS Region such as eu-west-1")
    profile: str | None = Field(None, description="an AWS profile name from ~/.aws/config")
    endpoint_url: str | None = Field(None, description="an http(s) URL, for a local Cognito")
    retry_mode: Literal["standard", "adaptive"] = Field("standard", description="botocore's retry mode")
    max_attempts: int = Field(8, ge=1, le=20, description="attempts per call, from 1 to 20")
    quotas: dict[Annotated[str, AfterValidator(_check_quota_category)], CATEGORY_RATE] = Field(
        default_factory=dict,
        description="requests per second per quota category, e.g. UserCreation = 100",
    )
    burst_seconds: float = Field(0.2, gt=0, le=5, description="seconds of quota a burst may use")

    @field_validator("pool_id")
    @classmethod
    def _pool_id(cls, value: str) -> str:
        return _check_pool_id(value)

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("expected an http:// or https:// URL")
        return value


def _check_pool_id(value: str) -> str:
    if not POOL_ID.match(value):
        raise ValueError("expected a user pool id like us-east-1_AbCdEf123")
    return value


# ── [attributes] ─────────────────────────────────────────────────────────────────────────────────────


class AttributeSpec(_Section):
    """Where one Cognito attribute's value comes from. A bare string in the file means ``field``."""

    field: str | None = Field(None, description="the source field to copy")
    literal: str | None = Field(None, description="a fixed value")
    template: str | None = Field(None, description="a template such as '{first} {last}'")
    callable: str | None = Field(
        None, pattern=r"^[\w.]+:[\w.]+$", description="a Python hook as package.module:function"
    )
    transforms: tuple[str, ...] = Field((), description=f"a list from {sorted(TRANSFORMS)}")
    default: str | None = Field(None, description="the value when the source has none")

    @model_validator(mode="before")
    @classmethod
    def _bare_string_is_a_field(cls, value: Any) -> Any:
        return {"field": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _exactly_one_origin(self) -> AttributeSpec:
        given = [name for name in ("field", "literal", "template", "callable") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of field, literal, template or callable")
        return self

    @field_validator("transforms")
    @classmethod
    def _known_transforms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for transform in value:
            # Transforms may carry an argument after a colon, e.g. "e164:GB" or "date:%d.%m.%Y".
            if transform.split(":", 1)[0] not in TRANSFORMS:
                raise ValueError(f"unknown transform {transform!r}; expected one of {sorted(TRANSFORMS)}")
        return value


def check_attribute_name(name: str) -> str:
    """Attribute names a migration may write: the standard ones, or ``custom:NAME``."""
    if name in STANDARD_ATTRIBUTES or CUSTOM_ATTRIBUTE.match(name):
        return name
    if name == "sub":
        raise ValueError("'sub' is assigned by Cognito and cannot be migrated; keep the legacy id in custom:")
    close = difflib.get_close_matches(name, sorted(STANDARD_ATTRIBUTES), n=1)
    raise ValueError(
        "expected a standard Cognito attribute or custom:NAME (NAME of 1 to 20 characters)"
        + (f"; did you mean {close[0]!r}?" if close else "")
    )


# ── [strategy] ───────────────────────────────────────────────────────────────────────────────────────


class StrategyConfig(_Section):
    """How users move: which method, what happens to passwords and to users already in the pool."""

    method: Literal["auto", "csv-import", "admin", "jit"] = Field(
        "auto", description="auto, csv-import, admin or jit"
    )
    without_hash: Literal["reset-required", "temporary-password", "permanent-password"] = Field(
        "reset-required",
        description="what users without a usable hash get: reset-required, temporary-password "
        "or permanent-password",
    )
    on_existing: Literal["skip", "update", "fail"] = Field(
        "skip", description="what to do with a user the pool already has: skip, update or fail"
    )
    send_invitations: bool = Field(
        False, description="true to let Cognito email or text an invitation (50 emails a day by default)"
    )
    legacy_id_attribute: str | Literal[False] = Field(
        "custom:legacy_id", description="a custom: attribute that keeps the source id, or false"
    )
    credentials_file: Path | None = Field(
        None, description="where temporary passwords are written (0600), relative to the plan file"
    )
    journal: Path | None = Field(None, description="the journal's path; by default next to the plan file")
    workers: int = Field(8, ge=1, le=64, description="concurrent API calls, from 1 to 64")
    username_policy: str | None = Field(None, description="a regular expression new usernames must match")
    grandfathered_usernames: tuple[str, ...] = Field(
        (), description="usernames allowed even though they break username_policy"
    )

    @field_validator("legacy_id_attribute")
    @classmethod
    def _custom(cls, value: str | Literal[False]) -> str | Literal[False]:
        if value is not False and not CUSTOM_ATTRIBUTE.match(value):
            raise ValueError("expected custom:NAME (NAME of 1 to 20 characters), or false")
        return value

    @field_validator("username_policy")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


# ── the whole file ───────────────────────────────────────────────────────────────────────────────────


# ── [trigger] ────────────────────────────────────────────────────────────────────────────────────────


class TriggerConfig(_Section):
    """Where the migrate-user function finds the just-in-time users, and how it reaches them."""

    staging: Literal["dynamodb", "sql"] = Field(
        "dynamodb", description="dynamodb (a table per pool), or sql (a table in your database)"
    )
    staging_url_env: str = Field(
        "COGNITO_MIGRATE_STAGING_URL",
        description="for staging = sql: the environment variable holding the database's SQLAlchemy URL "
        "(it holds a password, so it stays out of this file)",
    )
    subnet_ids: list[str] = Field(
        default_factory=list, description="VPC subnets for the function, to reach a private database"
    )
    security_group_ids: list[str] = Field(
        default_factory=list, description="security groups for the function, with subnet_ids"
    )

    @model_validator(mode="after")
    def _vpc_both_or_neither(self) -> TriggerConfig:
        if bool(self.subnet_ids) != bool(self.security_group_ids):
            raise ValueError("give subnet_ids and security_group_ids together, or neither")
        return self


class MigrationConfig(_Section):
    """A whole ``migration.toml``. ``path`` and ``checksum`` are filled by the loader."""

    source: SourceConfig
    target: TargetConfig
    attributes: dict[Annotated[str, AfterValidator(check_attribute_name)], AttributeSpec] = Field(
        default_factory=dict
    )
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)  # type: ignore[arg-type]
    trigger: TriggerConfig = Field(default_factory=TriggerConfig)  # type: ignore[arg-type]
    path: Path | None = Field(None, exclude=True)
    checksum: str | None = Field(None, exclude=True)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, relative: Path) -> Path:
        """A path from the file, taken relative to the plan file's folder as users expect."""
        return relative if relative.is_absolute() else self.base_dir / relative
