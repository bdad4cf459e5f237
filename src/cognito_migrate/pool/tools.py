"""The console steps people script around a migration, one Cognito call each: create an app client,
enable, disable or delete a user, set a password, delete a user's attributes.

Cognito's answers that mean "you asked for something that is not there or not allowed" (no such user,
a password the policy refuses, an attribute the schema lacks or requires) become ``ConfigError``
(exit 2) with a message that names the user or the attribute. A password is passed in, sent once and
never printed, logged or returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cognito_migrate.errors import ConfigError, TerminalError
from cognito_migrate.pool.access import AwsOptions, call, pool_client
from cognito_migrate.results import CommandResult

# Cognito's codes for a request the user must change, not retry.
_USAGE_CODES = frozenset(
    {"InvalidPasswordException", "InvalidParameterException", "PasswordHistoryPolicyViolationException"}
)
REFRESH_FLOW = "ALLOW_REFRESH_TOKEN_AUTH"


def _user_call(pool_id: str, username: str, operation: str, aws: AwsOptions | None, **params: Any) -> None:
    idp = pool_client(pool_id, aws or AwsOptions())
    try:
        call(idp, operation, UserPoolId=pool_id, Username=username, **params)
    except TerminalError as exc:
        if exc.code == "UserNotFoundException":
            raise ConfigError(f"no user {username!r} in pool {pool_id}") from exc
        if exc.code in _USAGE_CODES:
            raise ConfigError(f"user {username!r} in pool {pool_id}: {_message(exc)}") from exc
        raise


def _message(exc: TerminalError) -> str:
    # "AdminSetUserPassword: InvalidPasswordException: Password does not conform …" → the last part.
    return str(exc).split(": ", 2)[-1]


def set_user_enabled(
    pool_id: str, username: str, *, enabled: bool, aws: AwsOptions | None = None
) -> CommandResult:
    """AdminEnableUser / AdminDisableUser: a disabled user cannot sign in until enabled again."""
    _user_call(pool_id, username, "AdminEnableUser" if enabled else "AdminDisableUser", aws)
    state = "enabled" if enabled else "disabled: they cannot sign in until enabled again"
    return CommandResult(f"pool user {'enable' if enabled else 'disable'}",
                         data={"pool_id": pool_id, "username": username, "enabled": enabled},
                         lines=[f"User {username} in {pool_id} {state}."])  # fmt: skip


def delete_user(pool_id: str, username: str, *, aws: AwsOptions | None = None) -> CommandResult:
    """AdminDeleteUser: the user, their attributes and group memberships are gone for good."""
    _user_call(pool_id, username, "AdminDeleteUser", aws)
    return CommandResult("pool user delete", data={"pool_id": pool_id, "username": username, "deleted": True},
                         lines=[f"User {username} deleted from {pool_id}."])  # fmt: skip


def set_password(
    pool_id: str, username: str, password: str, *, permanent: bool, aws: AwsOptions | None = None
) -> CommandResult:
    """AdminSetUserPassword. Permanent: the user is CONFIRMED and signs in with it; otherwise it is a
    temporary password to change at the next sign-in (FORCE_CHANGE_PASSWORD)."""
    if not password:
        raise ConfigError("the password is empty")
    _user_call(pool_id, username, "AdminSetUserPassword", aws, Password=password, Permanent=permanent)
    kind = "permanent password" if permanent else "temporary password (to change at the next sign-in)"
    return CommandResult("pool user set-password",
                         data={"pool_id": pool_id, "username": username, "permanent": permanent},
                         lines=[f"User {username} in {pool_id} has a new {kind}."])  # fmt: skip


def delete_attributes(
    pool_id: str, username: str, names: Sequence[str], *, aws: AwsOptions | None = None
) -> CommandResult:
    """AdminDeleteUserAttributes: the attributes' values go; the schema keeps the attributes."""
    if not names:
        raise ConfigError("name at least one attribute to delete")
    _user_call(pool_id, username, "AdminDeleteUserAttributes", aws, UserAttributeNames=list(names))
    return CommandResult("pool user delete-attribute",
                         data={"pool_id": pool_id, "username": username, "deleted_attributes": list(names)},
                         lines=[f"Deleted {', '.join(names)} of user {username} in {pool_id}."])  # fmt: skip


def create_client(
    pool_id: str, name: str, *, generate_secret: bool = False, auth_flows: Sequence[str] = (),
    aws: AwsOptions | None = None,
) -> CommandResult:  # fmt: skip
    """CreateUserPoolClient with ``auth_flows`` (``USER_PASSWORD_AUTH`` or ``ALLOW_USER_PASSWORD_AUTH``;
    refresh tokens are always allowed). The secret, if generated, is not printed."""
    request: dict[str, Any] = {"UserPoolId": pool_id, "ClientName": name, "GenerateSecret": generate_secret}
    if auth_flows:
        request["ExplicitAuthFlows"] = explicit_auth_flows(auth_flows)
    client = call(pool_client(pool_id, aws or AwsOptions()), "CreateUserPoolClient", **request)[
        "UserPoolClient"
    ]
    client_id = str(client["ClientId"])
    lines = [f"Created app client {name}: {client_id} in {pool_id}."]
    if generate_secret:
        lines.append("It has a secret (not printed): aws cognito-idp describe-user-pool-client shows it.")
    return CommandResult("pool create-client", lines=lines, data={
        "pool_id": pool_id, "client_id": client_id, "name": name, "secret_generated": generate_secret,
        "auth_flows": list(client.get("ExplicitAuthFlows") or []),
    })  # fmt: skip


def explicit_auth_flows(flows: Sequence[str]) -> list[str]:
    """``--auth-flows`` values (comma-separated or repeated, with or without ``ALLOW_``) as
    ExplicitAuthFlows, checked against the API's list, plus ALLOW_REFRESH_TOKEN_AUTH."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model("cognito-idp").shape_for("ExplicitAuthFlowsType")
    known = [value for value in getattr(shape, "enum", []) if value.startswith("ALLOW_")]
    wanted: list[str] = []
    for flow in (part.strip().upper() for value in flows for part in value.split(",") if part.strip()):
        normal = flow if flow.startswith("ALLOW_") else f"ALLOW_{flow}"
        if normal not in known:
            raise ConfigError(f"--auth-flows {flow}: not an auth flow; choose from {', '.join(known)}")
        if normal not in wanted:
            wanted.append(normal)
    # Without it no session outlives its first access token; the console always adds it.
    return wanted if REFRESH_FLOW in wanted else [*wanted, REFRESH_FLOW]
