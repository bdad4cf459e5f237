"""``cognito-migrate trigger``: sign in just-in-time users through a migrate-user Lambda function."""

from __future__ import annotations

from pathlib import Path

import click

from cognito_migrate.results import CommandResult

_plan_option = click.option(
    "--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
    default=Path("migration.toml"), show_default=True, help="The plan file.",
)  # fmt: skip


def _aws(options: object) -> dict[str, str | None]:
    return {name: getattr(options, name, None) for name in ("profile", "region", "endpoint_url")}


@click.group()
def trigger() -> None:
    """Users whose hashes Cognito cannot import sign in with their old password, through a trigger.

    \b
    Example:
      cognito-migrate trigger stage              # the plan's jit users → DynamoDB
      cognito-migrate trigger build              # trigger-function.zip
      cognito-migrate trigger deploy --zip trigger-function.zip   # attached to the pool
      cognito-migrate trigger remove --delete-function   # when everyone has signed in
    """


@trigger.command()
@_plan_option
@click.option("--plan-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The saved plan (default: migration.plan/ next to the plan file).")  # fmt: skip
@click.pass_obj
def stage(options: object, plan_file: Path, plan_dir: Path | None) -> CommandResult:
    """Write the saved plan's just-in-time users to the pool's staging table (made if missing)."""
    from cognito_migrate.trigger.commands import stage_command

    return stage_command(plan_file, plan_dir=plan_dir, **_aws(options))


@trigger.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("trigger-function.zip"),
              show_default=True, help="Where to write the zip.")  # fmt: skip
@click.option("--runtime", default="python3.12", show_default=True, help="The Lambda Python runtime.")
@click.option("--architecture", type=click.Choice(["x86_64", "arm64"]), default="x86_64", show_default=True)
def build(out: Path, runtime: str, architecture: str) -> CommandResult:
    """Build the function's zip: the handler and the wheels it needs (downloaded once, then cached)."""
    from cognito_migrate.trigger.commands import build_command

    return build_command(out, runtime=runtime, architecture=architecture)


@trigger.command()
@_plan_option
@click.option("--zip", "function_zip", type=click.Path(dir_okay=False, path_type=Path),
              help="The function's zip, from `cognito-migrate trigger build`.")  # fmt: skip
@click.option("--build", is_flag=True, help="Build the zip now (downloads wheels) instead of --zip.")
@click.option("--replace-trigger", is_flag=True,
              help="Replace a UserMigration or PostAuthentication trigger that is not ours.")  # fmt: skip
@click.pass_obj
def deploy(
    options: object, plan_file: Path, function_zip: Path | None, build: bool, replace_trigger: bool
) -> CommandResult:
    """Create or update the function and attach it as UserMigration and PostAuthentication.

    Every other setting of the pool is kept. Run `trigger stage` first.
    """
    from cognito_migrate.trigger.commands import deploy_command

    return deploy_command(
        plan_file, function_zip=function_zip, build=build, replace_trigger=replace_trigger, **_aws(options)
    )


@trigger.command()
@_plan_option
@click.option("--delete-function", is_flag=True, help="Also delete the function and its role.")
@click.pass_obj
def remove(options: object, plan_file: Path, delete_function: bool) -> CommandResult:
    """Detach the function from the pool; users it already migrated keep signing in."""
    from cognito_migrate.trigger.commands import remove_command

    return remove_command(plan_file, delete_function=delete_function, **_aws(options))
