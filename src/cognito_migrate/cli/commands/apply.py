"""``cognito-migrate apply``: execute the saved plan against the pool; resumable."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("migration.toml"), show_default=True, help="The plan file.")  # fmt: skip
@click.option("--plan-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The saved plan (default: migration.plan/ next to the plan file).")  # fmt: skip
@click.option("--role-arn", help="Your own IAM role for import jobs' CloudWatch logs "
              "(default: the tool's least-privilege role, created once per Region).")  # fmt: skip
@click.option("--keep-files", type=click.Path(file_okay=False, path_type=Path),
              help="Keep a copy (0600) of every file sent to an import job in this folder.")  # fmt: skip
@click.option("--retry-failed", is_flag=True, help="Send users an earlier apply failed again.")
@click.option("--credentials", type=click.Path(dir_okay=False, path_type=Path),
              help="The file (created 0600) generated temporary or permanent passwords go to.")  # fmt: skip
@click.option("--passwords", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A 0600 CSV (source_id,password) of clear passwords from a trusted source, set "
              "as permanent passwords for the plan's permanent-password users.")  # fmt: skip
@click.option("--invite", is_flag=True, help="Let Cognito send its invitation to each admin-created "
              "user (default: suppressed; its default email sender allows 50 a day).")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 64), default=16, show_default=True,
              help="Admin API calls in flight at once (the quotas pace them).")  # fmt: skip
@click.option("--quota", "quotas", multiple=True, metavar="CATEGORY=RPS",
              help="Override a request rate for this run, e.g. UserUpdate=10 (repeatable).")  # fmt: skip
@click.pass_obj
def apply(
    options: object,
    plan_file: Path,
    plan_dir: Path | None,
    role_arn: str | None,
    keep_files: Path | None,
    retry_failed: bool,
    credentials: Path | None,
    passwords: Path | None,
    invite: bool,
    workers: int,
    quotas: tuple[str, ...],
) -> CommandResult:
    """Execute the saved plan: import jobs, admin-API users, groups, disabled users; every user journaled.

    Refuses a plan whose plan file or pool changed since planning. Safe to stop: Ctrl-C stops the
    running import job (exit 3); running apply again resumes and never sends a user twice.

    \b
    Example:
      cognito-migrate plan && cognito-migrate apply
      cognito-migrate status          # every user's state, with the reason
    """
    import sys

    from cognito_migrate.apply import apply_plan
    from cognito_migrate.reports.progress import apply_progress

    progress = apply_progress(
        interactive=sys.stderr.isatty() and not getattr(options, "as_json", False),
        say=lambda line: click.echo(line, err=True),
    )
    return apply_plan(
        plan_file,
        plan_dir=plan_dir,
        role_arn=role_arn,
        keep_files=keep_files,
        retry_failed=retry_failed,
        credentials=credentials,
        passwords=passwords,
        invite=invite,
        workers=workers,
        quota_flags=quotas,
        profile=getattr(options, "profile", None),
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
        listener=progress,
    )
