"""Attaching the migrate-user function to a pool, and detaching it, without changing anything else.

``deploy_trigger`` creates (or updates) three things, then attaches the function:

0. with ``secret_values`` (SQL staging's URL, a Firebase signer key), the function's secret (``secret``);
1. the execution role ``cognito-migrate-trigger-<pool-id>`` (``role``: least privilege for the staging
   table or the secret, the VPC when given, and AdminAddUserToGroup on this pool);
2. the function ``cognito-migrate-<pool-id>`` (handler ``cognito_migrate.trigger.handler.handler``,
   5 s, configured from DescribeUserPool: case sensitivity, alias and username attributes, password
   policy, and the table or the SQL staging's pool id and the secret's ARN; in the VPC when given);
3. a resource policy statement letting ``cognito-idp.amazonaws.com`` invoke it for this pool only
   (SourceArn and SourceAccount);
4. ``UpdateUserPool`` with every current setting copied (``pool_settings.update_request``) and
   ``LambdaConfig.UserMigration`` and ``LambdaConfig.PostAuthentication`` (which gives staged users
   their groups after the first sign-in) set to the function. DescribeUserPool is read again
   afterwards: a setting that changed anyway is reported in ``DeployResult.changed_settings``.

``remove_trigger`` undoes step 4 for those two triggers, where they name our function (the same
copy rule), removes the statement, and on request deletes the function, its role and its secret. Both
are safe to run again.

UNVERIFIED: nothing serialises UpdateUserPool calls, so a change someone makes to the pool between
our DescribeUserPool and UpdateUserPool (milliseconds) is overwritten; Cognito has no conditional
update.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.cleanup import (
    MANAGED_TAG,
    POOL_TAG,
    TRIGGER_PURPOSE,
    AccountScope,
    tool_tags,
)
from cognito_migrate.errors import ConfigError, RemoteError, TerminalError
from cognito_migrate.trigger import handler
from cognito_migrate.trigger.pool_settings import changed_settings, update_request
from cognito_migrate.trigger.role import RoleAccess, ensure_role
from cognito_migrate.trigger.role import delete_role as delete_role_named
from cognito_migrate.trigger.secret import delete_trigger_secret, ensure_trigger_secret

HANDLER = "cognito_migrate.trigger.handler.handler"
DEFAULT_RUNTIME = "python3.12"
DEFAULT_ARCHITECTURE = "x86_64"
# Cognito waits 5 s for a trigger whatever the function says (cognito-facts §3).
TIMEOUT_SECONDS = 5
# Lambda's CPU grows with memory: bcrypt at cost 12 takes ~0.25 s on a full vCPU but seconds at the
# 128 MB minimum, too close to Cognito's 5 s. 1,024 MB is a guess, not a measurement (UNVERIFIED).
DEFAULT_MEMORY_MB = 1024
ROLE_PREFIX = "cognito-migrate-trigger-"
FUNCTION_PREFIX = "cognito-migrate-"
POLICY_NAME = "migrate-user-trigger"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"
# A new role is not assumable by Lambda for a few seconds (IAM is eventually consistent); CreateFunction
# says so with InvalidParameterValueException. AWS gives no figure: retry for about half a minute.
ROLE_RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0, 8.0, 8.0)
# The pool triggers the function is attached as; another function in either is refused, or replaced.
TRIGGERS = ("UserMigration", "PostAuthentication")

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class DeployResult:
    pool_id: str
    pool_arn: str
    function_name: str
    function_arn: str
    role_name: str
    role_arn: str
    function_created: bool  # else its code and configuration were updated
    role_created: bool
    replaced_trigger: str | None  # a different UserMigration function the pool had before
    changed_settings: tuple[str, ...]  # other pool settings that changed (should be empty)
    replaced_post_authentication: str | None = None  # a different PostAuthentication function before


@dataclass(frozen=True)
class RemoveResult:
    pool_id: str
    function_name: str
    detached: bool  # UserMigration pointed at our function and no longer does
    other_trigger: str | None  # UserMigration names someone else's function: left alone
    permission_removed: bool
    function_deleted: bool
    role_deleted: bool
    changed_settings: tuple[str, ...]
    post_authentication_detached: bool = False


def function_name(pool_id: str) -> str:
    return _bounded(FUNCTION_PREFIX, pool_id)


def role_name(pool_id: str) -> str:
    return _bounded(ROLE_PREFIX, pool_id)


def statement_id(pool_id: str) -> str:
    return _bounded("cognito-idp-", pool_id, limit=100)


def _bounded(prefix: str, pool_id: str, *, limit: int = 64) -> str:
    # Lambda function and IAM role names stop at 64 characters; real pool ids fit, odd ones are hashed.
    name = prefix + pool_id
    return name if len(name) <= limit else prefix + hashlib.sha256(pool_id.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Staging:
    """Where the function reads staged users: a DynamoDB ``table``, or (``table`` None) the SQL staging
    database whose URL is in ``secret_values``. ``secret_values`` may also hold a Firebase signer key."""

    table: str | None
    secret_values: Mapping[str, str] = field(default_factory=dict, repr=False)
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


def function_environment(
    pool: Mapping[str, Any], table_name: str | None, *, secret_arn: str | None = None
) -> dict[str, str]:
    """The handler's configuration (``handler.Settings``) from DescribeUserPool's ``UserPool``; no
    ``table_name`` means SQL staging, the database's URL in the secret."""
    # A pool created through the API without UsernameConfiguration is case-sensitive.
    case_sensitive = (pool.get("UsernameConfiguration") or {}).get("CaseSensitive", True)
    environment = {
        **({handler.ENV_TABLE: table_name} if table_name else {handler.ENV_STAGING: handler.SQL_STAGING}),
        handler.ENV_POOL_ID: str(pool.get("Id", "")),
        handler.ENV_CASE_SENSITIVE: "true" if case_sensitive else "false",
        handler.ENV_ALIAS_ATTRIBUTES: ",".join(pool.get("AliasAttributes") or ()),
        handler.ENV_USERNAME_ATTRIBUTES: ",".join(pool.get("UsernameAttributes") or ()),
    }
    if secret_arn:
        environment[handler.ENV_SECRET_ARN] = secret_arn
    policy = (pool.get("Policies") or {}).get("PasswordPolicy")
    if policy:
        environment[handler.ENV_PASSWORD_POLICY] = json.dumps(policy, sort_keys=True)
    return environment


