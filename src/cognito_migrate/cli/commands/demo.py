"""``cognito-migrate demo``: a sample portal migrating into the embedded local Cognito."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option(
    "--dir", "workdir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("cognito-migrate-demo"), show_default=True, help="Where the demo writes its files.",
)  # fmt: skip
@click.option("--users", type=click.IntRange(11, 100_000), default=24, show_default=True,
              help="How many sample portal users to create.")  # fmt: skip
@click.option("--keep-running", is_flag=True, help="Keep the local Cognito up afterwards, until Ctrl-C.")
def demo(workdir: Path, users: int, keep_running: bool) -> CommandResult:
    """Run the pipeline on a sample JupyterHub portal against an embedded local Cognito.

    Nothing leaves this machine: the target is a local Cognito on 127.0.0.1.

    \b
    Example:
      cognito-migrate demo --dir /tmp/demo
    """
    from cognito_migrate.demo import run_demo

    return run_demo(workdir, users=users, keep_running=keep_running)
