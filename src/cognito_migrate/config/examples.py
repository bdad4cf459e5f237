"""Commented example plan files, one per source type, written by ``cognito-migrate init``."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from string import Template

from cognito_migrate.errors import ConfigError

SOURCE_TYPES = ("jupyterhub", "sql", "csv", "jsonl", "cognito")
_PLACEHOLDER_SOURCE = {
    "jupyterhub": "jupyterhub.sqlite",
    "sql": "postgresql+psycopg://app@127.0.0.1/app",
    "csv": "users.csv",
    "jsonl": "users.jsonl",
    "cognito": "",
}


def example_text(
    source_type: str,
    *,
    pool_id: str = "us-east-1_REPLACEME",
    region: str | None = None,
    endpoint_url: str | None = None,
    database: str | None = None,
    source_pool_id: str = "us-east-1_OLDPOOL1",
) -> str:
    """The commented plan file for ``source_type`` with the given values filled in."""
    if source_type not in SOURCE_TYPES:
        raise ConfigError(f"--source {source_type!r}: expected one of {', '.join(SOURCE_TYPES)}")
    templates = resources.files("cognito_migrate.config") / "templates"
    text = (templates / f"source-{source_type}.toml").read_text() + (templates / "common.toml").read_text()
    return Template(text).substitute(
        database=_toml_string(database or _PLACEHOLDER_SOURCE[source_type]),
        pool_id=_toml_string(pool_id),
        source_pool_id=_toml_string(source_pool_id),
        region_line=f'region = "{_toml_string(region)}"' if region else '# region = "us-east-1"',
        endpoint_line=(
            f'endpoint_url = "{_toml_string(endpoint_url)}"'
            if endpoint_url
            else '# endpoint_url = "http://127.0.0.1:4566"  # a local Cognito (cognito-migrate local serve)'
        ),
    )


def write_example(path: str | Path, source_type: str, *, force: bool = False, **values: str | None) -> Path:
    """Write the example plan file to ``path``; refuse to overwrite one unless ``force``."""
    path = Path(path)
    text = example_text(source_type, **values)  # type: ignore[arg-type]
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    # A plan file names databases and pools, not secrets, but it is the user's to share: 0644 is fine.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    with os.fdopen(os.open(path, flags, 0o644), "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _toml_string(value: str) -> str:
    """Escape a value for a basic TOML string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