def deploy_trigger(
    target: AwsSettings | AccountScope,
    pool_id: str,
    function_zip: bytes | Path,
    staging: str | Staging,
    *,
    runtime: str = DEFAULT_RUNTIME,
    architecture: str = DEFAULT_ARCHITECTURE,
    memory_size: int = DEFAULT_MEMORY_MB,
    replace_trigger: bool = False,
    sleep: Sleep = time.sleep,
) -> DeployResult:
    """Create or update the function, its role and permission, and attach it as UserMigration and
    PostAuthentication. ``staging`` is the DynamoDB table's name, or a ``Staging``.

    Refuses (``ConfigError``, before creating anything) when either trigger already names another
    function, unless ``replace_trigger``.
    """
    staging = Staging(staging) if isinstance(staging, str) else staging
    scope = target if isinstance(target, AccountScope) else AccountScope.of(target)
    code = function_zip.read_bytes() if isinstance(function_zip, Path) else bytes(function_zip)
    name = function_name(pool_id)
    pool = describe_pool(scope, pool_id)
    replaced = {trigger: _other_function(pool, trigger, name) for trigger in TRIGGERS}
    for trigger, other in replaced.items():
        if other and not replace_trigger:
            what = "migrate-user" if trigger == "UserMigration" else "post-authentication"
            raise ConfigError(
                f"user pool {pool_id} already has a {what} trigger ({other}); "
                "remove it first, or deploy with replace_trigger to attach cognito-migrate's instead"
            )
    table_arn = None
    if staging.table:
        with map_cognito_errors("DescribeTable"):
            table_arn = str(
                scope.client("dynamodb").describe_table(TableName=staging.table)["Table"]["TableArn"]
            )
    secret_arn = (
        ensure_trigger_secret(scope, pool_id, staging.secret_values) if staging.secret_values else None
    )
    access = RoleAccess(name, str(pool["Arn"]), table_arn, secret_arn, in_vpc=bool(staging.subnet_ids))
    role_arn, role_created = ensure_role(scope, pool_id, role_name(pool_id), access)
    settings: dict[str, Any] = {
        "Role": role_arn,
        "Handler": HANDLER,
        "Runtime": runtime,
        "Timeout": TIMEOUT_SECONDS,
        "MemorySize": memory_size,
        "Environment": {"Variables": function_environment(pool, staging.table, secret_arn=secret_arn)},
        # An empty VpcConfig takes a function that had one back out of the VPC.
        "VpcConfig": {
            "SubnetIds": list(staging.subnet_ids),
            "SecurityGroupIds": list(staging.security_group_ids),
        },
    }
    function_arn, created = _ensure_function(scope, pool_id, name, code, architecture, settings, sleep)
    _ensure_permission(scope, pool_id, name, str(pool["Arn"]))
    before = describe_pool(scope, pool_id)  # the freshest settings to copy
    triggers = {**(before.get("LambdaConfig") or {}), **dict.fromkeys(TRIGGERS, function_arn)}
    after = _update_pool(scope, before, triggers)
    if any((after.get("LambdaConfig") or {}).get(trigger) != function_arn for trigger in TRIGGERS):
        raise TerminalError(f"UpdateUserPool: user pool {pool_id} did not keep the trigger {function_arn}")
    return DeployResult(
        pool_id=pool_id,
        pool_arn=str(pool["Arn"]),
        function_name=name,
        function_arn=function_arn,
        role_name=role_name(pool_id),
        role_arn=role_arn,
        function_created=created,
        role_created=role_created,
        replaced_trigger=replaced["UserMigration"],
        changed_settings=tuple(changed_settings(before, after)),
        replaced_post_authentication=replaced["PostAuthentication"],
    )


