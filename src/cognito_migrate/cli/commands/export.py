"""``cognito-migrate export``: a pool's users, groups and memberships, as a backup or a source."""

from __future__ import annotations

import click

from cognito_migrate.results import CommandResult


@click.command()
@click.option("--pool-id", required=True, help="The pool to export, like us-east-1_AbCdEf123.")
@click.option("--format", "format_", type=click.Choice(["jsonl", "csv", "cognito-csv"]), default="jsonl",
              show_default=True, help="jsonl: groups and users, readable as a plan source; csv: one "
              "column per attribute; cognito-csv: Cognito's import CSV (no passwords).")  # fmt: skip
@click.option("--out", metavar="FILE|-|s3://BUCKET/KEY",
              help="Where to write (default: POOL_ID.jsonl, .csv or .import.csv); - for stdout.")  # fmt: skip
@click.option("--groups/--no-groups", default=True, show_default=True,
              help="Read the groups and each user's memberships (ListGroups, ListUsersInGroup).")  # fmt: skip
@click.option("--read-mfa", is_flag=True,
              help="In an OPTIONAL-MFA pool, read each user's MFA (an AdminGetUser call each).")  # fmt: skip
@click.option("--kms-key-id", help="For s3://: the KMS key to encrypt with (default: the aws/s3 key).")
@click.option("--quota", "quotas", multiple=True, metavar="CATEGORY=RPS",
              help="Override a request rate for this run, e.g. UserList=20 (repeatable).")  # fmt: skip
@click.pass_obj
def export(
    options: object, pool_id: str, format_: str, out: str | None, groups: bool, read_mfa: bool,
    kms_key_id: str | None, quotas: tuple[str, ...],
) -> CommandResult:  # fmt: skip
    """Write a pool's users, groups and memberships to a file, stdout or S3, streamed as read.

    jsonl keeps each user's attributes, status, enabled flag, dates, MFA (where known) and groups,
    and the groups' definitions: a backup, and a source for `plan` ([source] type = "jsonl"). csv
    reads back with id_field = "sub", enabled_field = "enabled", groups_field = "groups".
    cognito-csv has exactly the pool's GetCSVHeader columns, for an import job; it carries no
    passwords, status, disabled flag or groups. No format holds passwords: Cognito never gives them
    out.

    Files are created 0600 and appear only when complete. An S3 object is uploaded in parts with
    SSE-KMS and appears only when complete; on error or Ctrl-C the upload is aborted.

    \b
    Example:
      cognito-migrate export --pool-id us-east-1_AbC123 --out backup.jsonl
      cognito-migrate export --pool-id us-east-1_AbC123 --format csv --out - | head
      cognito-migrate export --pool-id us-east-1_AbC123 --out s3://backups/pool.jsonl
    """
    from typing import cast

    from cognito_migrate.export import export_pool
    from cognito_migrate.export.formats import ExportFormat

    if out == "-" and getattr(options, "as_json", False):
        raise click.UsageError("--json and --out - would both write to stdout; choose one")
    result = export_pool(
        pool_id,
        format=cast("ExportFormat", format_),
        out=out,
        include_groups=groups,
        read_mfa=read_mfa,
        kms_key_id=kms_key_id,
        quota_flags=quotas,
        profile=getattr(options, "profile", None),
        region=getattr(options, "region", None),
        endpoint_url=getattr(options, "endpoint_url", None),
        say=lambda line: click.echo(line, err=True),
    )
    if out == "-":  # the users went to stdout: the summary must not end up among them
        for line in result.lines:
            click.echo(line, err=True)
        result.lines = []
    return result
