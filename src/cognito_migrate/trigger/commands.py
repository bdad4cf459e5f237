"""The ``trigger`` commands as library calls: stage the plan's jit users, deploy the function, remove it.

All three read the plan file for the pool and the AWS settings (flags override ``[target]``). The
staging table is ``cognito-migrate-<pool-id>`` (``staging_table_name``): ``stage`` creates it when
missing, ``deploy`` needs it. With ``[trigger] staging = "sql"`` the users go to the table
``cognito_migrate_staging`` of the database whose URL is in ``[trigger] staging_url_env`` instead
(``sql_staging``), and ``deploy`` hands that URL to the function in its secret, with a Firebase
project's signer key when ``[source.firebase_hash]`` is set (``secret``).

Usernames are folded as the pool does (``UsernameConfiguration``; a pool without one is
case-sensitive), the same rule ``deploy`` gives the function.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.session import AwsSettings, settings_for_target
from cognito_migrate.config import MigrationConfig, load_plan_file
from cognito_migrate.errors import ConfigError, RemoteError
from cognito_migrate.planner.plan import default_plan_dir
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.results import CommandResult, Outcome
from cognito_migrate.strategies.followups import FollowUpRunner
from cognito_migrate.trigger.plan_users import jit_users_path, read_plan_users, staged_user
from cognito_migrate.trigger.staging import StagedUser, create_staging_table, stage_users

TABLE_PREFIX = "cognito-migrate-"
BUILT_ZIP = "trigger-function.zip"  # where ``deploy --build`` writes the zip, in the plan directory


def staging_table_name(pool_id: str) -> str:
    """The staging table of a pool; DynamoDB allows 255 characters, so any pool id fits."""
    return TABLE_PREFIX + pool_id


def _target(
    plan_file: Path, profile: str | None, region: str | None, endpoint_url: str | None
) -> tuple[MigrationConfig, AwsSettings]:
    config = load_plan_file(plan_file)
    settings = settings_for_target(config.target, profile=profile, region=region, endpoint_url=endpoint_url)
    return config, settings


def stage_command(
    plan_file: Path,
    *,
    plan_dir: Path | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CommandResult:
    """Write the saved plan's just-in-time users to the pool's staging table (created if missing).

    Staging again overwrites each user's item with the plan's (a user whose groups were given is
    given them again at the next sign-in; AdminAddUserToGroup is harmless when already a member).
    Disabled users are not staged: the migrate-user trigger can only create enabled users.
    """
    config, settings = _target(plan_file, profile, region, endpoint_url)
    saved = SavedPlan.load(plan_dir or default_plan_dir(config))
    pool_id = config.target.pool_id
    saved.check_current(config.checksum, pool_id)
    path = jit_users_path(saved.plan_dir, saved.manifest)
    users: list[StagedUser] = []
    disabled: list[str] = []
    if path is not None:
        check_digest(path, saved.manifest)
        for number, record in enumerate(read_plan_users(path), start=1):
            if record.get("enabled", True) is False:
                disabled.append(str(record.get("username") or record.get("source_id")))
                continue
            users.append(staged_user(record, where=f"{path.name} line {number}: "))
    idp = settings.client("cognito-idp")
    with map_cognito_errors("DescribeUserPool"):
        pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    case_sensitive = bool((pool.get("UsernameConfiguration") or {}).get("CaseSensitive", True))
    # The function adds users to their groups after sign-in and skips a group the pool lacks: create the
    # staged users' groups now, with the source's definitions, as apply does for its users.
    needed = {group for user in users for group in user.groups}
    created_groups = FollowUpRunner(idp, pool_id).ensure_groups(saved.groups, needed)
    try:
        if config.trigger.staging == "sql":
            from cognito_migrate.trigger.directory import SQL_TABLE
            from cognito_migrate.trigger.sql_staging import stage_users_sql

            url = staging_url(config)
            staged, created = stage_users_sql(url, pool_id, users, case_sensitive=case_sensitive)
            table, where = SQL_TABLE, f"table {SQL_TABLE} of {_shown(url)}"
        else:
            dynamodb = settings.client("dynamodb")
            table = staging_table_name(pool_id)
            created = _ensure_table(dynamodb, table)
            staged = stage_users(dynamodb, table, users, case_sensitive=case_sensitive)
            where = f"DynamoDB table {table}"
    except ValueError as exc:  # two users folding to one name, an attribute that cannot be an alias
        raise ConfigError(f"{path}: {exc}") from None
    lines = [f"{staged.users} just-in-time users staged in {where}" + (" (created)" if created else "")]
    if created_groups:
        lines.append(f"created groups: {', '.join(created_groups)}")
    if disabled:
        lines.append(f"{len(disabled)} disabled users not staged (the trigger cannot create them disabled)")
    for username, attribute in staged.conflicting_aliases:
        lines.append(f"{username}: {attribute} not staged as a sign-in alias (another user has it)")
    if users:
        lines.append("Next: cognito-migrate trigger deploy --zip FUNCTION.zip")
    else:
        lines.append("The saved plan has no just-in-time users.")
    return CommandResult(
        command="trigger stage",
        outcome=Outcome.OK,
        data={
            "pool_id": pool_id,
            "table": table,
            "table_created": created,
            "case_sensitive": case_sensitive,
            "staged": staged.users,
            "groups_created": created_groups,
            "disabled_not_staged": len(disabled),
            "conflicting_aliases": [list(pair) for pair in staged.conflicting_aliases],
        },
        lines=lines,
    )


def deploy_command(
    plan_file: Path,
    *,
    function_zip: Path | None = None,
    build: bool = False,
    replace_trigger: bool = False,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CommandResult:
    """Deploy the function from ``function_zip`` (or, with ``build``, a zip built now into the plan
    directory) and attach it (``deploy.deploy_trigger``)."""
    from cognito_migrate.trigger.deploy import DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, Staging, deploy_trigger

    config, settings = _target(plan_file, profile, region, endpoint_url)
    pool_id = config.target.pool_id
    secret_values = firebase_secret(config)
    table: str | None = staging_table_name(pool_id)
    if config.trigger.staging == "sql":
        from cognito_migrate.trigger.directory import SQL_TABLE
        from cognito_migrate.trigger.sql_staging import staging_table_exists

        url = staging_url(config)
        if not staging_table_exists(url):
            raise ConfigError(f"no table {SQL_TABLE} in {_shown(url)}; run cognito-migrate trigger stage")
        secret_values["staging_url"] = url
        table = None
    elif not _table_exists(settings.client("dynamodb"), str(table)):
        raise ConfigError(
            f"no staging table {table} for user pool {pool_id}; run cognito-migrate trigger stage"
        )
    if build == (function_zip is not None):
        raise ConfigError("give the function's zip with --zip FILE (from `trigger build`), or --build")
    if function_zip is None:
        from cognito_migrate.trigger.build import build_function_zip

        built = default_plan_dir(config) / BUILT_ZIP
        function_zip = build_function_zip(
            built, runtime=DEFAULT_RUNTIME, architecture=DEFAULT_ARCHITECTURE
        ).path
    if not function_zip.is_file():
        raise ConfigError(f"{function_zip}: no such file; build it with cognito-migrate trigger build")
    staging = Staging(
        table,
        secret_values,
        tuple(config.trigger.subnet_ids),
        tuple(config.trigger.security_group_ids),
    )
    result = deploy_trigger(settings, pool_id, function_zip, staging, replace_trigger=replace_trigger)
    lines = [
        f"function {result.function_name} {'created' if result.function_created else 'updated'} "
        f"and attached to user pool {pool_id} as UserMigration and PostAuthentication",
        f"execution role {result.role_name}{' (created)' if result.role_created else ''}",
    ]
    for trigger, replaced in (
        ("UserMigration", result.replaced_trigger),
        ("PostAuthentication", result.replaced_post_authentication),
    ):
        if replaced:
            lines.append(f"replaced the pool's {trigger} trigger {replaced}")
    if result.changed_settings:
        lines.append("WARNING: other pool settings changed: " + ", ".join(result.changed_settings))
    return CommandResult(
        command="trigger deploy",
        outcome=Outcome.PARTIAL if result.changed_settings else Outcome.OK,
        data={
            "pool_id": pool_id,
            "table": table,
            "staging": config.trigger.staging,
            "secret": sorted(secret_values),  # which values the secret holds, never the values
            "function_name": result.function_name,
            "function_arn": result.function_arn,
            "function_created": result.function_created,
            "role_name": result.role_name,
            "role_created": result.role_created,
            "replaced_trigger": result.replaced_trigger,
            "replaced_post_authentication": result.replaced_post_authentication,
            "changed_settings": list(result.changed_settings),
        },
        lines=lines,
    )


def remove_command(
    plan_file: Path,
    *,
    delete_function: bool = False,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CommandResult:
    """Detach the function from the pool (``deploy.remove_trigger``); the staging table stays."""
    from cognito_migrate.trigger.deploy import remove_trigger

    config, settings = _target(plan_file, profile, region, endpoint_url)
    pool_id = config.target.pool_id
    result = remove_trigger(settings, pool_id, delete_function=delete_function)
    lines = []
    if result.detached or result.post_authentication_detached:
        lines.append(f"function {result.function_name} detached from user pool {pool_id}")
    else:
        lines.append(f"user pool {pool_id} had no cognito-migrate trigger attached")
    if result.other_trigger:
        lines.append(f"left alone: the pool's UserMigration trigger {result.other_trigger} is not ours")
    if result.function_deleted:
        lines.append(
            f"function {result.function_name} deleted" + (" with its role" if result.role_deleted else "")
        )
    where = (
        "The table cognito_migrate_staging of the staging database"
        if config.trigger.staging == "sql"
        else f"The staging table {staging_table_name(pool_id)}"
    )
    lines.append(
        f"{where} still holds legacy password hashes; delete them once no one needs to sign in with an "
        "old password (cognito-migrate sweep --drop-table)."
    )
    return CommandResult(
        command="trigger remove",
        outcome=Outcome.PARTIAL if result.changed_settings else Outcome.OK,
        data={
            "pool_id": pool_id,
            "function_name": result.function_name,
            "detached": result.detached,
            "post_authentication_detached": result.post_authentication_detached,
            "other_trigger": result.other_trigger,
            "permission_removed": result.permission_removed,
            "function_deleted": result.function_deleted,
            "role_deleted": result.role_deleted,
            "changed_settings": list(result.changed_settings),
        },
        lines=lines,
    )


def build_command(target: Path, *, runtime: str, architecture: str) -> CommandResult:
    """Build the function's zip (``build.build_function_zip``; fetches wheels for the runtime)."""
    from cognito_migrate.trigger.build import build_function_zip

    built = build_function_zip(target, runtime=runtime, architecture=architecture)
    return CommandResult(
        command="trigger build",
        data={
            "path": built.path,
            "sha256": built.sha256,
            "size": built.size,
            "runtime": built.runtime,
            "architecture": built.architecture,
            "wheels": list(built.wheels),
        },
        lines=[
            f"{built.path}: {built.size:,} bytes for {built.runtime} {built.architecture}",
            f"sha256 {built.sha256}",
            f"Next: cognito-migrate trigger deploy --zip {built.path}",
        ],
    )


