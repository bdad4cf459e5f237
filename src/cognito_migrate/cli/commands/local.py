"""``cognito-migrate local …``: the local Cognito for rehearsals."""

from __future__ import annotations

import json

import click


@click.group()
def local() -> None:
    """Run a local Cognito (moto-based) to rehearse a migration."""


@local.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address to listen on.")
@click.option("--port", default=4566, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@click.pass_obj
def serve(options: object, host: str, port: int, verbose: bool) -> None:
    """Serve a local Cognito (with IAM, CloudWatch Logs, S3, Lambda, DynamoDB) until Ctrl-C.

    \b
    Example:
      cognito-migrate local serve --port 4566 &
      aws cognito-idp list-user-pools --max-results 10 --endpoint-url http://127.0.0.1:4566
    """
    from cognito_migrate.local.serve import ServeInfo
    from cognito_migrate.local.serve import serve as serve_local

    as_json = bool(getattr(options, "as_json", False))

    def announce(info: ServeInfo) -> None:
        if as_json:
            payload = {"endpoint_url": info.endpoint_url, "region": info.region, "env": info.environment}
            click.echo(json.dumps(payload, sort_keys=True), nl=True)
            return
        click.echo(f"Local Cognito listening on {info.endpoint_url} (Region {info.region}).")
        click.echo("Point the AWS CLI or an SDK at it with these dummy settings:")
        for name, value in info.environment.items():
            click.echo(f"  export {name}={value}")
        click.echo("Press Ctrl-C to stop; its state lives in memory and is gone when it stops.")

    serve_local(host, port, verbose=verbose, on_ready=announce)
