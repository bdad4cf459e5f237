"""``cognito-migrate rollback RUN``: delete the users one apply or sweep run created, after confirmation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cognito_migrate.results import CommandResult

if TYPE_CHECKING:
    from cognito_migrate.rollback import RollbackPreview


@click.command()
@click.argument("run_id", metavar="RUN", type=click.IntRange(min=1))
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("migration.toml"), show_default=True,
              help="The plan file: its pool and its journal.")  # fmt: skip
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path),
              help="The journal (default: the plan file's).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Only list the users that would be deleted.")
@click.option(
    "--yes", "-y", is_flag=True, help="Delete without asking (needed when stdin is not a terminal)."
)
@click.option("--workers", type=click.IntRange(1, 64),
              help="Users deleted at once (default: [strategy] workers; the quotas pace them).")  # fmt: skip
@click.option("--quota", "quotas", multiple=True, metavar="CATEGORY=RPS",
              help="Override a request rate for this run, e.g. UserUpdate=10 (repeatable).")  # fmt: skip
@click.pass_obj
def rollback(
    options: object, run_id: int, plan_file: Path, journal: Path | None, dry_run: bool, yes: bool,
    workers: int | None, quotas: tuple[str, ...],
) -> CommandResult:  # fmt: skip
    """Delete from the pool the users apply or sweep run RUN created, and nothing else.

    Users that run only updated (on_existing = update) or skipped, users of other runs and pool users
    the tool never made stay. A pool user recreated by hand since (another sub) is left alone and
    reported. Deleted users are journaled rolled_back; plan again to migrate them anew. Safe to stop
    (exit 3): running it again continues.

    \b
    Example:
      cognito-migrate status                   # find the run number
      cognito-migrate rollback 3 --dry-run     # who would be deleted
      cognito-migrate rollback 3               # asks "Delete N users from POOL? [y/N]"
    """
    from cognito_migrate.rollback import rollback_command

    if not (yes or dry_run or sys.stdin.isatty()):
        raise click.UsageError("stdin is not a terminal, so nobody can confirm: pass --yes to delete "
                               "without asking, or --dry-run to list")  # fmt: skip
    return rollback_command(
        plan_file,
        run_id,
        journal_path=journal,
        dry_run=dry_run,
        confirm=None if yes else _ask,
        workers=workers,
        quota_flags=quotas,
        profile=getattr(options, "profile", None),
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
    )


def _ask(preview: RollbackPreview) -> bool:
    """The question, on stderr so --json output stays one document."""
    click.echo(f"{preview.command} run {preview.run_id} created these users:", err=True)
    for name in preview.sample:
        click.echo(f"  {name}", err=True)
    if preview.to_delete > len(preview.sample):
        click.echo(f"  … and {preview.to_delete - len(preview.sample):,} more", err=True)
    return click.confirm(
        f"Delete {preview.to_delete:,} users from {preview.pool_id}?", default=False, err=True
    )
