"""``cognito-migrate plan``: decide every user against the real pool, change nothing."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("migration.toml"), show_default=True, help="The plan file.")  # fmt: skip
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to save the plan (default: migration.plan/ next to the plan file).")  # fmt: skip
@click.option("--quota", "quotas", multiple=True, metavar="CATEGORY=RPS",
              help="Override a request rate for this run, e.g. UserList=20 (repeatable).")  # fmt: skip
@click.pass_obj
def plan(options: object, plan_file: Path, out_dir: Path | None, quotas: tuple[str, ...]) -> CommandResult:
    """Check every user against the target pool and save what apply will do. Changes nothing.

    Reads the source, maps it, reads the pool once, and decides per user: migrate (by CSV import,
    admin API or just-in-time, with the reason), reject (with every reason) or skip. Writes the
    per-user report (users.jsonl, users.csv), the import files and an estimate. Exits 1 when any user
    is rejected.

    \b
    Example:
      cognito-migrate plan --plan migration.toml
      cognito-migrate --json plan | jq .result.decisions
    """
    from cognito_migrate.planner.run import plan_command

    return plan_command(
        plan_file,
        out_dir=out_dir,
        quota_flags=quotas,
        profile=getattr(options, "profile", None),
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
    )