def _table_exists(dynamodb: Any, table: str) -> bool:
    try:
        with map_cognito_errors("DescribeTable"):
            dynamodb.describe_table(TableName=table)
    except RemoteError as exc:
        if exc.code == "ResourceNotFoundException":
            return False
        raise
    return True


def _ensure_table(dynamodb: Any, table: str) -> bool:
    """Create the staging table unless it exists; whether it was created."""
    if _table_exists(dynamodb, table):
        return False
    create_staging_table(dynamodb, table)
    return True


def staging_url(config: MigrationConfig) -> str:
    """The SQL staging database's URL, from the environment variable ``[trigger]`` names."""
    name = config.trigger.staging_url_env
    url = os.environ.get(name, "").strip()
    if not url:
        raise ConfigError(
            f'[trigger] staging = "sql": set {name} to the staging database\'s SQLAlchemy URL, '
            "e.g. postgresql+psycopg://migrate:PASSWORD@db.internal/legacy"
        )
    return url


def firebase_secret(config: MigrationConfig) -> dict[str, str]:
    """``{"firebase_signer_key": …}`` when the source is a Firebase export with hash parameters."""
    parameters = getattr(config.source, "firebase_hash", None)
    if parameters is None:
        return {}
    key = os.environ.get(parameters.signer_key_env, "").strip()
    if not key:
        raise ConfigError(
            f"[source.firebase_hash]: set {parameters.signer_key_env} to the Firebase project's "
            "base64_signer_key (Authentication → Users → ⋮ → Password hash parameters); the trigger "
            "cannot check Firebase passwords without it"
        )
    try:
        base64.b64decode(key, validate=True)
    except binascii.Error:
        raise ConfigError(f"{parameters.signer_key_env}: not base64 (expected base64_signer_key)") from None
    return {"firebase_signer_key": key}


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the staging database"


def check_digest(path: Path, manifest: dict[str, Any]) -> None:
    expected = (manifest.get("jit") or {}).get("sha256")
    if expected and hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise ConfigError(f"{path}: changed since planning; run cognito-migrate plan again")
