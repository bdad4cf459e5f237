"""Open the source a plan file's ``[source]`` section describes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cognito_migrate.config.models import (
    CognitoSource,
    FileSource,
    JupyterHubSource,
    MigrationConfig,
    SqlSource,
)
from cognito_migrate.sources.records import Source

if TYPE_CHECKING:
    from cognito_migrate.aws.ratelimit import RateLimiter
    from cognito_migrate.aws.session import AwsSettings


@contextmanager
def open_source(
    config: MigrationConfig,
    *,
    settings: AwsSettings | None = None,
    limiter: RateLimiter | None = None,
) -> Iterator[Source]:
    """The source for ``config``; closed on exit. ``settings``/``limiter`` reach a Cognito source
    (default: the source section's own profile, Region and endpoint, paced at AWS's default quotas)."""
    source_config = config.source
    source: Source
    if isinstance(source_config, JupyterHubSource):
        from cognito_migrate.sources.jupyterhub import JupyterHubDatabase

        source = JupyterHubDatabase(source_config, base_dir=config.base_dir)
    elif isinstance(source_config, SqlSource):
        from cognito_migrate.sources.sql import SqlTable

        source = SqlTable(source_config, base_dir=config.base_dir)
    elif isinstance(source_config, FileSource):
        from cognito_migrate.sources.files import open_file_source

        groups_path = config.resolve(source_config.groups_path) if source_config.groups_path else None
        source = open_file_source(source_config, config.resolve(source_config.path), groups_path=groups_path)
    elif isinstance(source_config, CognitoSource):
        from cognito_migrate.sources.cognito_pool import CognitoPoolSource

        source = CognitoPoolSource(
            source_config,
            settings=settings,
            limiter=limiter,
            read_mfa_settings=source_config.read_mfa_settings,
        )
    else:  # pragma: no cover - the plan file's models admit no other type
        raise TypeError(f"unknown source type {type(source_config).__name__}")
    try:
        yield source
    finally:
        source.close()
