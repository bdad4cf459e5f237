"""``cognito-migrate verify``: compare the source with the pool, user by user; exit 1 on any difference."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("migration.toml"), show_default=True, help="The plan file.")  # fmt: skip
@click.option("--plan-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The saved plan (default: migration.plan/ next to the plan file).")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every difference to this file (JSON Lines, created 0600).")  # fmt: skip
@click.option("--show", type=click.IntRange(0), default=20, show_default=True,
              help="How many differences to print.")  # fmt: skip
@click.option("--quota", "quotas", multiple=True, metavar="CATEGORY=RPS",
              help="Override a request rate for this run, e.g. UserList=10 (repeatable).")  # fmt: skip
@click.pass_obj
def verify(
    options: object, plan_file: Path, plan_dir: Path | None, out: Path | None, show: int,
    quotas: tuple[str, ...],
) -> CommandResult:  # fmt: skip
    """Compare every source user with the pool: present, attributes, enabled, groups, status.

    Re-reads the source through the plan file's mapping, joins it with the journal, and lists
    every difference, and pool users carrying a legacy id the journal does not know. Exit 1 when
    anything differs. Read-only: nothing is written to the pool or the journal.

    \b
    Example:
      cognito-migrate apply && cognito-migrate verify --out differences.jsonl
    """
    from cognito_migrate.verify import verify_migration

    return verify_migration(
        plan_file,
        plan_dir=plan_dir,
        out=out,
        quota_flags=quotas,
        shown=show,
        profile=getattr(options, "profile", None),
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
    )
