"""``cognito-migrate pool``: clone a pool with the settings it could not change, and the console steps
people script (app clients, enabling, disabling and deleting users, passwords, attributes)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from cognito_migrate.results import CommandResult

if TYPE_CHECKING:
    from cognito_migrate.pool.access import AwsOptions


def _aws(options: object) -> AwsOptions:
    from cognito_migrate.pool.access import AwsOptions

    return AwsOptions(*(getattr(options, name, None) for name in ("profile", "region", "endpoint_url")))


def _names(value: str | None) -> tuple[str, ...] | None:
    """``email,phone_number`` → a tuple; ``none`` (or empty) → no attributes; not given → None."""
    if value is None:
        return None
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    return () if names in ((), ("none",)) else names


@click.group()
def pool() -> None:
    """Clone a user pool with what it cannot change, and script the console's user and client steps.

    \b
    Example:
      cognito-migrate pool clone eu-west-1_Old --name portal-v2 --username-attributes email \\
          --case-insensitive --add-custom legacy_id:String:1:64 --with-clients
      cognito-migrate pool user disable eu-west-1_New alice
      cognito-migrate pool user set-password eu-west-1_New alice --permanent < password.txt
    """


@pool.command()
@click.argument("source_pool_id")
@click.option("--name", required=True, help="Name of the new pool.")
@click.option("--username-attributes", metavar="ATTRS",
              help="Email and/or phone_number as username (comma-separated, or none).")  # fmt: skip
@click.option("--alias-attributes", metavar="ATTRS",
              help="Username plus aliases: email, phone_number, preferred_username (or none).")  # fmt: skip
@click.option("--case-sensitive/--case-insensitive", default=None,
              help="Username case sensitivity (default: the source's).")  # fmt: skip
@click.option("--require", multiple=True, metavar="ATTR",
              help="Make a standard attribute required (repeatable).")  # fmt: skip
@click.option(
    "--optional", multiple=True, metavar="ATTR", help="Make a required standard attribute optional."
)
@click.option("--add-custom", multiple=True, metavar="NAME:TYPE[:MIN:MAX][:mutable]",
              help="Add a custom attribute, immutable unless :mutable (repeatable), "
              "e.g. legacy_id:String:1:64.")  # fmt: skip
@click.option("--drop-custom", multiple=True, metavar="NAME",
              help="Leave a custom attribute out (--add-custom it too to redefine it).")  # fmt: skip
@click.option("--with-clients", is_flag=True, help="Also copy the app clients (new ids, new secrets).")
@click.option("--with-identity-providers", is_flag=True,
              help="Also copy the identity providers (then register the new pool with each).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print what would be created; create nothing.")
@click.pass_obj
def clone(
    options: object, source_pool_id: str, name: str, username_attributes: str | None,
    alias_attributes: str | None, case_sensitive: bool | None, require: tuple[str, ...],
    optional: tuple[str, ...], add_custom: tuple[str, ...], drop_custom: tuple[str, ...],
    with_clients: bool, with_identity_providers: bool, dry_run: bool,
) -> CommandResult:  # fmt: skip
    """Create a new pool from SOURCE_POOL_ID's settings, schema, groups and resource servers, with the
    changes Cognito cannot make to an existing pool. Users are not copied: migrate them with a
    "cognito" source.

    Prints the new pool id, what changed, and what was not copied (users, domain, and app clients or
    identity providers unless asked for).
    """
    from cognito_migrate.pool.clone import clone_pool
    from cognito_migrate.pool.clone_plan import CloneChanges
    from cognito_migrate.pool.schema import SchemaChanges

    schema = SchemaChanges(require, optional, add_custom, drop_custom)
    changes = CloneChanges(
        name, _names(username_attributes), _names(alias_attributes), case_sensitive, schema
    )
    return clone_pool(source_pool_id, changes, with_clients=with_clients, dry_run=dry_run,
                      with_identity_providers=with_identity_providers, aws=_aws(options))  # fmt: skip


@pool.command("create-client")
@click.argument("pool_id")
@click.option("--name", required=True, help="The app client's name.")
@click.option("--generate-secret", is_flag=True, help="Give it a secret (never printed).")
@click.option("--auth-flows", multiple=True, metavar="FLOWS",
              help="Auth flows, e.g. USER_PASSWORD_AUTH,USER_SRP_AUTH (refresh always on).")  # fmt: skip
@click.pass_obj
def create_client(
    options: object, pool_id: str, name: str, generate_secret: bool, auth_flows: tuple[str, ...]
) -> CommandResult:
    """Create an app client in POOL_ID and print its id."""
    from cognito_migrate.pool.tools import create_client as create

    return create(pool_id, name, generate_secret=generate_secret, auth_flows=auth_flows, aws=_aws(options))


@pool.group()
def user() -> None:
    """Enable, disable or delete a user, set a password, delete attributes."""


@user.command()
@click.argument("pool_id")
@click.argument("username")
@click.pass_obj
def enable(options: object, pool_id: str, username: str) -> CommandResult:
    """Let USERNAME sign in again."""
    from cognito_migrate.pool.tools import set_user_enabled

    return set_user_enabled(pool_id, username, enabled=True, aws=_aws(options))


@user.command()
@click.argument("pool_id")
@click.argument("username")
@click.pass_obj
def disable(options: object, pool_id: str, username: str) -> CommandResult:
    """Stop USERNAME from signing in (the user and their data stay)."""
    from cognito_migrate.pool.tools import set_user_enabled

    return set_user_enabled(pool_id, username, enabled=False, aws=_aws(options))


@user.command()
@click.argument("pool_id")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def delete(options: object, pool_id: str, username: str, yes: bool) -> CommandResult:
    """Delete USERNAME from POOL_ID for good (asks first unless --yes)."""
    from cognito_migrate.errors import ConfigError
    from cognito_migrate.pool.tools import delete_user

    try:
        confirmed = yes or click.confirm(
            f"Delete user {username} from {pool_id}? This cannot be undone", err=True
        )
    except click.Abort:  # no terminal to ask on, or Ctrl-C
        confirmed = False
    if not confirmed:
        raise ConfigError(f"user {username} not deleted: confirm, or pass --yes")
    return delete_user(pool_id, username, aws=_aws(options))


@user.command("set-password")
@click.argument("pool_id")
@click.argument("username")
@click.option("--permanent", is_flag=True,
              help="Sign in with it (else it is temporary: changed at the next sign-in).")  # fmt: skip
@click.pass_obj
def set_password(options: object, pool_id: str, username: str, permanent: bool) -> CommandResult:
    """Set USERNAME's password, typed at a hidden prompt or read from standard input (one line);
    never from the command line, never printed."""
    from cognito_migrate.pool.tools import set_password as set_it

    if sys.stdin is not None and sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    else:  # piped: the first line, so `printf '%s\n' "$PW" | … set-password` works; "" is refused
        password = sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""
    return set_it(pool_id, username, password, permanent=permanent, aws=_aws(options))


@user.command("delete-attribute")
@click.argument("pool_id")
@click.argument("username")
@click.argument("attributes", nargs=-1, required=True)
@click.pass_obj
def delete_attribute(
    options: object, pool_id: str, username: str, attributes: tuple[str, ...]
) -> CommandResult:
    """Delete the values of ATTRIBUTES (e.g. custom:legacy_id) of USERNAME."""
    from cognito_migrate.pool.tools import delete_attributes

    return delete_attributes(pool_id, username, attributes, aws=_aws(options))
