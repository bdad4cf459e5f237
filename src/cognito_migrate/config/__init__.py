"""The plan file (``migration.toml``): typed models, a loader whose errors name the key, and examples.

>>> from cognito_migrate.config import load_plan_file      # doctest: +SKIP
>>> plan = load_plan_file("migration.toml")
>>> plan.target.pool_id
'us-east-1_AbCdEf123'
"""

from cognito_migrate.config.examples import SOURCE_TYPES, write_example
from cognito_migrate.config.loader import load_plan_file, parse_plan_text
from cognito_migrate.config.models import (
    AttributeSpec,
    CognitoSource,
    FileSource,
    JupyterHubSource,
    MigrationConfig,
    SourceConfig,
    SqlSource,
    StrategyConfig,
    TargetConfig,
)

__all__ = [
    "SOURCE_TYPES",
    "AttributeSpec",
    "CognitoSource",
    "FileSource",
    "JupyterHubSource",
    "MigrationConfig",
    "SourceConfig",
    "SqlSource",
    "StrategyConfig",
    "TargetConfig",
    "load_plan_file",
    "parse_plan_text",
    "write_example",
]
