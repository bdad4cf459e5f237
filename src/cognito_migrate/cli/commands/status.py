"""``cognito-migrate status``: a journal summary."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The plan file whose journal to read (default: migration.toml).")  # fmt: skip
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path), help="Read this journal file.")
@click.option("--user", metavar="SOURCE_ID", help="Also show this user's whole history.")
def status(plan_file: Path | None, journal: Path | None, user: str | None) -> CommandResult:
    """Show how many users are in each state and the runs so far.

    Exits 1 while any user is rejected or failed.

    \b
    Example:
      cognito-migrate status --plan migration.toml --user 42
    """
    from cognito_migrate.reports import journal_status, locate_journal

    return journal_status(locate_journal(plan_file, journal), user=user)