def remove_trigger(
    target: AwsSettings | AccountScope,
    pool_id: str,
    *,
    delete_function: bool = False,
    delete_role: bool = True,
) -> RemoveResult:
    """Detach cognito-migrate's function (UserMigration, PostAuthentication) from the pool and remove
    its permission; with ``delete_function``, delete the function (and, unless ``delete_role`` is
    false, its role).

    A trigger that is not cognito-migrate's is left attached. A pool that no longer
    exists is not an error: there is nothing to detach.
    """
    scope = target if isinstance(target, AccountScope) else AccountScope.of(target)
    name = function_name(pool_id)
    detached, post_detached, other = False, False, None
    changed: tuple[str, ...] = ()
    try:
        pool: dict[str, Any] | None = describe_pool(scope, pool_id)
    except RemoteError as exc:
        if exc.code != "ResourceNotFoundException":
            raise
        pool = None
    if pool is not None:
        triggers = dict(pool.get("LambdaConfig") or {})
        ours = [t for t in TRIGGERS if triggers.get(t) and _function_of(triggers[t]) == name]
        if ours:
            for trigger in ours:
                del triggers[trigger]
            after = _update_pool(scope, pool, triggers)
            if any((after.get("LambdaConfig") or {}).get(trigger) for trigger in ours):
                raise TerminalError(f"UpdateUserPool: user pool {pool_id} still has its trigger")
            changed = tuple(changed_settings(pool, after))
            detached, post_detached = "UserMigration" in ours, "PostAuthentication" in ours
        other = _other_function(pool, "UserMigration", name)
    lam = scope.client("lambda")
    removed = _ignore_missing("RemovePermission", lambda: lam.remove_permission(
        FunctionName=name, StatementId=statement_id(pool_id)))  # fmt: skip
    function_deleted = role_deleted = False
    if delete_function:
        function_deleted = _ignore_missing("DeleteFunction", lambda: lam.delete_function(FunctionName=name))
        if delete_role:
            role_deleted = delete_role_named(scope, role_name(pool_id))
        delete_trigger_secret(scope, pool_id)
    return RemoveResult(
        pool_id, name, detached, other, removed, function_deleted, role_deleted, changed, post_detached
    )


