"""The project's one exception tree.

::

    CognitoMigrateError              anything this tool raises on purpose
    ├── ConfigError                  the plan file or a command-line value is wrong (exit 2)
    ├── JournalError                 the journal is unreadable or asked for an impossible change
    │   └── IllegalTransition        a user state change the state machine forbids
    └── RemoteError                  a call to AWS (or the local Cognito) did not do what was asked
        ├── TransientError           worth retrying later: throttling, 5xx, dropped connections
        └── TerminalError            retrying will not help: validation, missing pool, access denied

Foreign errors (botocore's) are turned into these at one boundary, ``aws.errors.map_cognito_errors``,
with ``raise … from exc`` so the original stays in the traceback.
"""

from __future__ import annotations


class CognitoMigrateError(Exception):
    """Base of every error this tool raises on purpose."""


class ConfigError(CognitoMigrateError):
    """The plan file or a command-line value is wrong; the message names the key and what was expected."""


class JournalError(CognitoMigrateError):
    """The journal cannot be read or written as asked."""


class IllegalTransition(JournalError):
    """A user state change that the journal's state machine forbids."""


class RemoteError(CognitoMigrateError):
    """A remote call failed. ``code`` is AWS's error code when there is one."""

    def __init__(self, message: str, *, code: str | None = None, operation: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation


class TransientError(RemoteError):
    """Retrying later may succeed (throttling, server errors, dropped connections)."""


class TerminalError(RemoteError):
    """Retrying will not help; the user or the configuration must change something."""
