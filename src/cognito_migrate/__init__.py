"""cognito-migrate: move a user base into an Amazon Cognito user pool and prove nothing was lost.

The library is what the ``cognito-migrate`` CLI calls; every command is one public function.
Heavy dependencies (boto3, moto) are imported lazily so that ``import cognito_migrate`` and
``cognito-migrate --help`` stay fast.
"""

from cognito_migrate.errors import (
    CognitoMigrateError,
    ConfigError,
    JournalError,
    TerminalError,
    TransientError,
)

__version__ = "0.1.0"

__all__ = [
    "CognitoMigrateError",
    "ConfigError",
    "JournalError",
    "TerminalError",
    "TransientError",
    "__version__",
]