def describe_pool(scope: AccountScope, pool_id: str) -> dict[str, Any]:
    with map_cognito_errors("DescribeUserPool"):
        return dict(scope.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"])


def _update_pool(scope: AccountScope, pool: Mapping[str, Any], triggers: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateUserPool with every setting of ``pool`` and ``triggers``; the pool as it is afterwards."""
    idp = scope.client("cognito-idp")
    with map_cognito_errors("UpdateUserPool"):
        idp.update_user_pool(**update_request(pool, lambda_config=triggers))
    return describe_pool(scope, str(pool["Id"]))


def _other_function(pool: Mapping[str, Any], trigger: str, ours: str) -> str | None:
    """The function ``trigger`` names in ``pool`` when it is not ``ours``."""
    current = (pool.get("LambdaConfig") or {}).get(trigger)
    return str(current) if current and _function_of(str(current)) != ours else None


def _function_of(name_or_arn: str) -> str:
    # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    parts = name_or_arn.split(":")
    return parts[6] if len(parts) >= 7 and parts[5] == "function" else name_or_arn


def _ignore_missing(operation: str, call: Callable[[], Any]) -> bool:
    """Run ``call``; False when what it removes was already gone."""
    try:
        with map_cognito_errors(operation):
            call()
    except RemoteError as exc:
        if exc.code in ("ResourceNotFoundException", "NoSuchEntity"):
            return False
        raise
    return True


# ── the role ─────────────────────────────────────────────────────────────────────────────────────


# ── the function and its permission ─────────────────────────────────────────────────────────────────


def _ensure_function(
    scope: AccountScope,
    pool_id: str,
    name: str,
    code: bytes,
    architecture: str,
    settings: dict[str, Any],
    sleep: Sleep,
) -> tuple[str, bool]:
    lam = scope.client("lambda")
    try:
        with map_cognito_errors("GetFunction"):
            found = lam.get_function(FunctionName=name)
    except RemoteError as exc:
        if exc.code != "ResourceNotFoundException":
            raise
        found = None
    if found is None:
        tags = {tag["Key"]: tag["Value"] for tag in tool_tags(purpose=TRIGGER_PURPOSE, region=scope.region)}
        request = {
            **settings,
            "FunctionName": name,
            "Code": {"ZipFile": code},
            "Architectures": [architecture],
            "Tags": {**tags, POOL_TAG: pool_id},
            "Description": f"cognito-migrate: migrate-user trigger of user pool {pool_id}",
        }
        arn = str(_create_function(lam, request, sleep)["FunctionArn"])
        _wait(lam, "function_active_v2", name)
        return arn, True
    tags = found.get("Tags") or {}
    if tags.get(MANAGED_TAG) != "true" or tags.get(POOL_TAG) != pool_id:
        raise ConfigError(
            f"a Lambda function named {name} exists but cognito-migrate did not create it for user pool "
            f"{pool_id} (tags {MANAGED_TAG}=true and {POOL_TAG}={pool_id}); rename or delete it"
        )
    _wait(lam, "function_updated_v2", name)
    with map_cognito_errors("UpdateFunctionConfiguration"):
        lam.update_function_configuration(FunctionName=name, **settings)
    _wait(lam, "function_updated_v2", name)
    with map_cognito_errors("UpdateFunctionCode"):
        lam.update_function_code(FunctionName=name, ZipFile=code, Architectures=[architecture])
    _wait(lam, "function_updated_v2", name)
    return str(found["Configuration"]["FunctionArn"]), False


def _create_function(lam: Any, request: dict[str, Any], sleep: Sleep) -> dict[str, Any]:
    for delay in (*ROLE_RETRY_SECONDS, None):
        try:
            with map_cognito_errors("CreateFunction"):
                return dict(lam.create_function(**request))
        except RemoteError as exc:
            if delay is None or exc.code != "InvalidParameterValueException" or "role" not in str(exc):
                raise
            sleep(delay)  # a role made a moment ago is not assumable yet
    raise AssertionError("unreachable")


def _wait(lam: Any, waiter: str, name: str) -> None:
    with map_cognito_errors(waiter):
        lam.get_waiter(waiter).wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def _ensure_permission(scope: AccountScope, pool_id: str, name: str, pool_arn: str) -> None:
    """The statement letting Cognito invoke the function for this pool, and only this pool."""
    lam = scope.client("lambda")
    sid = statement_id(pool_id)
    wanted = {"Principal": COGNITO_PRINCIPAL, "SourceArn": pool_arn, "SourceAccount": scope.account_id}
    existing = _statement(lam, name, sid)
    if existing is not None:
        if _statement_grants(existing, wanted):
            return
        with map_cognito_errors("RemovePermission"):
            lam.remove_permission(FunctionName=name, StatementId=sid)
    with map_cognito_errors("AddPermission"):
        lam.add_permission(FunctionName=name, StatementId=sid, Action="lambda:InvokeFunction", **wanted)


def function_policy_statements(lam: Any, name: str) -> list[dict[str, Any]]:
    """The statements of the function's resource policy (none when it has no policy)."""
    try:
        with map_cognito_errors("GetPolicy"):
            policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    except RemoteError as exc:
        if exc.code == "ResourceNotFoundException":
            return []
        raise
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _statement(lam: Any, name: str, sid: str) -> dict[str, Any] | None:
    return next((s for s in function_policy_statements(lam, name) if s.get("Sid") == sid), None)


def _statement_grants(statement: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    principal = statement.get("Principal")
    service = principal.get("Service") if isinstance(principal, dict) else principal
    condition = statement.get("Condition") or {}
    source_arn = (condition.get("ArnLike") or {}).get("AWS:SourceArn")
    source_account = (condition.get("StringEquals") or {}).get("AWS:SourceAccount")
    return (
        statement.get("Effect") == "Allow"
        and service == wanted["Principal"]
        and source_arn == wanted["SourceArn"]
        and source_account == wanted["SourceAccount"]
    )
