"""The ``cognito-migrate`` command line. Each command is a few lines calling one library function.

Command modules import only click at module level, so ``--help`` starts without loading boto3, moto or
SQLAlchemy.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from cognito_migrate import __version__
from cognito_migrate.cli import output
from cognito_migrate.cli.commands import (
    apply,
    cleanup,
    demo,
    export,
    init,
    local,
    plan,
    pool,
    rollback,
    status,
    sweep,
    trigger,
    verify,
)
from cognito_migrate.cli.exit_codes import FOR_OUTCOME, ExitCode
from cognito_migrate.errors import CognitoMigrateError, ConfigError
from cognito_migrate.results import CommandResult


@dataclass(frozen=True)
class GlobalOptions:
    """Options every command accepts before its name, as the AWS CLI does."""

    profile: str | None
    region: str | None
    endpoint_url: str | None
    as_json: bool


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="New here? `cognito-migrate demo` shows the whole flow against a local Cognito.",
)
@click.option("--profile", envvar=None, help="AWS profile to use (default: AWS_PROFILE or the default).")
@click.option("--region", help="AWS Region of the pool (default: AWS_REGION or the profile's).")
@click.option("--endpoint-url", help="Talk to this endpoint instead of AWS, e.g. a local Cognito.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@click.version_option(__version__, prog_name="cognito-migrate")
@click.pass_context
def cli(
    ctx: click.Context, profile: str | None, region: str | None, endpoint_url: str | None, as_json: bool
) -> None:
    """Move a user base into an Amazon Cognito user pool and prove that nothing was lost."""
    ctx.obj = GlobalOptions(profile, region, endpoint_url, as_json)


for command in (
    init.init,
    plan.plan,
    apply.apply,
    status.status,
    local.local,
    demo.demo,
    cleanup.cleanup,
    trigger.trigger,
    sweep.sweep,
    verify.verify,
    rollback.rollback,
    export.export,
    pool.pool,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs a command and turns its outcome or error into the documented exit code."""
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    try:
        result = cli.main(args=args, prog_name="cognito-migrate", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        return ExitCode.USAGE
    except (click.Abort, KeyboardInterrupt):
        output.error("interrupted; run the same command again to resume", as_json=as_json)
        return ExitCode.INTERRUPTED
    except ConfigError as exc:
        output.error(str(exc), as_json=as_json)
        return ExitCode.USAGE
    except CognitoMigrateError as exc:
        output.error(str(exc), as_json=as_json)
        return ExitCode.PARTIAL
    if isinstance(result, CommandResult):
        output.emit(result, as_json=as_json)
        return FOR_OUTCOME[result.outcome]
    return ExitCode.OK


def run() -> None:
    sys.exit(main())
