"""The migrate-user Lambda function: sign in legacy users by their old password, just in time.

Cognito invokes it when nobody in the pool answers to the name typed (cognito-facts §3):

- ``UserMigration_Authentication``: the user is looked up in the staging table (``layout``), the
  password checked against the legacy hash (``verify``), then against the pool's password policy.
  The answer creates the user ``CONFIRMED`` with that password, or ``RESET_REQUIRED`` when the
  password is too weak for the pool (Cognito itself never checks a migrated password).
- ``UserMigration_ForgotPassword``: no password; the user is created ``RESET_REQUIRED`` so that the
  reset code goes out.

The same function is the pool's PostAuthentication trigger: on ``PostAuthentication_Authentication``
for a staged user whose ``groups`` were not yet given, it calls AdminAddUserToGroup for each (a group
the pool lacks is skipped) and then sets ``groups_applied`` on the user item, so it happens once. A
failure leaves the flag unset (the next sign-in tries again) and never refuses the sign-in. Tokens the
first sign-in returns do not carry these groups (UNVERIFIED: Cognito builds them before this trigger).

Every answer carries the staged attributes (verified flags included) and ``messageAction: SUPPRESS``.
In a pool with alias attributes, a user who typed an alias value gets the legacy ``username``; in a
pool whose sign-in name is the email or phone (UsernameAttributes) the user is found by that value
and no ``username`` is set. An unknown user, a wrong password and a hash that cannot be verified all
raise ``MigrationDenied`` with the same message, after comparable work (an unknown user's password
is checked against a dummy bcrypt hash). Nothing is logged: the event holds the password.

Configuration, from the function's environment (``trigger deploy`` sets it from DescribeUserPool):

- ``COGNITO_MIGRATE_TABLE``: the DynamoDB staging table; or ``COGNITO_MIGRATE_STAGING=sql`` with
  ``COGNITO_MIGRATE_POOL_ID``, and the database URL in the secret (``directory``).
- ``COGNITO_MIGRATE_SECRET_ARN``: a Secrets Manager secret, JSON with ``staging_url`` (SQL staging)
  and ``firebase_signer_key`` (base64, for Firebase hashes); read once per container.
- ``COGNITO_MIGRATE_CASE_SENSITIVE``: ``true`` when the pool's usernames are case-sensitive
  (``UsernameConfiguration.CaseSensitive``); default ``false``. Must match what staging used.
- ``COGNITO_MIGRATE_ALIAS_ATTRIBUTES`` / ``COGNITO_MIGRATE_USERNAME_ATTRIBUTES``: comma-separated,
  as the pool's ``AliasAttributes`` / ``UsernameAttributes``; default none.
- ``COGNITO_MIGRATE_PASSWORD_POLICY``: JSON of the pool's ``Policies.PasswordPolicy``; default
  Cognito's (8 characters, upper, lower, number, symbol).

Module-level imports: the standard library only; boto3 (in the Lambda runtime), bcrypt and argon2
are imported on first use.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cognito_migrate.trigger import layout
from cognito_migrate.trigger.directory import UNAVAILABLE, Directory, DynamoDirectory, SqlDirectory
from cognito_migrate.trigger.verify import verify_password

AUTHENTICATION = "UserMigration_Authentication"
FORGOT_PASSWORD = "UserMigration_ForgotPassword"  # noqa: S105 - a trigger source, not a password
POST_AUTHENTICATION = "PostAuthentication_Authentication"
DENIED = "Bad username or password"

# Set (BOOL true) on the user item once its groups were given; belongs in ``layout`` (owned elsewhere).

ENV_TABLE = "COGNITO_MIGRATE_TABLE"
ENV_STAGING = "COGNITO_MIGRATE_STAGING"
ENV_POOL_ID = "COGNITO_MIGRATE_POOL_ID"
ENV_SECRET_ARN = "COGNITO_MIGRATE_SECRET_ARN"  # noqa: S105 - a variable name
SQL_STAGING = "sql"
ENV_CASE_SENSITIVE = "COGNITO_MIGRATE_CASE_SENSITIVE"
ENV_ALIAS_ATTRIBUTES = "COGNITO_MIGRATE_ALIAS_ATTRIBUTES"
ENV_USERNAME_ATTRIBUTES = "COGNITO_MIGRATE_USERNAME_ATTRIBUTES"
ENV_PASSWORD_POLICY = "COGNITO_MIGRATE_PASSWORD_POLICY"  # noqa: S105 - a variable name

MAX_PASSWORD_LENGTH = 256
# Cognito's special characters (cognito-facts §4); a space counts when it is neither first nor last.
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
# bcrypt cost 12 of a password nobody knows: an unknown user costs about what a real one does.
_DUMMY_HASH = "$2b$12$WJRNptNzDoxOeOv3REVhJ.6oXmSXhxADDvCgn57OSgpwoZEzGPQtu"


class MigrationDenied(Exception):
    """The one answer for an unknown user, a wrong password and an unverifiable hash."""

    def __init__(self) -> None:
        super().__init__(DENIED)


@dataclass(frozen=True)
class PasswordPolicy:
    minimum_length: int = 8
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True

    @classmethod
    def from_cognito(cls, policy: Mapping[str, Any]) -> PasswordPolicy:
        """From DescribeUserPool's ``Policies.PasswordPolicy``; absent keys keep Cognito's defaults."""
        default = cls()
        return cls(
            minimum_length=int(policy.get("MinimumLength", default.minimum_length)),
            require_uppercase=bool(policy.get("RequireUppercase", default.require_uppercase)),
            require_lowercase=bool(policy.get("RequireLowercase", default.require_lowercase)),
            require_numbers=bool(policy.get("RequireNumbers", default.require_numbers)),
            require_symbols=bool(policy.get("RequireSymbols", default.require_symbols)),
        )

    def accepts(self, password: str) -> bool:
        """Whether Cognito would take ``password`` as a new password in this pool.

        UNVERIFIED: that "uppercase", "lowercase" and "numbers" mean the ASCII ranges only.
        """
        if not self.minimum_length <= len(password) <= MAX_PASSWORD_LENGTH:
            return False
        if password != password.strip():  # Cognito refuses leading or trailing whitespace
            return False
        checks = (
            (self.require_uppercase, lambda c: "A" <= c <= "Z"),
            (self.require_lowercase, lambda c: "a" <= c <= "z"),
            (self.require_numbers, lambda c: "0" <= c <= "9"),
            (self.require_symbols, lambda c: c in SYMBOLS),
        )
        return all(any(map(test, password)) for required, test in checks if required)


@dataclass(frozen=True)
class Settings:
    table: str
    case_sensitive: bool = False
    alias_attributes: tuple[str, ...] = ()
    username_attributes: tuple[str, ...] = ()
    policy: PasswordPolicy = PasswordPolicy()
    staging: str = "dynamodb"
    pool_id: str = ""
    secret_arn: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        table, staging = environ.get(ENV_TABLE, ""), environ.get(ENV_STAGING, "dynamodb")
        if staging == SQL_STAGING:
            if not environ.get(ENV_POOL_ID) or not environ.get(ENV_SECRET_ARN):
                raise RuntimeError(f"SQL staging needs {ENV_POOL_ID} and {ENV_SECRET_ARN}")
        elif not table:
            raise RuntimeError(f"{ENV_TABLE} is not set")
        policy = environ.get(ENV_PASSWORD_POLICY)
        return cls(
            table=table,
            staging=staging,
            pool_id=environ.get(ENV_POOL_ID, ""),
            secret_arn=environ.get(ENV_SECRET_ARN, ""),
            case_sensitive=environ.get(ENV_CASE_SENSITIVE, "false").strip().lower() == "true",
            alias_attributes=_names(environ.get(ENV_ALIAS_ATTRIBUTES, "")),
            username_attributes=_names(environ.get(ENV_USERNAME_ATTRIBUTES, "")),
            policy=PasswordPolicy.from_cognito(json.loads(policy)) if policy else PasswordPolicy(),
        )


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


@dataclass(frozen=True)
class _Found:
    username: str
    password_hash: str
    attributes: dict[str, str]
    aliases: dict[str, str]
    by_attribute: str | None  # the alias or username attribute the typed name matched, if any


class MigrateUser:
    """The handler with its settings and staging store given (tests register one in-process):
    ``dynamodb`` (a client, for the settings' table) or any ``directory``; ``firebase_signer_key``
    (decoded) verifies Firebase hashes."""

    def __init__(
        self,
        settings: Settings,
        dynamodb: Any = None,
        cognito: Any = None,
        *,
        directory: Directory | None = None,
        firebase_signer_key: bytes | None = None,
    ) -> None:
        self.settings = settings
        self.directory = directory or DynamoDirectory(dynamodb, settings.table)
        self.cognito = cognito  # cognito-idp, for PostAuthentication; made on first need when None
        self.firebase_signer_key = firebase_signer_key

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        source = event.get("triggerSource")
        if source == POST_AUTHENTICATION:
            self._apply_groups(event)
            return event
        typed = event.get("userName")
        if source not in (AUTHENTICATION, FORGOT_PASSWORD) or not isinstance(typed, str) or not typed:
            raise MigrationDenied
        found = self._find(typed)
        response: dict[str, Any] = event.setdefault("response", {})
        if source == AUTHENTICATION:
            password = (event.get("request") or {}).get("password")
            if not isinstance(password, str):
                raise MigrationDenied
            if found is None:
                verify_password(_DUMMY_HASH, password)
                raise MigrationDenied
            if not verify_password(
                found.password_hash, password, firebase_signer_key=self.firebase_signer_key
            ):
                raise MigrationDenied
            weak = not self.settings.policy.accepts(password)
            response["finalUserStatus"] = "RESET_REQUIRED" if weak else "CONFIRMED"
        else:
            if found is None:
                raise MigrationDenied
            response["finalUserStatus"] = "RESET_REQUIRED"
        response["userAttributes"] = self._attributes(found, typed)
        response["messageAction"] = "SUPPRESS"
        return event

    # ── groups after sign-in ────────────────────────────────────────────────────────────────────────

    def _apply_groups(self, event: Mapping[str, Any]) -> None:
        pool_id, username = event.get("userPoolId"), event.get("userName")
        if not isinstance(pool_id, str) or not isinstance(username, str):
            return
        key, item = self._staged_item(username, (event.get("request") or {}).get("userAttributes") or {})
        if item is None or item.get(layout.GROUPS_APPLIED, {}).get("BOOL"):
            return
        groups = [g["S"] for g in item.get(layout.GROUPS, {}).get("L", []) if isinstance(g.get("S"), str)]
        try:
            cognito = self.cognito or self._cognito_client()
            for group in groups:
                try:
                    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
                except Exception as exc:
                    if _error_code(exc) != "ResourceNotFoundException":  # no such group: skipped
                        raise
            self.directory.mark_groups_applied(key)
        except Exception:  # noqa: S110 - the flag stays unset: the next sign-in tries again
            pass

    def _staged_item(self, username: str, attributes: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
        """The user item's key and the item of the user Cognito knows as ``username``."""
        settings = self.settings
        if not settings.username_attributes:
            key = layout.user_key(username, settings.case_sensitive)
            return key, self._get_quietly(key)
        # The pool's username is a generated id: the user is found by the email or phone signed in with.
        for attribute in settings.username_attributes:
            value = attributes.get(attribute)
            if not isinstance(value, str) or not value:
                continue
            ref = self._get_quietly(layout.alias_key(attribute, value, settings.case_sensitive))
            key = (ref or {}).get(layout.USER_REF, {}).get("S")
            if isinstance(key, str):
                return key, self._get_quietly(key)
        return "", None

    def _get_quietly(self, key: str) -> dict[str, Any] | None:
        try:
            return self._get(key)
        except RuntimeError:
            return None

    def _cognito_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 3, "mode": "standard"})
        self.cognito = boto3.client("cognito-idp", config=config)
        return self.cognito

    # ── lookup ──────────────────────────────────────────────────────────────────────────────────

    def _find(self, typed: str) -> _Found | None:
        settings = self.settings
        if not settings.username_attributes:
            item = self._get(layout.user_key(typed, settings.case_sensitive))
            if item is not None:
                return _found(item, None)
        for attribute in settings.username_attributes or settings.alias_attributes:
            if not _could_be(attribute, typed):
                continue
            ref = self._get(layout.alias_key(attribute, typed, settings.case_sensitive))
            user_ref = (ref or {}).get(layout.USER_REF, {}).get("S")
            item = self._get(user_ref) if isinstance(user_ref, str) else None
            if item is not None:
                return _found(item, attribute)
        return None

    def _get(self, key: str) -> dict[str, Any] | None:
        return self.directory.get(key)

    def _attributes(self, found: _Found, typed: str) -> dict[str, str]:
        attributes = dict(found.attributes)
        attribute = found.by_attribute
        if attribute is not None:
            # The value the user typed is the alias (or the sign-in name) the pool will know them by.
            attributes[attribute] = found.aliases.get(attribute) or typed
            if attribute in self.settings.alias_attributes and not self.settings.username_attributes:
                attributes["username"] = found.username
        return attributes


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(((response or {}).get("Error") or {}).get("Code", "")) if isinstance(response, dict) else ""


