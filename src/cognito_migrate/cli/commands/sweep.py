"""``cognito-migrate sweep``: after the sign-in window, import the just-in-time users who never signed in."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("migration.toml"), show_default=True, help="The plan file.")  # fmt: skip
@click.option("--plan-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The saved plan (default: migration.plan/ next to the plan file).")  # fmt: skip
@click.option("--detach", is_flag=True, help="Then detach the trigger from the pool (the function stays).")
@click.option("--drop-table", is_flag=True,
              help="Then delete the staging table (it holds the legacy password hashes).")  # fmt: skip
@click.option("--role-arn", help="Your own IAM role for import jobs' CloudWatch logs "
              "(default: the tool's least-privilege role, created once per Region).")  # fmt: skip
@click.option("--quota", "quotas", multiple=True, metavar="CATEGORY=RPS",
              help="Override a request rate for this run, e.g. UserRead=20 (repeatable).")  # fmt: skip
@click.pass_obj
def sweep(
    options: object, plan_file: Path, plan_dir: Path | None, detach: bool, drop_table: bool,
    role_arn: str | None, quotas: tuple[str, ...],
) -> CommandResult:  # fmt: skip
    """Import the just-in-time users who never signed in: with their hash where Cognito can import
    it, else to reset their password. Users who signed in through the trigger are journaled migrated.

    Detaching and dropping wait until every just-in-time user is in the pool. Safe to run again:
    nobody is imported twice.

    \b
    Example:
      cognito-migrate sweep                          # after the sign-in window
      cognito-migrate sweep --detach --drop-table    # and retire the trigger
    """
    from cognito_migrate.trigger.sweep import sweep_command

    return sweep_command(
        plan_file,
        plan_dir=plan_dir,
        detach=detach,
        drop_table=drop_table,
        role_arn=role_arn,
        quota_flags=quotas,
        profile=getattr(options, "profile", None),
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
    )
