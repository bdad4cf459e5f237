"""``init``: write an example plan file and check that it loads."""

from __future__ import annotations

from pathlib import Path

from cognito_migrate.config.examples import write_example
from cognito_migrate.config.loader import load_plan_file
from cognito_migrate.results import CommandResult


def init_plan_file(
    path: Path,
    source_type: str,
    *,
    pool_id: str,
    database: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    force: bool = False,
) -> CommandResult:
    written = write_example(
        path,
        source_type,
        force=force,
        pool_id=pool_id,
        database=database,
        region=region,
        endpoint_url=endpoint_url,
    )
    # A template that does not load would be a bug of ours; find it here, not at `plan`.
    load_plan_file(written)
    return CommandResult(
        command="init",
        data={"path": str(written), "source_type": source_type},
        lines=[
            f"Wrote {written} ({source_type} source).",
            "Edit it to match your source and pool; every key is explained in its comments.",
        ],
    )
