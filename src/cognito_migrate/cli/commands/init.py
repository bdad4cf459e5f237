"""``cognito-migrate init``: write a commented plan file."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.config.examples import SOURCE_TYPES
from cognito_migrate.results import CommandResult


@click.command()
@click.option(
    "--source", "source_type", type=click.Choice(SOURCE_TYPES), default="jupyterhub", show_default=True,
    help="Where the users come from.",
)  # fmt: skip
@click.option("--pool-id", default="us-east-1_REPLACEME", show_default=True, help="The target pool's id.")
@click.option("--database", help="The source: database path or URL, file path.")
@click.option(
    "-o", "--output", "path", type=click.Path(dir_okay=False, path_type=Path),
    default=Path("migration.toml"), show_default=True, help="Where to write the plan file.",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite an existing plan file.")
@click.pass_obj
def init(
    options: object, source_type: str, pool_id: str, database: str | None, path: Path, force: bool
) -> CommandResult:
    """Write a commented plan file (migration.toml) for a source type.

    \b
    Example:
      cognito-migrate init --source sql --database postgresql+psycopg://app@db/app \\
          --pool-id eu-west-1_AbCdEf123 --region eu-west-1
    """
    from cognito_migrate.config.init import init_plan_file

    return init_plan_file(
        path,
        source_type,
        pool_id=pool_id,
        database=database,
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
        force=force,
    )
