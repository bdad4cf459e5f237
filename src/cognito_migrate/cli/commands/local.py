"""``cognito-migrate local …``: the local Cognito for rehearsals."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def local() -> None:
    """Run a local Cognito (moto-based) to rehearse a migration."""


@local.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address to listen on.")
@click.option("--port", default=4566, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@click.option("--quotas", type=click.Choice(["aws-default", "off"]), default=None,
              help="Enforce Cognito's request rates (TooManyRequestsException). [default: off]")  # fmt: skip
@click.option("--quota", "quota_flags", multiple=True, metavar="CATEGORY=RPS",
              help="Override one rate, e.g. UserCreation=10 (implies --quotas aws-default).")  # fmt: skip
@click.option("--faults", metavar="SPEC",
              help="Fail a share of calls: throttle=0.1,5xx=0.05,drop=0.02[,after-success].")  # fmt: skip
@click.option("--fault-seed", type=int, help="Seed for --faults, to repeat the same faults.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Load state from FILE at start, save it at stop (0600: holds passwords).")  # fmt: skip
@click.pass_obj
def serve(
    options: object,
    host: str,
    port: int,
    verbose: bool,
    quotas: str | None,
    quota_flags: tuple[str, ...],
    faults: str | None,
    fault_seed: int | None,
    state_file: Path | None,
) -> None:
    """Serve a local Cognito (with IAM, CloudWatch Logs, S3, Lambda, DynamoDB) until Ctrl-C.

    \b
    Example:
      cognito-migrate local serve --port 4566 --state rehearsal.state --quotas aws-default &
      aws cognito-idp list-user-pools --max-results 10 --endpoint-url http://127.0.0.1:4566
    """
    from cognito_migrate.local.serve import ServeInfo, guards_from_flags
    from cognito_migrate.local.serve import serve as serve_local

    as_json = bool(getattr(options, "as_json", False))
    enforced_quotas, fault_plan = guards_from_flags(quotas, quota_flags, faults, fault_seed)

    def announce(info: ServeInfo) -> None:
        if as_json:
            payload = {"endpoint_url": info.endpoint_url, "region": info.region, "env": info.environment}
            click.echo(json.dumps(payload, sort_keys=True), nl=True)
            return
        click.echo(f"Local Cognito listening on {info.endpoint_url} (Region {info.region}).")
        click.echo("Point the AWS CLI or an SDK at it with these dummy settings:")
        for name, value in info.environment.items():
            click.echo(f"  export {name}={value}")
        if state_file is None:
            click.echo("Press Ctrl-C to stop; its state lives in memory and is gone when it stops.")
        else:
            click.echo(f"Press Ctrl-C to stop; its state is saved to {state_file} when it stops.")

    serve_local(host, port, verbose=verbose, on_ready=announce, quotas=enforced_quotas,
                faults=fault_plan, state_file=state_file)  # fmt: skip