def _could_be(attribute: str, typed: str) -> bool:
    if attribute == "email":
        return "@" in typed
    if attribute == "phone_number":
        return typed.startswith("+")
    return attribute == "preferred_username"


def _found(item: Mapping[str, Any], by_attribute: str | None) -> _Found:
    def strings(name: str) -> dict[str, str]:
        raw = item.get(name, {}).get("M", {})
        return {key: value["S"] for key, value in raw.items() if "S" in value}

    return _Found(
        username=str(item.get(layout.USERNAME, {}).get("S", "")),
        password_hash=str(item.get(layout.HASH, {}).get("S", "")),
        attributes=strings(layout.ATTRIBUTES),
        aliases=strings(layout.ALIASES),
        by_attribute=by_attribute,
    )


_default: MigrateUser | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (``cognito_migrate.trigger.handler.handler``)."""
    global _default
    if _default is None:
        _default = _from_environment()
    return _default(event, context)


def _from_environment() -> MigrateUser:
    """Built once per container: later invocations reuse the clients and their connections."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 3, "mode": "standard"})
    settings = Settings.from_environ(os.environ)
    secret = _read_secret(boto3.client("secretsmanager", config=config), settings.secret_arn)
    directory: Directory
    if settings.staging == SQL_STAGING:
        directory = SqlDirectory(str(secret.get("staging_url", "")), settings.pool_id)
    else:
        directory = DynamoDirectory(boto3.client("dynamodb", config=config), settings.table)
    signer_key = secret.get("firebase_signer_key")
    return MigrateUser(
        settings,
        directory=directory,
        firebase_signer_key=base64.b64decode(signer_key) if isinstance(signer_key, str) else None,
    )


def _read_secret(secretsmanager: Any, arn: str) -> dict[str, Any]:
    if not arn:
        return {}
    try:
        value = json.loads(secretsmanager.get_secret_value(SecretId=arn)["SecretString"])
    except Exception as exc:  # the secret's name and the service's text stay out of the answer
        raise RuntimeError(UNAVAILABLE) from exc
    return value if isinstance(value, dict) else {}
