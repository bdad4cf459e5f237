"""``cognito-migrate cleanup``: remove what the tool created in the account (its IAM roles, …)."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Take the Region, profile and endpoint from this plan file's [target].")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.pass_obj
def cleanup(options: object, plan_file: Path | None, dry_run: bool) -> CommandResult:
    """Remove what cognito-migrate created in this account and Region.

    Removes only resources the tool marked as its own (IAM roles under /cognito-migrate/ tagged
    cognito-migrate:managed, with their policies); never a pool, a user or a role of yours. Run it once
    apply has finished: an import job still running would lose its logging.

    \b
    Example:
      cognito-migrate --region eu-west-1 cleanup --dry-run
      cognito-migrate cleanup --plan migration.toml
    """
    from cognito_migrate.cleanup import cleanup_command

    return cleanup_command(
        plan_file=plan_file,
        dry_run=dry_run,
        profile=getattr(options, "profile", None),
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
    )
