"""``cognito-migrate status``: a journal summary, one run, the users in a state, and the reports."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.journal.states import UserState
from cognito_migrate.results import CommandResult


@click.command()
@click.argument("run", type=int, required=False)
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The plan file whose journal to read (default: migration.toml).")  # fmt: skip
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path), help="Read this journal file.")
@click.option("--user", metavar="SOURCE_ID", help="Also show this user's whole history.")
@click.option(
    "--state",
    type=click.Choice([state.value for state in UserState]),
    help="List the users in this state, with their reasons.",
)
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many users --state lists (0: all).")  # fmt: skip
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write users.jsonl, users.csv and report.html (all 0600) into this folder.")  # fmt: skip
def status(
    run: int | None,
    plan_file: Path | None,
    journal: Path | None,
    user: str | None,
    state: str | None,
    limit: int,
    report_dir: Path | None,
) -> CommandResult:
    """Show how many users are in each state and the runs so far; with RUN, what that run changed.

    Exits 1 while any user is rejected or failed (with RUN: when that run ended partial, failed or
    interrupted).

    \b
    Examples:
      cognito-migrate status --plan migration.toml --user 42
      cognito-migrate status 3 --state failed
      cognito-migrate status --report migration.report
    """
    from cognito_migrate.reports import journal_status, locate_journal

    return journal_status(
        locate_journal(plan_file, journal),
        user=user,
        run=run,
        state=UserState(state) if state else None,
        limit=limit,
        report_dir=report_dir,
        plan_file=plan_file or Path("migration.toml"),
    )
